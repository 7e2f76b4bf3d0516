"""Dynamic int8 quantization of an ONNX model, as onnxruntime's `quantize_dynamic` writes it, with the
`onnx` package alone (Debian has no onnxruntime for Python): every MatMul whose B is a constant 2-D
float initializer (the Linear layers and attention projections torch exports) becomes

    DynamicQuantizeLinear(A) -> A_q (uint8), A_scale, A_zero_point       activations, per run
    MatMulInteger(A_q, W_q, A_zero_point, 0)  -> int32                    W_q int8, symmetric
    Cast(float) * (A_scale * W_scale)          -> the MatMul's output

with W_q = round(W / W_scale) clipped to [-127, 127] and W_scale = max |W| / 127 per tensor:
quantize_dynamic's defaults (weight_type QInt8, per_channel False, symmetric weights; its MatMul
nodes become exactly this subgraph, which ONNX Runtime fuses into DynamicQuantizeMatMul). A Gemm with
a constant B (transB 0 or 1) and an optional bias becomes the same, plus an Add. This is the "q8"
model transformers.js ships. Other nodes stay f32.

Usage: /usr/bin/python3 scripts/quantize_onnx.py IN.onnx OUT.onnx   (prints how many it quantized)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize(model):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    users = {}
    for n in g.node:
        for x in n.input:
            users[x] = users.get(x, 0) + 1
    nodes, added, count = [], [], 0
    for n in g.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        b = inits.get(n.input[1]) if len(n.input) > 1 else None
        ok = b is not None and b.data_type == TensorProto.FLOAT and len(b.dims) == 2
        if n.op_type == "Gemm":
            ok = ok and attrs.get("transA", 0) == 0 and attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        if n.op_type not in ("MatMul", "Gemm") or not ok:
            nodes.append(n)
            continue
        count += 1
        w = numpy_helper.to_array(b).astype(np.float32)
        if n.op_type == "Gemm" and attrs.get("transB", 0):
            w = w.T
        scale = np.float32(np.abs(w).max() / 127.0) if np.abs(w).max() > 0 else np.float32(1.0)
        wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        p = f"{n.name or n.output[0]}_q8"
        added += [
            numpy_helper.from_array(wq, f"{p}_W"),
            numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{p}_Ws"),
            numpy_helper.from_array(np.array(0, dtype=np.int8), f"{p}_Wzp"),
        ]
        out = n.output[0] if n.op_type == "MatMul" or len(n.input) < 3 else f"{p}_Y"
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [n.input[0]], [f"{p}_A", f"{p}_As", f"{p}_Azp"], name=f"{p}_dq"),
            helper.make_node("MatMulInteger", [f"{p}_A", f"{p}_W", f"{p}_Azp", f"{p}_Wzp"], [f"{p}_I"], name=f"{p}_mm"),
            helper.make_node("Cast", [f"{p}_I"], [f"{p}_F"], to=TensorProto.FLOAT, name=f"{p}_cast"),
            helper.make_node("Mul", [f"{p}_As", f"{p}_Ws"], [f"{p}_S"], name=f"{p}_scale"),
            helper.make_node("Mul", [f"{p}_F", f"{p}_S"], [out], name=f"{p}_out"),
        ]
        if out != n.output[0]:
            nodes.append(helper.make_node("Add", [out, n.input[2]], [n.output[0]], name=f"{p}_bias"))
        users[b.name] -= 1
    keep = [i for i in g.initializer if users.get(i.name, 0) > 0 or i.name in {o.name for o in g.output}]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(keep + added)
    # MatMulInteger and DynamicQuantizeLinear are in the default domain from opset 10/11 on.
    return count


def main(src, dst):
    model = onnx.load(src)
    count = quantize(model)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"wrote {dst}: {count} MatMul/Gemm with constant weights quantized to int8 (dynamic, per tensor)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
