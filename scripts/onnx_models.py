"""Export small models in plain PyTorch to ONNX for smelt's importer tests (tests/onnx-*.test.ts).

Run with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 scripts/onnx_models.py OUT_DIR [NAME...]

Writes, for each case, OUT_DIR/NAME.onnx and OUT_DIR/NAME.inputs.safetensors (the inputs, by the
model's input names). Weights are seeded random (torch.manual_seed), so a case is the same file on
every run. Cases:
  transformer-post-opsetN   nn.Transformer post-norm, relu, with src/tgt padding masks, dynamic batch/lengths
  transformer-pre-opsetN    pre-norm, gelu, no masks
  transformer-static        post-norm without dynamic axes (no dim_param: every dim a number)
  transformer-external      post-norm with its weights in an external data file (NAME.onnx.data)
  encoder-opset17, decoder-opset17   the seq2seq model's halves (token ids in; memory / logits out), and the
                            whole model as smelt takes it: seq2seq.config.json, seq2seq.weights.safetensors
  gpt2-opsetN, bert-opsetN, llama-opsetN   the model zoo's GPT-2, BERT and Llama (scripts/hf_models.py, the
                            configs of scripts/make_zoo_goldens.py), dynamic batch and sequence; for GPT-2
                            and Llama also NAME.config.json and NAME.weights.safetensors (the state_dict)
  conv-opset17              nn.Conv1d stack (padding, dilation), dynamic batch and length
  conv-strided-opset14      nn.Conv1d with stride 2, dilation and groups, then an unpadded one; dynamic batch
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from models import Seq2Seq, Seq2SeqDecoder, Seq2SeqEncoder, causal, make_transformer  # noqa: E402
from hf_models import BertForSequenceClassification, GPT2LMHeadModel, LlamaForCausalLM  # noqa: E402
from make_goldens import MARGIN, randomize as randomize_transformer  # noqa: E402
from make_zoo_goldens import BERT, GPT2, LLAMA, randomize  # noqa: E402

CFG = {"dModel": 16, "nHead": 2, "numEncoderLayers": 2, "numDecoderLayers": 2, "dimFeedforward": 32,
       "activation": "relu", "layerNormEps": 1e-5, "normFirst": False}
SEQ = {**CFG, "srcVocab": 13, "tgtVocab": 11, "maxLen": 24, "bos": 1, "maxDecode": 8}


class Transformer(nn.Module):
    """src, tgt (+ padding masks) -> out; the decoder self-attention is causal."""

    def __init__(self, cfg, masks):
        super().__init__()
        self.transformer = make_transformer(cfg)
        self.masks = masks

    def forward(self, src, tgt, src_key_padding_mask=None, tgt_key_padding_mask=None):
        return self.transformer(src, tgt, tgt_mask=causal(tgt.shape[1]), src_key_padding_mask=src_key_padding_mask,
                                tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=src_key_padding_mask)


def export(module, args, path, names, outputs, opset, dynamic, external=False):
    # Grad on, so torch 1.13 takes the plain (exportable) path, not the nested-tensor fast path.
    with torch.enable_grad():
        torch.onnx.export(module.eval(), args, path, input_names=names, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=opset, do_constant_folding=True)
    if external:
        import onnx  # Debian's python3-onnx
        m = onnx.load(path)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=0)


def transformer_case(out, name, opset, norm_first, activation, masks, dynamic, external=False):
    torch.manual_seed(1)
    cfg = {**CFG, "normFirst": norm_first, "activation": activation}
    m = Transformer(cfg, masks)
    src, tgt = torch.randn(2, 5, 16), torch.randn(2, 4, 16)
    args, names = [src, tgt], ["src", "tgt"]
    axes = {"src": {0: "batch", 1: "srcLen"}, "tgt": {0: "batch", 1: "tgtLen"}, "out": {0: "batch", 1: "tgtLen"}}
    if masks:
        sp = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
        tp = torch.tensor([[False] * 4, [False] * 3 + [True]])
        args += [sp, tp]
        names += ["src_key_padding_mask", "tgt_key_padding_mask"]
        axes.update({"src_key_padding_mask": {0: "batch", 1: "srcLen"}, "tgt_key_padding_mask": {0: "batch", 1: "tgtLen"}})
    path = os.path.join(out, name + ".onnx")
    export(m, tuple(args), path, names, ["out"], opset, axes if dynamic else None, external)
    st.save(os.path.join(out, name + ".inputs.safetensors"), dict(zip(names, args)))


def meaningful_seq2seq(src):
    """A seeded Seq2Seq whose greedy decode varies and whose every step's best logit leads by MARGIN."""
    for seed in range(2, 202):
        model = randomize_transformer(Seq2Seq(SEQ), seed)
        with torch.no_grad():
            rows = model.greedy(src).long()
            top = model(src, rows[:, :-1]).topk(2, dim=-1).values
        body = rows[:, 1:].tolist()
        if (top[..., 0] - top[..., 1]).min() >= MARGIN and all(len(set(r)) >= 2 for r in body) and body[0] != body[1]:
            return model
    raise SystemExit("seq2seq: no seed in [2, 202) gives a meaningful greedy decode")


def seq2seq_cases(out):
    src = torch.tensor([[3, 4, 5, 6, 7], [8, 9, 10, 2, 2]])
    model = meaningful_seq2seq(src)
    tgt = torch.tensor([[1, 5, 6], [1, 7, 2]])
    with torch.enable_grad():
        memory = Seq2SeqEncoder(model)(src).detach()
    export(Seq2SeqEncoder(model), (src,), os.path.join(out, "encoder-opset17.onnx"), ["src"], ["memory"], 17,
           {"src": {0: "batch", 1: "srcLen"}, "memory": {0: "batch", 1: "srcLen"}})
    st.save(os.path.join(out, "encoder-opset17.inputs.safetensors"), {"src": src})
    export(Seq2SeqDecoder(model), (memory, tgt), os.path.join(out, "decoder-opset17.onnx"), ["memory", "tgt"], ["logits"], 17,
           {"memory": {0: "batch", 1: "srcLen"}, "tgt": {0: "batch", 1: "tgtLen"}, "logits": {0: "batch", 1: "tgtLen"}})
    st.save(os.path.join(out, "decoder-opset17.inputs.safetensors"), {"memory": memory, "tgt": tgt})
    save_model(out, "seq2seq", {"model": "seq2seq", **SEQ}, model)


def save_model(out, name, cfg, model):
    """The model as smelt's --config takes it: NAME.config.json and NAME.weights.safetensors."""
    with open(os.path.join(out, name + ".config.json"), "w") as f:
        json.dump(cfg, f)
    st.save(os.path.join(out, name + ".weights.safetensors"), {k: v.contiguous() for k, v in model.state_dict().items()})


class Logits(nn.Module):
    """A zoo causal LM's logits alone (its forward also returns the key/value cache)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids)[0]


def causal_lm_case(out, name, make, cfg, opset, seed):
    model = Logits(randomize(make(dict(cfg)), seed))
    ids = torch.randint(0, cfg["vocabSize"], (2, 7), generator=torch.Generator().manual_seed(seed))
    seq = {0: "batch", 1: "seq"}
    export(model, (ids,), os.path.join(out, name + ".onnx"), ["input_ids"], ["logits"], opset,
           {"input_ids": seq, "logits": seq})
    st.save(os.path.join(out, name + ".inputs.safetensors"), {"input_ids": ids})
    save_model(out, name, cfg, model.model)


def bert_case(out, name, opset):
    model = randomize(BertForSequenceClassification(dict(BERT)), 12)
    ids = torch.randint(0, BERT["vocabSize"], (3, 8), generator=torch.Generator().manual_seed(12))
    keep = (torch.arange(8)[None, :] < torch.tensor([8, 5, 3])[:, None]).long()
    types = (torch.arange(8)[None, :] >= torch.tensor([4, 2, 1])[:, None]).long()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    seq = {0: "batch", 1: "seq"}
    export(model, (ids, keep, types), os.path.join(out, name + ".onnx"), names, ["logits"], opset,
           {**{k: seq for k in names}, "logits": {0: "batch"}})
    st.save(os.path.join(out, name + ".inputs.safetensors"), dict(zip(names, (ids, keep, types))))


class ConvNet(nn.Module):
    """x [batch, 4, length] -> two Conv1d layers -> per-position scores [batch, length', 3]."""

    def __init__(self, strided):
        super().__init__()
        if strided:
            self.convs = nn.Sequential(nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), nn.ReLU(), nn.Conv1d(6, 8, 2))
        else:
            self.convs = nn.Sequential(nn.Conv1d(4, 8, 3, padding=1), nn.GELU(), nn.Conv1d(8, 8, 5, padding=4, dilation=2))
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.convs(x).transpose(1, 2))


def conv_case(out, name, opset, strided):
    torch.manual_seed(3)
    model = ConvNet(strided)
    x = torch.randn(2, 4, 11)
    axes = {"x": {0: "batch"}, "y": {0: "batch"}} if strided else {"x": {0: "batch", 2: "length"}, "y": {0: "batch", 1: "length"}}
    export(model, (x,), os.path.join(out, name + ".onnx"), ["x"], ["y"], opset, axes)
    st.save(os.path.join(out, name + ".inputs.safetensors"), {"x": x})


CASES = {
    "transformer-post-opset14": lambda o: transformer_case(o, "transformer-post-opset14", 14, False, "relu", True, True),
    "transformer-post-opset17": lambda o: transformer_case(o, "transformer-post-opset17", 17, False, "relu", True, True),
    "transformer-pre-opset14": lambda o: transformer_case(o, "transformer-pre-opset14", 14, True, "gelu", False, True),
    "transformer-pre-opset17": lambda o: transformer_case(o, "transformer-pre-opset17", 17, True, "gelu", False, True),
    "transformer-static": lambda o: transformer_case(o, "transformer-static", 17, False, "relu", False, False),
    "transformer-external": lambda o: transformer_case(o, "transformer-external", 17, False, "relu", True, True, True),
    "seq2seq": seq2seq_cases,
    **{f"gpt2-opset{v}": (lambda o, v=v: causal_lm_case(o, f"gpt2-opset{v}", GPT2LMHeadModel, GPT2, v, 11)) for v in (14, 17)},
    **{f"llama-opset{v}": (lambda o, v=v: causal_lm_case(o, f"llama-opset{v}", LlamaForCausalLM, LLAMA, v, 13)) for v in (14, 17)},
    **{f"bert-opset{v}": (lambda o, v=v: bert_case(o, f"bert-opset{v}", v)) for v in (14, 17)},
    "conv-opset17": lambda o: conv_case(o, "conv-opset17", 17, False),
    "conv-strided-opset14": lambda o: conv_case(o, "conv-strided-opset14", 14, True),
}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or list(CASES):
        CASES[name](out)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
