"""PyTorch reference for `npm run bench -- train` (bench only, never part of the app).

The same LoRA step as bench/train.ts measures on ONNX Runtime: a Qwen2 decoder with the R1-Distill-Qwen-1.5B shapes
(fewer layers), float32, frozen random base weights, LoRA on the given projections, one packed row of `seq` tokens,
loss = sum of 1/seq-weighted next-token NLL. Prints one JSON line: step (forward + backward) seconds as a median,
the AdamW update seconds, and the process's peak RSS (ru_maxrss: everything since start, model creation included).

    python3 bench/peers/train_lora_torch.py --layers 2 --seq 256 --rank 16 --targets q_proj,k_proj,...,down_proj
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn.functional as F

HIDDEN, INTERMEDIATE, HEADS, KV_HEADS, VOCAB, THETA, EPS = 1536, 8960, 12, 2, 151936, 10000.0, 1e-6


def frozen(*shape, std):
    return torch.empty(*shape).normal_(0, std).requires_grad_(False)


class LoraLinear:
    def __init__(self, name, n_in, n_out, bias, rank, alpha, targets, params):
        self.w = frozen(n_out, n_in, std=1 / math.sqrt(n_in))
        self.b = frozen(n_out, std=0.1) if bias else None
        self.lora = None
        if name in targets:
            a = torch.empty(rank, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)).requires_grad_(True)
            b = torch.full((n_out, rank), 1e-3).requires_grad_(True)  # B != 0: the full backward, as the ORT bench
            self.lora = (a, b, alpha / rank)
            params += [a, b]

    def __call__(self, x):
        y = F.linear(x, self.w, self.b)
        if self.lora:
            a, b, scaling = self.lora
            y = y + F.linear(F.linear(x, a), b) * scaling
        return y


def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Layer:
    def __init__(self, lora):
        head_dim = HIDDEN // HEADS
        self.norm1 = torch.ones(HIDDEN)
        self.norm2 = torch.ones(HIDDEN)
        self.q = LoraLinear('q_proj', HIDDEN, HEADS * head_dim, True, *lora)
        self.k = LoraLinear('k_proj', HIDDEN, KV_HEADS * head_dim, True, *lora)
        self.v = LoraLinear('v_proj', HIDDEN, KV_HEADS * head_dim, True, *lora)
        self.o = LoraLinear('o_proj', HEADS * head_dim, HIDDEN, False, *lora)
        self.gate = LoraLinear('gate_proj', HIDDEN, INTERMEDIATE, False, *lora)
        self.up = LoraLinear('up_proj', HIDDEN, INTERMEDIATE, False, *lora)
        self.down = LoraLinear('down_proj', INTERMEDIATE, HIDDEN, False, *lora)

    def __call__(self, x, cos, sin, mask):
        seq, head_dim = x.shape[1], HIDDEN // HEADS
        h = rms_norm(x, self.norm1)
        q = self.q(h).view(1, seq, HEADS, head_dim).transpose(1, 2)
        k = self.k(h).view(1, seq, KV_HEADS, head_dim).transpose(1, 2)
        v = self.v(h).view(1, seq, KV_HEADS, head_dim).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim) + mask
        attn = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(1, seq, HIDDEN)
        x = x + self.o(attn)
        h = rms_norm(x, self.norm2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--seq', type=int, default=256)
    p.add_argument('--rank', type=int, default=16)
    p.add_argument('--targets', default='q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj')
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    params = []
    lora = (args.rank, 2 * args.rank, set(args.targets.split(',')), params)
    with torch.no_grad():
        embed = frozen(VOCAB, HIDDEN, std=0.02)
        layers = [Layer(lora) for _ in range(args.layers)]
        final_norm = torch.ones(HIDDEN)
        lm_head = frozen(VOCAB, HIDDEN, std=1 / math.sqrt(HIDDEN))
    seq = args.seq
    ids = torch.tensor([(t * 7919 + 13) % VOCAB for t in range(seq)]).view(1, seq)
    head_dim = HIDDEN // HEADS
    inv = 1.0 / (THETA ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = torch.outer(torch.arange(seq).float(), inv)
    angles = torch.cat((freqs, freqs), dim=-1)
    cos, sin = angles.cos(), angles.sin()
    mask = torch.full((seq, seq), float('-inf')).triu(1)
    weights = torch.full((seq - 1,), 1.0 / seq)
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)

    def step():
        x = embed[ids]
        for layer in layers:
            x = layer(x, cos, sin, mask)
        logits = F.linear(rms_norm(x, final_norm), lm_head)[0, :-1]
        nll = F.cross_entropy(logits, ids[0, 1:], reduction='none')
        loss = (nll * weights).sum()
        loss.backward()
        return loss.item()

    step()  # warm-up
    steps, updates = [], []
    for _ in range(args.steps):
        optimizer.zero_grad(set_to_none=True)
        start = time.perf_counter()
        step()
        steps.append(time.perf_counter() - start)
        start = time.perf_counter()
        optimizer.step()
        updates.append(time.perf_counter() - start)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'stepSeconds': statistics.median(steps),
        'optimizerSeconds': statistics.median(updates), 'peakRssGiB': peak_kib / 1024 ** 2,
        'trainableParameters': sum(t.numel() for t in params),
    }))


if __name__ == '__main__':
    main()
