"""Write the PyTorch golden cases of the model zoo (docs/FORMATS.md: GPT-2, BERT, Llama) into tests/goldens/.

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/make_zoo_goldens.py [gpt2] [bert] [llama]
(no names: all three). The models are scripts/hf_models.py: plain torch, module for module as
Hugging Face writes them, so the weights carry the checkpoints' names.

Each case folder holds config.json, weights.safetensors (the state_dict), inputs.safetensors and
expected.safetensors: `logits`, and for the decoders `tokens`, the prompt (input_ids) then
greedy steps. The script checks that cached and full-prefix greedy decoding agree in torch, and
tries seeds until every greedy step's best logit leads the second by at least MARGIN.
"""
import re
import sys

import torch

from make_goldens import MARGIN, padding, write
from hf_models import BertForSequenceClassification, GPT2LMHeadModel, LlamaForCausalLM, greedy

GPT2 = dict(model="gpt2", vocabSize=50, maxPositions=32, dModel=32, nHead=4, numLayers=2, dimFeedforward=128,
            layerNormEps=1e-5)
BERT = dict(model="bert", vocabSize=40, maxPositions=16, typeVocabSize=2, dModel=32, nHead=4, numLayers=2,
            dimFeedforward=64, layerNormEps=1e-12, numLabels=3)
LLAMA = dict(model="llama", vocabSize=64, maxPositions=64, dModel=64, nHead=8, nKvHead=2, numLayers=2,
             dimFeedforward=96, rmsNormEps=1e-6, ropeTheta=10000.0)
NEW_TOKENS = 8
NORM_WEIGHT = re.compile(r"(norm|ln_\w+|LayerNorm)\.weight$")


def randomize(module, seed):
    """Random weights everywhere; norm weights 1 + noise, so a mistake in any of them shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            scale = 0.3 if p.dim() > 1 else 0.1
            p.copy_(torch.randn(p.shape, generator=g) * scale + (1.0 if NORM_WEIGHT.search(name) else 0.0))
    return module.eval()


def decoder_case(name, make, cfg, batch, prompt_len, seed):
    """A causal LM: logits of a prompt, and greedy tokens that are a meaningful test."""
    for s in range(seed, seed + 200):
        model = randomize(make(cfg), s)
        g = torch.Generator().manual_seed(s + 1000)
        ids = torch.randint(0, cfg["vocabSize"], (batch, prompt_len), generator=g)
        with torch.no_grad():
            tokens = greedy(model, ids, NEW_TOKENS, cached=False)
            assert torch.equal(tokens, greedy(model, ids, NEW_TOKENS, cached=True)), f"{name}: cached greedy differs"
            logits, _ = model(tokens[:, :-1])
        top = logits[:, prompt_len - 1:].topk(2, dim=-1).values
        new = tokens[:, prompt_len:]
        if (top[..., 0] - top[..., 1]).min() < MARGIN or not all(len(set(r)) >= 2 for r in new.tolist()):
            continue
        break
    else:
        raise SystemExit(f"{name}: no seed in [{seed}, {seed + 200}) gives a meaningful greedy decode")
    with torch.no_grad():
        logits, _ = model(ids)
    print(f"{name}: seed {s}, tokens {tokens[:, prompt_len:].tolist()}")
    write(name, cfg, model.state_dict(), {"input_ids": ids}, {"logits": logits, "tokens": tokens.to(torch.int32)})


def bert_case(name, cfg, lengths, seq, seed):
    model = randomize(BertForSequenceClassification(cfg), seed)
    g = torch.Generator().manual_seed(seed + 1000)
    ids = torch.randint(0, cfg["vocabSize"], (len(lengths), seq), generator=g)
    keep = ~padding(lengths, seq)
    types = (torch.arange(seq)[None, :] >= torch.tensor(lengths)[:, None] // 2).long()  # two segments per row
    with torch.no_grad():
        logits = model(ids, keep.long(), types)
    inputs = {"input_ids": ids, "attention_mask": keep.to(torch.uint8), "token_type_ids": types}
    write(name, cfg, model.state_dict(), inputs, {"logits": logits})


CASES = {
    "gpt2": lambda: decoder_case("gpt2", GPT2LMHeadModel, dict(GPT2), 2, 7, seed=11),
    "bert": lambda: bert_case("bert", dict(BERT), [8, 5, 3], 8, seed=12),
    "llama": lambda: decoder_case("llama", LlamaForCausalLM, dict(LLAMA), 2, 6, seed=13),
}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    for name in sys.argv[1:] or CASES:
        CASES[name]()


if __name__ == "__main__":
    main()
