"""Reference sampled and beam-search decoding in plain PyTorch, written from the specification in
docs/ARCHITECTURE.md ("Generation"), to check smelt's generate() token for token.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/generation_reference.py

It writes tests/goldens/generation/cases.json: for the trained toy model (examples/transformer/
toy-reverse) and the random seq2seq_i64 golden model, sources and padding masks, the options of
each case (strategy, temperature, topK, topP, seed, numBeams, lengthPenalty, earlyStopping,
maxNewTokens) and the tokens this reference decodes. Each step runs the model over the whole prefix
(no cache), so the cache itself is checked too.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from models import Seq2Seq  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "tests", "goldens", "generation", "cases.json")
M32 = 0xFFFFFFFF


class Mulberry32:
    """The PRNG of packages/models/src/generation/prng.ts, in unsigned 32-bit arithmetic."""

    def __init__(self, seed):
        self.state = seed & M32

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & M32
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & M32
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296


def sample_row(logits, temperature, top_k, top_p, rng):
    """sampler.ts: order by x desc then index, top-k, softmax in f64, top-p prefix, one draw."""
    x = [float(v) / temperature for v in logits.tolist()]
    order = sorted(range(len(x)), key=lambda i: (-x[i], i))
    if 0 < top_k < len(x):
        order = order[:top_k]
    mx = x[order[0]]
    e = [math.exp(x[i] - mx) for i in order]
    total_e = sum(e)
    kept = len(order)
    if top_p < 1:
        cum, kept = 0.0, 0
        while kept < len(order):
            cum += e[kept] / total_e
            kept += 1
            if cum >= top_p:
                break
    total = 0.0
    for j in range(kept):
        total += e[j] / total_e
    u = rng.next() * total
    run = 0.0
    for j in range(kept):
        run += e[j] / total_e
        if run > u:
            return order[j]
    return order[kept - 1]


def last_logits(model, src, pad, rows):
    tgt = torch.tensor(rows, dtype=torch.long)
    n = len(rows)
    s = src.expand(n, -1) if src.shape[0] == 1 else src
    p = None if pad is None else (pad.expand(n, -1) if pad.shape[0] == 1 else pad)
    return model(s, tgt, p)[:, -1].detach()


def sample_decode(model, cfg, src, pad, o):
    """Rows draw in row order, once per step while they have not produced eos."""
    rng = Mulberry32(o["seed"])
    eos = o.get("eos", cfg.get("eos"))
    rows = [[cfg["bos"]] for _ in range(src.shape[0])]
    active = list(range(src.shape[0]))
    for _ in range(o["maxNewTokens"]):
        if not active:
            break
        logits = last_logits(model, src[active], None if pad is None else pad[active], [rows[r] for r in active])
        keep = []
        for i, r in enumerate(active):
            t = sample_row(logits[i], o["temperature"], o["topK"], o["topP"], rng)
            rows[r].append(t)
            if t != eos:
                keep.append(r)
        for r in range(len(rows)):
            if r not in active:
                rows[r].append(eos)
        active = keep
    return rows


def beam_decode_row(model, cfg, src, pad, o):
    """beam.ts for one source row."""
    nb, lp, early = o["numBeams"], o["lengthPenalty"], o["earlyStopping"]
    eos = o.get("eos", cfg.get("eos"))
    live = [([cfg["bos"]], 0.0)]
    finished = []

    def finish(tokens, norm):
        finished.append((tokens, norm))
        if len(finished) > nb:
            worst = min(range(len(finished)), key=lambda i: (finished[i][1], i))
            finished.pop(worst)

    def is_done():
        if not live:
            return True
        if len(finished) < nb:
            return False
        if early:
            return True
        worst = min(f[1] for f in finished)
        best_live = max(s / len(t) ** lp for t, s in live)
        return best_live <= worst

    done = False
    for _ in range(o["maxNewTokens"]):
        logits = last_logits(model, src, pad, [t for t, _ in live]).double()
        logp = torch.log_softmax(logits, -1).tolist()
        cands = sorted(((s + logp[j][t], j, t) for j, (_, s) in enumerate(live) for t in range(len(logp[j]))),
                       key=lambda c: (-c[0], c[1], c[2]))
        nxt = []
        for rank, (score, j, t) in enumerate(cands[: 2 * nb]):
            if len(nxt) >= nb:
                break
            tokens = live[j][0]
            if t == eos:
                if rank < nb:
                    finish(tokens + [t], score / len(tokens) ** lp)
            else:
                nxt.append((tokens + [t], score))
        live = nxt
        done = is_done()
        if done:
            break
    if not done:
        for t, s in live:
            finish(t, s / len(t) ** lp)
    best = finished[0]
    for f in finished[1:]:
        if f[1] > best[1]:
            best = f
    return best[0]


def beam_decode(model, cfg, src, pad, o):
    eos = o.get("eos", cfg.get("eos"))
    rows = [beam_decode_row(model, cfg, src[b:b + 1], None if pad is None else pad[b:b + 1], o) for b in range(src.shape[0])]
    width = max(len(r) for r in rows)
    return [r + [eos] * (width - len(r)) for r in rows]


def load_model(folder):
    with open(os.path.join(ROOT, folder, "config.json")) as f:
        cfg = json.load(f)
    model = Seq2Seq(cfg)
    model.load_state_dict(st.load(os.path.join(ROOT, folder, "weights.safetensors")), strict=False)
    return cfg, model.eval()


DEFAULTS = dict(temperature=1.0, topK=0, topP=1.0, seed=0, numBeams=4, lengthPenalty=1.0, earlyStopping=True)


def cases_for(folder, src, lengths, cfg, options):
    cfg_, model = load_model(folder)
    src_t = torch.tensor(src, dtype=torch.long)
    pad = torch.arange(len(src[0]))[None, :] >= torch.tensor(lengths)[:, None]
    out = []
    for o in options:
        full = {**DEFAULTS, "maxNewTokens": cfg_["maxDecode"], **o}
        rows = (beam_decode if full["strategy"] == "beam" else sample_decode)(model, cfg_, src_t, pad, full)
        out.append({"model": folder, "src": src, "lengths": lengths, "options": o, "tokens": rows})
        print(folder, o, rows)
    return out


def main():
    torch.set_num_threads(1)
    toy_src = [[3 + d for d in [1, 2, 3, 4, 5]], [3 + d for d in [9, 0, 7, 0, 0]], [3 + d for d in [4, 4, 1, 6, 2]]]
    toy_len = [5, 3, 5]
    toy = [
        dict(strategy="beam", numBeams=4, lengthPenalty=1.0),
        dict(strategy="beam", numBeams=4, lengthPenalty=0.6, earlyStopping=False),
        dict(strategy="sample", temperature=6.0, seed=7),
        dict(strategy="sample", temperature=8.0, topK=4, seed=11),
        dict(strategy="sample", temperature=10.0, topP=0.9, seed=123456789),
    ]
    rnd_src = [[3, 5, 1, 8, 2, 7, 4], [6, 6, 2, 9, 1, 0, 0]]
    rnd_len = [7, 5]
    rnd = [
        dict(strategy="beam", numBeams=4, lengthPenalty=1.0),
        dict(strategy="beam", numBeams=3, lengthPenalty=2.0, earlyStopping=False, eos=7),
        dict(strategy="beam", numBeams=4, lengthPenalty=0.5, eos=10),
        dict(strategy="sample", seed=1),
        dict(strategy="sample", temperature=0.7, topK=3, topP=0.8, seed=2024, eos=4),
    ]
    cases = cases_for("examples/transformer/toy-reverse", toy_src, toy_len, None, toy)
    cases += cases_for("tests/goldens/seq2seq_i64", rnd_src, rnd_len, None, rnd)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
