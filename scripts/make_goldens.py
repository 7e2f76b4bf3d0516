"""Write the PyTorch golden cases of tests/goldens/ (docs/FORMATS.md, "Checking against PyTorch").

Run from anywhere with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/make_goldens.py

Each case folder holds config.json, weights.safetensors (the module's state_dict, names unchanged),
inputs.safetensors and expected.safetensors (`out` for torch-transformer; `logits` and `tokens` for
seq2seq). Everything is seeded, so a rerun writes the same bytes.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from models import Seq2Seq, make_transformer, run_transformer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "goldens")
CORE = dict(model="torch-transformer", dModel=32, nHead=4, numEncoderLayers=2, numDecoderLayers=2,
            dimFeedforward=64, activation="relu", layerNormEps=1e-5, normFirst=False)
S2S = dict(CORE, model="seq2seq", srcVocab=11, tgtVocab=13, maxLen=32, bos=1, maxDecode=6)
# A greedy step whose best and second-best logits are closer than this could flip between correct
# float32 implementations; the seq2seq cases pick seeds whose every step is clearer than that.
MARGIN = 1e-3


def randomize(module, seed):
    """Random weights everywhere, LayerNorms included (weight 1 + noise, bias noise), so a mistake there shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            scale = 0.3 if p.dim() > 1 else 0.1
            base = 1.0 if ".norm" in name and name.endswith("weight") else 0.0
            p.copy_(torch.randn(p.shape, generator=g) * scale + base)
    return module.eval()


def padding(lengths, width):
    """True at padded positions: row i keeps its first lengths[i] positions; padding only at the end."""
    assert all(0 < n <= width for n in lengths), "a row must keep at least one position"
    assert max(lengths) == width, "at least one row is unpadded"
    return torch.arange(width)[None, :] >= torch.tensor(lengths)[:, None]


def write(name, cfg, weights, inputs, expected, weight_dtype=None):
    for k, v in expected.items():
        assert torch.isfinite(v.float()).all(), f"{name}: {k} is not finite"
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    st.save(os.path.join(d, "weights.safetensors"), {k: v.to(weight_dtype) if weight_dtype else v for k, v in weights.items()})
    st.save(os.path.join(d, "inputs.safetensors"), inputs)
    st.save(os.path.join(d, "expected.safetensors"), expected)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    show = lambda t: f"{st._DTYPES[t.dtype]}{list(t.shape)}"  # noqa: E731
    print(f"  {name} ({size} bytes): inputs " + ", ".join(f"{k} {show(v)}" for k, v in inputs.items())
          + "; expected " + ", ".join(f"{k} {show(v)}" for k, v in expected.items()))
    assert size < 1 << 20, f"{name} is {size} bytes"


def torch_case(name, cfg, batch, src_len, tgt_len, seed, src_lens=None, tgt_lens=None,
               mask_dtypes=(torch.bool, torch.bool), f16=False):
    """nn.Transformer(batch_first=True, dropout=0) in eval mode on random f32 src/tgt."""
    model = randomize(make_transformer(cfg), seed)
    if f16:  # the golden is torch on the f16-rounded weights, computed in f32
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
    weights = model.state_dict()
    assert all(v.dtype == torch.float32 for v in weights.values())
    write(name, cfg, weights, inputs, {"out": out}, torch.float16 if f16 else None)


def step_margins(model, src, src_pad, tokens, eos):
    """Top-1 minus top-2 logit of every greedy step a row actually decided (not the forced eos repeats)."""
    logits = model(src, tokens[:, :-1].long(), src_pad).detach()
    top = logits.topk(2, dim=-1).values
    margin = top[..., 0] - top[..., 1]
    if eos is not None:  # step j+1 is forced when the row already emitted eos at or before position j
        forced = (tokens[:, 1:-1] == eos).long().cumsum(1) > 0
        forced = torch.cat([torch.zeros_like(forced[:, :1]), forced], 1)
        margin = margin.masked_fill(forced, float("inf"))
    return margin


def choose_eos(cfg, free):
    """An eos (not bos) that every row of the free-running decode `free` emits before the last step.

    Needs rows to finish at different steps (so a finished row must repeat eos while another still
    decodes) and the last row to finish at step 3 or later; prefers a finished row that would have
    emitted another token afterwards, then the latest finish.
    """
    best = None
    rows = free.tolist()
    for t in range(cfg["tgtVocab"]):
        if t == cfg["bos"]:
            continue
        steps = [next((j for j in range(1, len(r)) if r[j] == t), None) for r in rows]
        if None in steps or max(steps) >= cfg["maxDecode"] or len(set(steps)) < 2 or max(steps) < 3:
            continue
        last = max(steps)
        repeats = any(any(r[j] != t for j in range(s + 1, last + 1)) for r, s in zip(rows, steps))
        if best is None or (repeats, last) > best[0]:
            best = ((repeats, last), t)
    return None if best is None else best[1]


def seq2seq_case(name, cfg, batch, src_len, tgt_len, seed, src_lens=None, ids=torch.int64, with_eos=False):
    """Seq2Seq with random weights; tries seeds from `seed` until greedy decoding is a meaningful test."""
    for s in range(seed, seed + 500):
        c = dict(cfg)
        model = randomize(Seq2Seq(c), s)
        g = torch.Generator().manual_seed(s + 1000)
        src = torch.randint(0, c["srcVocab"], (batch, src_len), generator=g)
        tgt = torch.randint(0, c["tgtVocab"], (batch, tgt_len), generator=g)
        src_pad = padding(src_lens, src_len) if src_lens else None
        free = model.greedy(src, src_pad)  # no eos in c yet: all maxDecode steps
        if with_eos:
            eos = choose_eos(c, free)
            if eos is None:
                continue
            c["eos"] = eos
            model.cfg = c
            tokens = model.greedy(src, src_pad)
            assert tokens.shape[1] < 1 + c["maxDecode"], "eos did not stop decoding early"
        else:
            tokens = free
            body = tokens[:, 1:]
            # the decode must depend on the prefix and the source: varied within and across rows
            if not all(len(set(r)) >= 2 for r in body.tolist()) or len(set(map(tuple, body.tolist()))) < batch:
                continue
        if step_margins(model, src, src_pad, tokens, c.get("eos")).min() < MARGIN:
            continue
        break
    else:
        raise SystemExit(f"{name}: no seed in [{seed}, {seed + 500}) gives a meaningful greedy decode")
    logits = model(src, tgt, src_pad).detach()
    inputs = {"src": src.to(ids), "tgt": tgt.to(ids)}
    if src_pad is not None:
        inputs["src_key_padding_mask"] = src_pad
    print(f"{name}: seed {s}, tokens {tokens.tolist()}" + (f", eos {c['eos']}" if with_eos else ""))
    write(name, c, model.state_dict(), inputs, {"logits": logits, "tokens": tokens})


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)  # multi-threaded CPU kernels may differ in the last bits from run to run
    torch_case("post_norm_relu", dict(CORE), 1, 7, 5, seed=1)
    torch_case("pre_norm_gelu", dict(CORE, numDecoderLayers=1, dimFeedforward=48, activation="gelu",
                                     layerNormEps=1e-6, normFirst=True), 2, 6, 6, seed=2)
    torch_case("padded_masks", dict(CORE, nHead=2), 3, 8, 6, seed=3, src_lens=[8, 5, 3], tgt_lens=[6, 4, 2],
               mask_dtypes=(torch.bool, torch.uint8))
    torch_case("odd_sizes", dict(CORE, dModel=48, nHead=3, numEncoderLayers=1, numDecoderLayers=2,
                                 dimFeedforward=40, normFirst=True), 2, 5, 3, seed=4)
    torch_case("f16_weights", dict(CORE), 1, 7, 5, seed=5, f16=True)
    seq2seq_case("seq2seq_i64", dict(S2S), 2, 7, 5, seed=6, src_lens=[7, 5], ids=torch.int64)
    seq2seq_case("seq2seq_eos", dict(S2S, tgtVocab=9), 2, 7, 5, seed=7, src_lens=[7, 5], ids=torch.int32, with_eos=True)


if __name__ == "__main__":
    main()
