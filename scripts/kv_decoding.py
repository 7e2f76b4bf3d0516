"""Decoding with a key/value cache in plain PyTorch, for the bench's ORT peers (scripts/export_onnx.py).

The layout transformers.js runs translation models with: an encoder that gives every decoder layer's
cross-attention keys and values once, and a decoder step with past keys and values in and present
ones out. Names, shapes and meaning are smelt's encode and step graphs (docs/ARCHITECTURE.md,
"Generation"), so the bench feeds both engines through the same loop:

  encode.onnx  src i64 [batch, srcLen] -> cross.{i}.key, cross.{i}.value f32 [batch, nHead, srcLen, headDim]
  step.onnx    tgt i64 [batch, 1], past.{i}.key|value [batch, nHead, past, headDim], cross.{i}.key|value
               -> logits f32 [batch, 1, tgtVocab], present.{i}.key|value [batch, nHead, past + 1, headDim]

The new token's position is the cache length (past). Written from nn.TransformerDecoderLayer's own
weights (in_proj packed Q, K, V; out_proj; linear1, linear2; norm1..3; the final decoder norm), pre-
and post-norm; greedy decoding with it must give the tokens of the full-prefix model.
"""
import math
import os

import torch
from torch import nn
import torch.nn.functional as F


def heads(x, n_head):
    """[batch, len, d] -> [batch, nHead, len, headDim]."""
    b, t, d = x.shape
    return x.reshape(b, t, n_head, d // n_head).transpose(1, 2)


def merge(x):
    """[batch, nHead, len, headDim] -> [batch, len, d]."""
    b, h, t, hd = x.shape
    return x.transpose(1, 2).reshape(b, t, h * hd)


def attend(q, k, v):
    """Softmax(q k^T / sqrt(headDim)) v over every key (one new query attends to all the past)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, -1) @ v


def project(attn, x, which):
    """One of the packed Q (0), K (1), V (2) projections of an nn.MultiheadAttention."""
    d = x.shape[-1]
    return F.linear(x, attn.in_proj_weight[which * d:(which + 1) * d], attn.in_proj_bias[which * d:(which + 1) * d])


class Encode(nn.Module):
    """src -> memory -> each decoder layer's cross-attention keys and values, in head layout."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, src):
        m = self.model
        memory = m.transformer.encoder(m.embed(m.src_embed, src))
        n_head = m.cfg["nHead"]
        out = []
        for layer in m.transformer.decoder.layers:
            out += [heads(project(layer.multihead_attn, memory, 1), n_head), heads(project(layer.multihead_attn, memory, 2), n_head)]
        return tuple(out)


class Step(nn.Module):
    """tgt [batch, 1], then per layer past key, past value, then per layer cross key, cross value."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def layer_step(self, layer, x, past_k, past_v, cross_k, cross_v):
        n_head = self.model.cfg["nHead"]
        pre = self.model.cfg["normFirst"]

        def self_attn(h):
            sa = layer.self_attn
            k = torch.cat([past_k, heads(project(sa, h, 1), n_head)], 2)
            v = torch.cat([past_v, heads(project(sa, h, 2), n_head)], 2)
            return sa.out_proj(merge(attend(heads(project(sa, h, 0), n_head), k, v))), k, v

        def cross_attn(h):
            ca = layer.multihead_attn
            return ca.out_proj(merge(attend(heads(project(ca, h, 0), n_head), cross_k, cross_v)))

        def ff(h):
            return layer.linear2(layer.activation(layer.linear1(h)))

        if pre:
            a, k, v = self_attn(layer.norm1(x))
            x = x + a
            x = x + cross_attn(layer.norm2(x))
            x = x + ff(layer.norm3(x))
        else:
            a, k, v = self_attn(x)
            x = layer.norm1(x + a)
            x = layer.norm2(x + cross_attn(x))
            x = layer.norm3(x + ff(x))
        return x, k, v

    def forward(self, tgt, *caches):
        m = self.model
        layers = m.transformer.decoder.layers
        n = len(layers)
        past, cross = caches[:2 * n], caches[2 * n:]
        position = past[0].shape[2] if n else 0
        x = m.tgt_embed(tgt) * math.sqrt(m.cfg["dModel"]) + m.pe[position:position + 1]
        present = []
        for i, layer in enumerate(layers):
            x, k, v = self.layer_step(layer, x, past[2 * i], past[2 * i + 1], cross[2 * i], cross[2 * i + 1])
            present += [k, v]
        return (m.generator(m.transformer.decoder.norm(x)), *present)


def names(n_layers, kind):
    return [f"{kind}.{i}.{kv}" for i in range(n_layers) for kv in ("key", "value")]


def greedy(enc, step, src, cfg):
    """bos, then maxDecode argmax steps through the cache (the bench's configs have no eos)."""
    n = cfg["numDecoderLayers"]
    cross = enc(src)
    hd = cfg["dModel"] // cfg["nHead"]
    past = [torch.zeros(src.shape[0], cfg["nHead"], 0, hd) for _ in range(2 * n)]
    tokens = torch.full((src.shape[0], 1), cfg["bos"], dtype=torch.long)
    for _ in range(cfg["maxDecode"]):
        logits, *past = step(tokens[:, -1:], *past, *cross)
        past = [p.detach() for p in past]
        tokens = torch.cat([tokens, logits[:, -1].detach().argmax(-1)[:, None]], 1)
    return tokens.to(torch.int32)


def export(d, model, src, expected_tokens, write):
    """Check cached greedy decoding against smelt's tokens, then write encode.onnx and step.onnx with `write`."""
    cfg = model.cfg
    n = cfg["numDecoderLayers"]
    enc, step = Encode(model).eval(), Step(model).eval()
    with torch.enable_grad():  # as export_onnx.py: the plain path, not torch 1.13's encoder fast path
        tokens = greedy(enc, step, src, cfg)
    same = bool((tokens == expected_tokens).all())
    print(f"PyTorch cached greedy tokens {'equal' if same else 'DIFFER from'} smelt reference")
    batch = {0: "batch"}
    cross_names, past_names, present_names = names(n, "cross"), names(n, "past"), names(n, "present")
    write(enc, (src,), os.path.join(d, "encode.onnx"), ["src"], cross_names,
          dynamic={"src": {0: "batch", 1: "srcLen"}, **{c: {0: "batch", 2: "srcLen"} for c in cross_names}})
    with torch.enable_grad():
        cross = [t.detach() for t in enc(src)]
        hd = cfg["dModel"] // cfg["nHead"]
        # A past of 3 positions: every cache dim is traced as a dynamic axis, not a constant.
        past = [torch.randn(src.shape[0], cfg["nHead"], 3, hd) for _ in range(2 * n)]
    dynamic = {"tgt": batch, "logits": batch}
    dynamic.update({p: {0: "batch", 2: "past"} for p in past_names})
    dynamic.update({p: {0: "batch", 2: "present"} for p in present_names})
    dynamic.update({c: {0: "batch", 2: "srcLen"} for c in cross_names})
    write(step, (src[:, :1], *past, *cross), os.path.join(d, "step.onnx"), ["tgt", *past_names, *cross_names],
          ["logits", *present_names], dynamic=dynamic)
