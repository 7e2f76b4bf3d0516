"""PyTorch goldens for single ops of the modern Transformer (tests/goldens/ops/<case>.safetensors).

Plain torch (PyTorch 1.13, /usr/bin/python3), written the way Hugging Face's models compute them
(rotate_half / rotate_every_two, repeat_kv, inv_freq in f32), seeded, so a rerun writes identical
bytes. Each file holds a case's inputs and its expected outputs (names starting with `out_`);
tests/op-goldens.test.ts builds the same computation with smelt's DSL and compares on every backend.

    /usr/bin/python3 scripts/op_goldens.py
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402
from hf_models import repeat_kv  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "goldens", "ops")


def tables(dim, positions, base):
    """cos and sin [len(positions), dim/2] as Hugging Face's rotary embeddings compute them (f32)."""
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
    freqs = torch.outer(positions.float(), inv_freq)
    return freqs.cos(), freqs.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rotate_every_two(x):
    return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)


def rope_half():
    # Llama: x [batch, heads, seq, head_dim], positions offset..offset+seq (cached decoding)
    x = torch.randn(2, 4, 5, 8)
    cos, sin = tables(8, torch.arange(3, 3 + 5), 10000.0)
    cos, sin = torch.cat((cos, cos), -1), torch.cat((sin, sin), -1)
    return {"x": x, "out_y": x * cos + rotate_half(x) * sin}


def rope_interleaved_partial():
    # GPT-J: rotary_dim 4 of head_dim 8, interleaved pairs, position ids [batch, seq]; x [batch, heads, seq, head_dim]
    x = torch.randn(2, 3, 5, 8)
    pos = torch.randint(0, 30, (2, 5), dtype=torch.int32)
    cos, sin = tables(4, pos.flatten(), 500.0)
    cos = cos.reshape(2, 1, 5, 2).repeat_interleave(2, -1)
    sin = sin.reshape(2, 1, 5, 2).repeat_interleave(2, -1)
    rot, rest = x[..., :4], x[..., 4:]
    return {"x": x, "pos": pos, "out_y": torch.cat((rot * cos + rotate_every_two(rot) * sin, rest), -1)}


def gqa():
    # 8 query heads over 2 kv heads, causal, with a key padding mask (True = padded)
    q, k, v = torch.randn(2, 8, 5, 4), torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 4)
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    scores = q @ repeat_kv(k, 4).transpose(-1, -2) / math.sqrt(4)
    scores = scores.masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(1), float("-inf"))
    scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
    return {"q": q, "k": k, "v": v, "pad": pad, "out_y": scores.softmax(-1) @ repeat_kv(v, 4)}


def swiglu():
    x, w1, w3, w2 = torch.randn(2, 3, 8), torch.randn(16, 8), torch.randn(16, 8), torch.randn(8, 16)
    return {"x": x, "w1": w1, "w3": w3, "w2": w2, "out_y": (F.silu(x @ w1.T) * (x @ w3.T)) @ w2.T}


def topk():
    x = torch.tensor([[1.0, 3.0, 3.0, -1.0, 2.0, 3.0, 0.5, 2.0, -4.0, 7.0],
                      [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                      [5.0, -2.0, 9.0, 1.0, 1.0, -2.0, 4.0, 8.0, 6.0, -3.0]])
    # Ties by lower index: torch.topk's own tie order on CPU is unspecified (it gives 9, 5, 1, 2 for
    # row 0), so the expected order is a stable sort's; its values equal torch.topk's.
    large = torch.sort(x, dim=-1, descending=True, stable=True)
    small = torch.sort(x, dim=0, descending=False, stable=True)
    assert torch.equal(large.values[:, :4], torch.topk(x, 4, dim=-1).values)
    assert torch.equal(small.values[:3], torch.topk(x, 3, dim=0, largest=False).values)
    return {"x": x, "out_values": large.values[:, :4], "out_indices": large.indices[:, :4].int(),
            "out_small_values": small.values[:3], "out_small_indices": small.indices[:3].int()}


def cumsum():
    x = torch.randn(2, 7)
    n = torch.randint(-9, 9, (3, 4), dtype=torch.int32)
    return {"x": x, "n": n, "out_y": torch.cumsum(x, 1), "out_rev": torch.cumsum(x.flip(0), 0).flip(0),
            "out_excl": torch.cumsum(x, 1) - x, "out_n": torch.cumsum(n, 0).int()}


def pad():
    x = torch.randn(2, 3, 4)
    return {"x": x, "out_y": F.pad(x, (1, 2, 0, 1), value=0.5), "out_z": F.pad(x, (0, 0, 2, 0, 1, 1))}


def reduce_min():
    x = torch.randn(3, 4, 5)
    return {"x": x, "out_y": torch.amin(x, dim=(0, 2)), "out_z": torch.amin(x, dim=-1, keepdim=True)}


def argmax():
    x = torch.tensor([[1.0, 4.0, 4.0, 2.0], [-1.0, -1.0, -3.0, -1.0], [0.0, 2.0, 5.0, 5.0]])
    return {"x": x, "out_y": torch.argmax(x, -1).int(), "out_z": torch.argmax(x, 0).int()}


def conv1d():
    x = torch.randn(2, 4, 11)
    w, b = torch.randn(6, 2, 3), torch.randn(6)
    w2 = torch.randn(3, 4, 2)
    return {"x": x, "w": w, "b": b, "w2": w2,
            "out_y": F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
            "out_z": F.conv1d(x, w2)}


CASES = [rope_half, rope_interleaved_partial, gqa, swiglu, topk, cumsum, pad, reduce_min, argmax, conv1d]

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for i, case in enumerate(CASES):
        torch.manual_seed(1000 + i)
        with torch.no_grad():
            tensors = case()
        st.save(os.path.join(OUT, f"{case.__name__}.safetensors"), {k: v.contiguous() for k, v in tensors.items()})
        print(f"wrote {case.__name__}: {', '.join(sorted(tensors))}")
