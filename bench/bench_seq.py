"""Side by side: sequence-model training steps, the same PyTorch-API program on PyTorch and on
npgrad, from the same weights, on the same batches.

    python bench/bench_seq.py                  # GPT and LSTM steps, 20 steps x 5 rounds
    python bench/bench_seq.py --threads 1      # one thread each (a fair race on a busy box)
    python bench/bench_seq.py --only gpt --steps 10 --rounds 3

gpt   a small GPT-style character model: batch 32, block 64, 4 heads, 2 layers, width 128,
      vocab 65 (token + position embeddings, causal self-attention via
      F.scaled_dot_product_attention, LayerNorm, GELU MLP, lm head, cross-entropy), AdamW.
lstm  a character LSTM language model: batch 32, 64 steps, embedding 64, LSTM 128 (1 layer),
      linear head to 65, cross-entropy, Adam.

Each round times ``--steps`` training steps of torch, then of npgrad (after one untimed
warm-up step each); rounds alternate, so a busy moment of the machine hits both alike. The
reported figure is the median over rounds of the per-step time, and the ratio
npgrad / torch of those medians: wall-clock time, and the CPU time of the process (on a busy
shared machine the CPU-time ratio with ``--threads 1`` is the steadier of the two; with more
threads CPU time adds up over threads and only the wall-clock ratio is meaningful).
"""
import argparse
import os
import statistics
import sys
import time

if "--threads" in sys.argv:  # must reach OpenBLAS (and torch's OpenMP) before they load
    _n = sys.argv[sys.argv.index("--threads") + 1]
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _n

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import npgrad  # noqa: E402
import torch  # noqa: E402

VOCAB, BATCH, BLOCK = 65, 32, 64


def gpt(lib, width=128, heads=4, layers=2):
    nn = lib.nn
    F = nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(width, 3 * width)
            self.c_proj = nn.Linear(width, width)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(x).split(width, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(width)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(width)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"),
                                     nn.Linear(4 * width, width))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(VOCAB, width)
            self.wpe = nn.Embedding(BLOCK, width)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(width)
            self.lm_head = nn.Linear(width, VOCAB)

        def forward(self, idx, targets):
            B, T = idx.shape
            x = self.wte(idx) + self.wpe(lib.arange(T))
            for blk in self.blocks:
                x = blk(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))

    model = GPT()
    return model, lib.optim.AdamW(model.parameters(), lr=3e-4)


def lstm(lib, emb=64, hidden=128):
    nn = lib.nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, emb)
            self.lstm = nn.LSTM(emb, hidden, batch_first=True)
            self.head = nn.Linear(hidden, VOCAB)

        def forward(self, idx, targets):
            out, _ = self.lstm(self.embed(idx))
            logits = self.head(out)
            return nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))

    model = CharLSTM()
    return model, lib.optim.Adam(model.parameters(), lr=1e-3)


def twins(build):
    torch.manual_seed(0)
    theirs, topt = build(torch)
    ours, oopt = build(npgrad)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return (ours, oopt), (theirs, topt)


def step(lib, model, opt, batch):
    x, y = batch
    loss = model(lib.tensor(x), lib.tensor(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.item())


def timed(lib, model, opt, batches):
    """(wall seconds, CPU seconds of this process) per step."""
    t0, c0 = time.perf_counter(), time.process_time()
    for b in batches:
        step(lib, model, opt, b)
    n = len(batches)
    return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--only", choices=["gpt", "lstm"], default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    text = rng.integers(0, VOCAB, size=100_000)
    batches = []
    for _ in range(args.steps):
        starts = rng.integers(0, len(text) - BLOCK - 1, size=BATCH)
        batches.append((np.stack([text[s:s + BLOCK] for s in starts]),
                        np.stack([text[s + 1:s + BLOCK + 1] for s in starts])))
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch threads "
          f"{torch.get_num_threads()}, {args.steps} steps x {args.rounds} rounds")
    for name, build in (("gpt", gpt), ("lstm", lstm)):
        if args.only and name != args.only:
            continue
        (ours, oopt), (theirs, topt) = twins(build)
        l_ours = step(npgrad, ours, oopt, batches[0])  # warm-up, and a sanity check
        l_theirs = step(torch, theirs, topt, batches[0])
        t_ours, t_theirs = [], []
        for _ in range(args.rounds):
            t_theirs.append(timed(torch, theirs, topt, batches))
            t_ours.append(timed(npgrad, ours, oopt, batches))
        mo, mt = (statistics.median(t[0] for t in ts) for ts in (t_ours, t_theirs))
        co, ct = (statistics.median(t[1] for t in ts) for ts in (t_ours, t_theirs))
        print(f"{name:5s} step: npgrad {mo * 1e3:7.1f} ms  torch {mt * 1e3:7.1f} ms  "
              f"ratio {mo / mt:5.2f}x | CPU time: {co * 1e3:7.1f} vs {ct * 1e3:7.1f} ms, ratio "
              f"{co / ct:5.2f}x   (first loss {l_ours:.4f} vs {l_theirs:.4f})")


if __name__ == "__main__":
    main()
