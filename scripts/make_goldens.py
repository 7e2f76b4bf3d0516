"""Write the PyTorch golden cases of tests/goldens/ (run with Debian's /usr/bin/python3 + python3-torch).

Each case folder holds config.json, weights.safetensors (the state_dict, names unchanged),
inputs.safetensors and expected.safetensors (`out`, or `logits` and `tokens` for seq2seq).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402
from models import Seq2Seq, make_transformer, run_transformer  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "tests", "goldens")
CORE = dict(model="torch-transformer", dModel=32, nHead=4, numEncoderLayers=2, numDecoderLayers=2,
            dimFeedforward=64, activation="relu", layerNormEps=1e-5, normFirst=False)


def randomize(module, seed):
    """Random weights everywhere, LayerNorms included (not 1 and 0), so a mistake there shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            scale = 0.3 if p.dim() > 1 else 0.1
            p.copy_(torch.randn(p.shape, generator=g) * scale + (1.0 if "norm" in name and name.endswith("weight") else 0.0))
    return module.eval()


def padding(lengths, width):
    return torch.arange(width)[None, :] >= torch.tensor(lengths)[:, None]


def write(name, cfg, weights, inputs, expected, weight_dtype=None):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    st.save(os.path.join(d, "weights.safetensors"), {k: v.to(weight_dtype) if weight_dtype else v for k, v in weights.items()})
    st.save(os.path.join(d, "inputs.safetensors"), inputs)
    st.save(os.path.join(d, "expected.safetensors"), expected)
    print(f"{name}: " + ", ".join(f"{k} {list(v.shape)}" for k, v in expected.items()))


def torch_case(name, cfg, batch, src_len, tgt_len, seed, src_lens=None, tgt_lens=None, mask_dtypes=(torch.bool, torch.bool), f16=False):
    model = randomize(make_transformer(cfg), seed)
    if f16:
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    g = torch.Generator().manual_seed(seed + 1)
    src = torch.randn(batch, src_len, cfg["dModel"], generator=g)
    tgt = torch.randn(batch, tgt_len, cfg["dModel"], generator=g)
    src_pad = padding(src_lens, src_len) if src_lens else None
    tgt_pad = padding(tgt_lens, tgt_len) if tgt_lens else None
    out = run_transformer(model, src, tgt, src_pad, tgt_pad)
    inputs = {"src": src, "tgt": tgt}
    if src_pad is not None:
        inputs["src_key_padding_mask"] = src_pad.to(mask_dtypes[0])
    if tgt_pad is not None:
        inputs["tgt_key_padding_mask"] = tgt_pad.to(mask_dtypes[1])
    write(name, cfg, model.state_dict(), inputs, {"out": out}, torch.float16 if f16 else None)


def seq2seq_case(name, cfg, src, tgt, seed, src_lens=None, ids=torch.int64, pick_eos=False):
    model = randomize(Seq2Seq(cfg), seed)
    src_pad = padding(src_lens, src.shape[1]) if src_lens else None
    if pick_eos:
        first = model.greedy(src, src_pad)[:, 1]
        cfg["eos"] = int(first[0])
        model.cfg = cfg
        src = src[first == first[0]] if bool((first == first[0]).sum() > 1) else src
    logits = model(src, tgt[: src.shape[0]], src_pad[: src.shape[0]] if src_pad is not None else None).detach()
    tokens = model.greedy(src, src_pad[: src.shape[0]] if src_pad is not None else None)
    if pick_eos:
        assert tokens.shape[1] < 1 + cfg["maxDecode"], "eos did not stop decoding early"
    inputs = {"src": src.to(ids), "tgt": tgt[: src.shape[0]].to(ids)}
    if src_pad is not None:
        inputs["src_key_padding_mask"] = src_pad[: src.shape[0]]
    write(name, cfg, model.state_dict(), inputs, {"logits": logits, "tokens": tokens})


def main():
    torch.manual_seed(0)
    torch_case("post_norm_relu", dict(CORE), 1, 7, 5, seed=1)
    torch_case("pre_norm_gelu", dict(CORE, numDecoderLayers=1, dimFeedforward=48, activation="gelu", layerNormEps=1e-6, normFirst=True),
               2, 6, 6, seed=2)
    torch_case("padded_masks", dict(CORE, nHead=2), 3, 8, 6, seed=3, src_lens=[8, 5, 3], tgt_lens=[6, 4, 2],
               mask_dtypes=(torch.bool, torch.uint8))
    torch_case("odd_sizes", dict(CORE, dModel=48, nHead=3, numEncoderLayers=1, numDecoderLayers=2, dimFeedforward=40, normFirst=True),
               2, 5, 3, seed=4)
    torch_case("f16_weights", dict(CORE), 1, 7, 5, seed=5, f16=True)
    s2s = dict(CORE, model="seq2seq", srcVocab=11, tgtVocab=13, maxLen=32, bos=1, maxDecode=6)
    g = torch.Generator().manual_seed(6)
    seq2seq_case("seq2seq_i64", dict(s2s), torch.randint(0, 11, (2, 7), generator=g), torch.randint(0, 13, (2, 5), generator=g),
                 seed=6, src_lens=[7, 5])
    seq2seq_case("seq2seq_eos", dict(s2s, tgtVocab=9, normFirst=True, activation="gelu"),
                 torch.randint(0, 11, (3, 6), generator=g), torch.randint(0, 9, (3, 4), generator=g), seed=7, ids=torch.int32, pick_eos=True)


if __name__ == "__main__":
    main()
