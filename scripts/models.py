"""The spec's models in PyTorch (docs/FORMATS.md): nn.Transformer and the seq2seq around it."""
import math

import torch
from torch import nn


def make_transformer(cfg):
    return nn.Transformer(
        d_model=cfg["dModel"], nhead=cfg["nHead"], num_encoder_layers=cfg["numEncoderLayers"],
        num_decoder_layers=cfg["numDecoderLayers"], dim_feedforward=cfg["dimFeedforward"], dropout=0.0,
        activation=cfg["activation"], layer_norm_eps=cfg["layerNormEps"], batch_first=True, norm_first=cfg["normFirst"],
    )


def causal(n):
    return nn.Transformer.generate_square_subsequent_mask(n)


def positional_table(max_len, d):
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same), in float64 then float32."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), i / d)
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


def transformer_forward(model, src, tgt, src_pad=None, tgt_pad=None):
    """The spec's call: causal decoder self-attention; src padding masks encoder keys and cross-attention keys.

    Always runs with grad enabled, so torch 1.13's encoder fast path / nested-tensor path is not taken
    (it would only ever be taken in eval mode with grad off). Not detached: training goes through here.
    """
    with torch.enable_grad():
        return model(src, tgt, tgt_mask=causal(tgt.shape[1]), src_key_padding_mask=src_pad,
                     tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)


def run_transformer(model, src, tgt, src_pad=None, tgt_pad=None):
    """transformer_forward, detached: the golden value."""
    return transformer_forward(model, src, tgt, src_pad, tgt_pad).detach()


class Seq2Seq(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["dModel"]
        self.src_embed = nn.Embedding(cfg["srcVocab"], d)
        self.tgt_embed = nn.Embedding(cfg["tgtVocab"], d)
        self.transformer = make_transformer(cfg)
        self.generator = nn.Linear(d, cfg["tgtVocab"])
        self.register_buffer("pe", positional_table(cfg["maxLen"], d), persistent=False)

    def embed(self, table, ids):
        return table(ids) * math.sqrt(self.cfg["dModel"]) + self.pe[: ids.shape[1]]

    def forward(self, src, tgt, src_pad=None):
        h = transformer_forward(self.transformer, self.embed(self.src_embed, src), self.embed(self.tgt_embed, tgt), src_pad)
        return self.generator(h)

    def greedy(self, src, src_pad=None):
        """bos, then maxDecode argmax steps; with eos, finished rows repeat it and decoding stops when all are."""
        cfg = self.cfg
        rows = torch.full((src.shape[0], 1), cfg["bos"], dtype=torch.long)
        done = torch.zeros(src.shape[0], dtype=torch.bool)
        eos = cfg.get("eos")
        for _ in range(cfg["maxDecode"]):
            nxt = self.forward(src, rows, src_pad)[:, -1].detach().argmax(-1)
            if eos is not None:
                nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
                done |= nxt == eos
            rows = torch.cat([rows, nxt[:, None]], 1)
            if eos is not None and bool(done.all()):
                break
        return rows.to(torch.int32)


class Seq2SeqEncoder(nn.Module):
    """src -> memory: the encoder half of a Seq2Seq (smelt's encoder graph)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, src):
        return self.model.transformer.encoder(self.model.embed(self.model.src_embed, src))


class Seq2SeqDecoder(nn.Module):
    """memory, tgt prefix -> logits at every position (smelt's decoder half); with argmax, the greedy next token."""

    def __init__(self, model, argmax=False):
        super().__init__()
        self.model = model
        self.argmax = argmax

    def forward(self, memory, tgt):
        m = self.model
        h = m.transformer.decoder(m.embed(m.tgt_embed, tgt), memory, tgt_mask=causal(tgt.shape[1]))
        logits = m.generator(h)
        return logits.argmax(-1) if self.argmax else logits
