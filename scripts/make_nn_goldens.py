"""Write PyTorch goldens for smelt's nn layers (packages/ir/src/nn) into tests/goldens-nn/<case>.safetensors.

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/make_nn_goldens.py

Each file holds the layer's state_dict (names unchanged), its inputs (`x`, and `padding` where the
case has one) and torch's output `y`. tests/nn-layers.test.ts builds the same layer in smelt.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from hf_models import LlamaMLP, causal_fill, merge_heads, split_heads  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "goldens-nn")


class HfAttention(nn.Module):
    """Separate q/k/v/o projections (Hugging Face names), optional biases, optional causal mask,
    kv_heads key/value heads each serving heads / kv_heads query heads (repeat_kv)."""

    def __init__(self, d, heads, bias, causal, kv_heads=None):
        super().__init__()
        self.heads, self.causal, self.kv_heads = heads, causal, kv_heads or heads
        kv = d // heads * self.kv_heads
        self.q_proj = nn.Linear(d, d, bias=bias)
        self.k_proj = nn.Linear(d, kv, bias=bias)
        self.v_proj = nn.Linear(d, kv, bias=bias)
        self.o_proj = nn.Linear(d, d, bias=bias)

    def forward(self, x):
        q = split_heads(self.q_proj(x), self.heads)
        k, v = (split_heads(f(x), self.kv_heads).repeat_interleave(self.heads // self.kv_heads, dim=1) for f in (self.k_proj, self.v_proj))
        scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
        if self.causal:
            scores = causal_fill(scores)
        return self.o_proj(merge_heads(scores.softmax(-1) @ v))


def randomize(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.3 if p.dim() > 1 else 0.1) + (1.0 if "norm" in name and name.endswith("weight") else 0.0))
    return module.eval()


def save(name, module, inputs, y):
    os.makedirs(ROOT, exist_ok=True)
    tensors = dict(module.state_dict())
    tensors.update(inputs)
    tensors["y"] = y.detach()
    st.save(os.path.join(ROOT, f"{name}.safetensors"), tensors)
    print(f"  {name}: y {list(y.shape)}")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(99)
    x = torch.randn(2, 5, 16, generator=g)

    for name, bias, causal, kv, seed in [("attention_hf_causal", False, True, None, 1), ("attention_hf_bias", True, False, None, 2),
                                         ("attention_gqa", False, True, 2, 5), ("attention_mqa", True, False, 1, 6)]:
        m = randomize(HfAttention(16, 4, bias, causal, kv), seed)
        save(name, m, {"x": x}, m(x))

    mlp = randomize(LlamaMLP({"dModel": 16, "dimFeedforward": 24}), 3)
    save("gated_ff", mlp, {"x": x}, mlp(x))

    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    enc = randomize(nn.TransformerEncoder(layer, 2, norm=None, enable_nested_tensor=False), 4)
    padding = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    with torch.enable_grad():  # no fast path: the plain modules' math
        y = enc(x, src_key_padding_mask=padding)
    save("encoder_no_norm", enc, {"x": x, "padding": padding}, y)


if __name__ == "__main__":
    main()
