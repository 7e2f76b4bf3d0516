"""Export a bench workload to ONNX for ONNX Runtime, from the same safetensors weights smelt reads.

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/export_onnx.py bench/data/<id>

The folder is one that `pnpm bench` generated: workload.json (the definition), weights.safetensors,
inputs.safetensors and expected.safetensors (smelt's reference interpreter). It writes model.onnx (or
encoder.onnx and decoder.onnx for seq2seq greedy decoding over the whole prefix, or encode.onnx and
step.onnx for decoding with the key/value cache, scripts/kv_decoding.py) and prints PyTorch's max abs
error (or whether its greedy tokens equal) against the reference outputs, a second oracle for the
bench's data. Beside each NAME.onnx it writes NAME.q8.onnx, the same model dynamically quantized to
int8 (scripts/quantize_onnx.py: what onnxruntime's quantize_dynamic writes), for the bench's
ort-web-q8 rows. Exits 2 when an export cannot be made.
"""
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from models import Seq2Seq, Seq2SeqDecoder, Seq2SeqEncoder, causal, make_transformer  # noqa: E402
import kv_decoding  # noqa: E402
import quantize_onnx  # noqa: E402

OPSET = 17  # LayerNormalization is an ONNX op from 17 on; torch 1.13 exports up to 17


class Transformer(nn.Module):
    """src, tgt -> out, causal target, as smelt's torch-transformer."""

    def __init__(self, cfg):
        super().__init__()
        self.transformer = make_transformer(cfg)

    def forward(self, src, tgt):
        return self.transformer(src, tgt, tgt_mask=causal(tgt.shape[1]))


class EncoderLayer(nn.Module):
    """One post-norm torch.nn.TransformerEncoderLayer; state_dict names are the layer's own."""

    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            cfg["dModel"], cfg["nHead"], cfg["dimFeedforward"], dropout=0.0, activation=cfg["activation"],
            layer_norm_eps=cfg["layerNormEps"], batch_first=True, norm_first=cfg["normFirst"])

    def forward(self, src):
        return self.layer(src)


class Gemm(nn.Module):
    """c = a @ b with b a constant (an initializer in the ONNX file)."""

    def __init__(self, k, n):
        super().__init__()
        self.b = nn.Parameter(torch.zeros(k, n))

    def forward(self, a):
        return a @ self.b


def prefixed(weights, module, prefix):
    """Load weights whose names are `module`'s state_dict names under `prefix`."""
    module.load_state_dict({prefix + k: v for k, v in weights.items()})
    return module.eval()


def export(module, args, path, names, outputs, dynamic=None):
    # Grad on, so torch 1.13 takes the plain (exportable) path, not the nested-tensor fast path.
    with torch.enable_grad():
        torch.onnx.export(module, args, path, input_names=names, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    print(f"wrote {path}")
    quantize_onnx.main(path, path[:-len(".onnx")] + ".q8.onnx")


def max_err(a, b):
    return float((a.double() - b.double()).abs().max())


def transformer(d, cfg, w, inputs, expected):
    m = prefixed(w, Transformer(cfg), "transformer.")
    src, tgt = inputs["src"], inputs["tgt"]
    with torch.enable_grad():
        print(f"PyTorch vs smelt reference: max abs err {max_err(m(src, tgt).detach(), expected['out']):.2e}")
    export(m, (src, tgt), os.path.join(d, "model.onnx"), ["src", "tgt"], ["out"])


def encoder_layer(d, cfg, w, inputs, expected):
    m = prefixed(w, EncoderLayer(cfg), "layer.")
    with torch.enable_grad():
        print(f"PyTorch vs smelt reference: max abs err {max_err(m(inputs['src']).detach(), expected['out']):.2e}")
    export(m, (inputs["src"],), os.path.join(d, "model.onnx"), ["src"], ["out"])


def gemm(d, shape, w, inputs, expected):
    m = prefixed(w, Gemm(shape["k"], shape["n"]), "")
    with torch.no_grad():
        print(f"PyTorch vs smelt reference: max abs err {max_err(m(inputs['a']), expected['c']):.2e}")
    export(m, (inputs["a"],), os.path.join(d, "model.onnx"), ["a"], ["c"])


def seq2seq(d, cfg, w, inputs, expected, decoding):
    model = Seq2Seq(cfg)
    model.load_state_dict(w)
    model.eval()
    src = inputs["src"].long()
    if decoding == "cached":
        kv_decoding.export(d, model, src, expected["tokens"], export)
        return
    tokens = model.greedy(src)
    same = bool((tokens == expected["tokens"]).all())
    print(f"PyTorch greedy tokens {'equal' if same else 'DIFFER from'} smelt reference")
    enc, dec = Seq2SeqEncoder(model), Seq2SeqDecoder(model, argmax=True)
    with torch.enable_grad():
        memory = enc(src).detach()
    export(enc, (src,), os.path.join(d, "encoder.onnx"), ["src"], ["memory"])
    tgt = tokens[:, :4].long()
    export(dec, (memory, tgt), os.path.join(d, "decoder.onnx"), ["memory", "tgt"], ["next"],
           dynamic={"tgt": {1: "tgtLen"}, "next": {1: "tgtLen"}})


def main(d):
    with open(os.path.join(d, "workload.json")) as f:
        shape = json.load(f)["def"]["shape"]
    w = st.load(os.path.join(d, "weights.safetensors"))
    inputs = st.load(os.path.join(d, "inputs.safetensors"))
    expected = st.load(os.path.join(d, "expected.safetensors"))
    kind = shape["kind"]
    if kind == "transformer":
        transformer(d, shape["config"], w, inputs, expected)
    elif kind == "encoder-layer":
        encoder_layer(d, shape["config"], w, inputs, expected)
    elif kind == "gemm":
        gemm(d, shape, w, inputs, expected)
    elif kind == "seq2seq-greedy":
        seq2seq(d, shape["config"], w, inputs, expected, shape.get("decoding", "full-prefix"))
    else:
        print(f"unknown workload kind {kind!r}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
