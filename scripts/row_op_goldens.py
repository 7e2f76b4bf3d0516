"""Write tests/goldens/row_ops/row_ops.safetensors: PyTorch's answers for the row ops (plain torch).

softmax and log_softmax (last axis and axis 1, rows partly and fully -inf, large logits), LayerNorm
with and without bias (torch.nn.functional.layer_norm), and RMSNorm as torch.nn.RMSNorm and Llama
define it: x * rsqrt(mean(x^2, -1) + eps) * weight (PyTorch 1.13 has no nn.RMSNorm, so written out).
tests/row-ops-torch.test.ts checks the interpreter and every backend against this file to 1e-4.

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/row_op_goldens.py
"""
import os

import torch
import torch.nn.functional as F

from st import save

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "goldens", "row_ops", "row_ops.safetensors")
EPS_LN = 1e-5
EPS_RMS = 1e-6


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def main():
    g = torch.Generator().manual_seed(14)
    x = torch.randn(2, 3, 37, generator=g) * 3 + 0.5
    x[1, 2, :5] = 40.0  # large logits
    r = torch.randn(2, 3, 37, generator=g)
    w = torch.rand(37, generator=g) + 0.5
    b = torch.randn(37, generator=g) * 0.1
    masked = torch.randn(4, 9, generator=g) * 5
    masked[0, ::2] = float("-inf")
    masked[2, :] = float("-inf")  # nothing to attend to: NaN
    out = {
        "x": x, "r": r, "w": w, "b": b, "masked": masked,
        "softmax": torch.softmax(x, -1),
        "softmax_axis1": torch.softmax(x, 1),
        "log_softmax": torch.log_softmax(x, -1),
        "log_softmax_axis1": torch.log_softmax(x, 1),
        "softmax_masked": torch.softmax(masked, -1),
        "log_softmax_masked": torch.log_softmax(masked, -1),
        "layer_norm": F.layer_norm(x, (37,), w, b, EPS_LN),
        "layer_norm_no_bias": F.layer_norm(x, (37,), w, None, EPS_LN),
        "rms_norm": rms_norm(x, w, EPS_RMS),
        "add_rms_norm": rms_norm(x + r, w, EPS_RMS),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save(OUT, {k: v.contiguous() for k, v in out.items()})
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
