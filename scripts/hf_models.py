"""GPT-2, BERT and Llama in plain PyTorch, module for module as Hugging Face `transformers` writes them
(GPT2LMHeadModel, BertForSequenceClassification, LlamaForCausalLM), so their state_dict names are the
checkpoints' names. No `transformers` package is needed (none is installed here); only the parts the
golden cases use are written: eval mode, no dropout, no cache, no head masks.

Configs are smelt's (docs/FORMATS.md, "GPT-2", "BERT", "Llama"): camelCase keys, as in config.json.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def causal_fill(scores):
    """Hugging Face's causal masking: scores above the diagonal become the dtype's minimum."""
    q, k = scores.shape[-2:]
    keep = torch.ones(q, k, dtype=torch.bool).tril(k - q)
    return scores.masked_fill(~keep, torch.finfo(scores.dtype).min)


def split_heads(x, heads):
    b, n, _ = x.shape
    return x.view(b, n, heads, -1).transpose(1, 2)


def merge_heads(x):
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


# --- GPT-2 ---------------------------------------------------------------------------------------

class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: a linear layer whose weight is [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class GPT2Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["dModel"]
        self.heads = cfg["nHead"]
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x, past=None):
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        scores = causal_fill(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]))
        return self.c_proj(merge_heads(scores.softmax(-1) @ v)), (k, v)


class GPT2MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg["dimFeedforward"], cfg["dModel"])
        self.c_proj = Conv1D(cfg["dModel"], cfg["dimFeedforward"])

    def forward(self, x):
        # NewGELUActivation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        h = self.c_fc(x)
        return self.c_proj(0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0)))))


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg["dModel"], eps=cfg["layerNormEps"])
        self.attn = GPT2Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg["dModel"], eps=cfg["layerNormEps"])
        self.mlp = GPT2MLP(cfg)

    def forward(self, x, past=None):
        a, present = self.attn(self.ln_1(x), past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), present


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocabSize"], cfg["dModel"])
        self.wpe = nn.Embedding(cfg["maxPositions"], cfg["dModel"])
        self.h = nn.ModuleList(GPT2Block(cfg) for _ in range(cfg["numLayers"]))
        self.ln_f = nn.LayerNorm(cfg["dModel"], eps=cfg["layerNormEps"])

    def forward(self, ids, past=None):
        start = 0 if past is None else past[0][0].shape[2]
        x = self.wte(ids) + self.wpe(torch.arange(start, start + ids.shape[1]))
        presents = []
        for i, block in enumerate(self.h):
            x, p = block(x, None if past is None else past[i])
            presents.append(p)
        return self.ln_f(x), presents


class GPT2LMHeadModel(nn.Module):
    """The head is tied to wte (no lm_head.weight of its own, as save_pretrained writes it)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = GPT2Model(cfg)

    def forward(self, ids, past=None):
        h, presents = self.transformer(ids, past)
        return h @ self.transformer.wte.weight.T, presents


# --- BERT ----------------------------------------------------------------------------------------

class BertEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["dModel"]
        self.word_embeddings = nn.Embedding(cfg["vocabSize"], d)
        self.position_embeddings = nn.Embedding(cfg["maxPositions"], d)
        self.token_type_embeddings = nn.Embedding(cfg["typeVocabSize"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=cfg["layerNormEps"])

    def forward(self, ids, token_types):
        pos = torch.arange(ids.shape[1])
        return self.LayerNorm(self.word_embeddings(ids) + self.token_type_embeddings(token_types) + self.position_embeddings(pos))


class BertSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["dModel"]
        self.heads = cfg["nHead"]
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def forward(self, x, additive_mask):
        q, k, v = (split_heads(f(x), self.heads) for f in (self.query, self.key, self.value))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + additive_mask
        return merge_heads(scores.softmax(-1) @ v)


class BertSelfOutput(nn.Module):
    def __init__(self, cfg, inner):
        super().__init__()
        self.dense = nn.Linear(inner, cfg["dModel"])
        self.LayerNorm = nn.LayerNorm(cfg["dModel"], eps=cfg["layerNormEps"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertSelfOutput(cfg, cfg["dModel"])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["dModel"], cfg["dimFeedforward"])

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertSelfOutput(cfg, cfg["dimFeedforward"])  # BertOutput: dense, LayerNorm

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(cfg) for _ in range(cfg["numLayers"]))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["dModel"], cfg["dModel"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)
        self.pooler = BertPooler(cfg)

    def forward(self, ids, attention_mask=None, token_types=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(ids)
        if token_types is None:
            token_types = torch.zeros_like(ids)
        # get_extended_attention_mask: (1 - mask) * min, broadcast over heads and queries
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        return self.pooler(self.encoder(self.embeddings(ids, token_types), additive))


class BertForSequenceClassification(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bert = BertModel(cfg)
        self.classifier = nn.Linear(cfg["dModel"], cfg["numLabels"])

    def forward(self, ids, attention_mask=None, token_types=None):
        return self.classifier(self.bert(ids, attention_mask, token_types))


# --- Llama ---------------------------------------------------------------------------------------

class LlamaRMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n):
    """Hugging Face's repeat_kv: each of g key/value heads serves n query heads ([b, g, l, d] -> [b, g*n, l, d]).

    Written as expand + reshape, as Hugging Face does (the same values as repeat_interleave, which torch
    1.13 exports over a dim its shape inference lost as a Loop whose Reshape is wrong: ONNX Runtime fails it).
    """
    b, g, l, d = x.shape
    return x[:, :, None, :, :].expand(b, g, n, l, d).reshape(b, g * n, l, d)


def rope_cos_sin(cfg, positions):
    """LlamaRotaryEmbedding: inv_freq = 1 / theta^(2i/headDim), angles for both halves."""
    hd = cfg["dModel"] // cfg["nHead"]
    inv_freq = 1.0 / (cfg["ropeTheta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, self.heads, self.kv_heads = cfg["dModel"], cfg["nHead"], cfg["nKvHead"]
        hd = d // self.heads
        self.q_proj = nn.Linear(d, self.heads * hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(self.heads * hd, d, bias=False)

    def forward(self, x, cos, sin, past=None):
        q = split_heads(self.q_proj(x), self.heads)
        k = split_heads(self.k_proj(x), self.kv_heads)
        v = split_heads(self.v_proj(x), self.kv_heads)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        groups = self.heads // self.kv_heads
        kr, vr = repeat_kv(k, groups), repeat_kv(v, groups)
        scores = causal_fill(q @ kr.transpose(-1, -2) / math.sqrt(q.shape[-1]))
        return self.o_proj(merge_heads(scores.softmax(-1) @ vr)), (k, v)


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, ff = cfg["dModel"], cfg["dimFeedforward"]
        self.gate_proj = nn.Linear(d, ff, bias=False)
        self.up_proj = nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg["dModel"], cfg["rmsNormEps"])
        self.post_attention_layernorm = LlamaRMSNorm(cfg["dModel"], cfg["rmsNormEps"])

    def forward(self, x, cos, sin, past=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, past)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), present


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocabSize"], cfg["dModel"])
        self.layers = nn.ModuleList(LlamaDecoderLayer(cfg) for _ in range(cfg["numLayers"]))
        self.norm = LlamaRMSNorm(cfg["dModel"], cfg["rmsNormEps"])

    def forward(self, ids, past=None):
        start = 0 if past is None else past[0][0].shape[2]
        cos, sin = rope_cos_sin(self.cfg, torch.arange(start, start + ids.shape[1]))
        x = self.embed_tokens(ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, p = layer(x, cos, sin, None if past is None else past[i])
            presents.append(p)
        return self.norm(x), presents


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg["dModel"], cfg["vocabSize"], bias=False)

    def forward(self, ids, past=None):
        h, presents = self.model(ids, past)
        return self.lm_head(h), presents


def greedy(model, ids, steps, cached):
    """Greedy decoding: the prompt, then `steps` argmax tokens; with or without the key/value cache."""
    out = ids
    logits, past = model(ids)
    for _ in range(steps):
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        out = torch.cat([out, nxt], 1)
        logits, past = model(nxt, past) if cached else model(out)
    return out
