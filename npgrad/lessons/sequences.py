"""Lesson — sequences: a character-level model of names, five ways (the path of the
popular from-scratch language-model tutorials: bigram -> MLP -> RNN -> LSTM -> transformer).

There is no network here, so the lesson makes its own corpus: names built from syllables
("ka", "ri", "mo", ...) with a fixed seed, e.g. ``karimo``, ``lunesa``. The names are
joined into one stream, ``.`` marking where each ends:

    karimo.lunesa.tovi.elan. ...

Every model learns the same thing, P(next character | what came before), and is scored the
same way: the mean negative log-likelihood of the next character (nats; lower is better) on
names it never saw. Uniform guessing scores log(vocabulary size).

1. bigram      a count table: P(next | one previous character). No training, no context.
2. MLP         Bengio et al. 2003: embed the previous 3 characters, a tanh layer, logits.
3. RNN         nn.RNN: a hidden state carries everything seen since the window began.
4. LSTM        nn.LSTM: the same, with gates that decide what the state keeps.
5. transformer causal self-attention over the window (nn.TransformerEncoder with a
               square subsequent mask), with token and position embeddings.

The structure of the corpus rewards context: within a syllable the vowel follows the
consonant, and a name ends after two or three syllables - which a bigram cannot count.
"""
import math

import numpy as np

import npgrad as torch
from npgrad import nn

from ..train.plots import plot_loss_curves
from ._common import figure, heading, note

SYLLABLES = ["ka", "ri", "mo", "la", "ne", "sa", "to", "vi", "el", "an", "or", "mi", "da",
             "lu", "be", "ro", "si", "na", "te", "jo"]
ENDINGS = ["a", "n", "o", ""]


def make_names(n, seed=0):
    """``n`` deterministic names: 2 or 3 syllables, then an optional ending letter."""
    rng = np.random.default_rng(seed)
    names = []
    for _ in range(n):
        k = 2 if rng.random() < 0.6 else 3
        syl = rng.choice(SYLLABLES, size=k)
        names.append("".join(syl) + ENDINGS[rng.integers(len(ENDINGS))])
    return names


def encode(names, stoi):
    return np.array([stoi[c] for c in "".join(n + "." for n in names)], dtype=np.int64)


def windows(stream, block, batch, rng):
    """``batch`` random windows of ``block`` characters and their next characters."""
    starts = rng.integers(0, len(stream) - block - 1, size=batch)
    x = np.stack([stream[s:s + block] for s in starts])
    y = np.stack([stream[s + 1:s + block + 1] for s in starts])
    return torch.tensor(x), torch.tensor(y)


# ---------------------------------------------------------------------- the models
class MLP(nn.Module):
    """Each position sees its previous ``context`` characters (the window's start padded
    with '.'), embedded and concatenated, through one tanh layer."""

    def __init__(self, vocab, context=3, emb=10, hidden=96):
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, emb)
        self.hidden = nn.Linear(context * emb, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x):
        B, T = x.shape
        padded = torch.cat([torch.zeros(B, self.context - 1, dtype=x.dtype), x], dim=1)
        e = self.embed(padded)  # (B, T + context - 1, emb)
        ctx = torch.cat([e[:, k:k + T] for k in range(self.context)], dim=-1)
        return self.out(torch.tanh(self.hidden(ctx)))


class Recurrent(nn.Module):
    """Embedding -> nn.RNN or nn.LSTM -> logits at every step."""

    def __init__(self, vocab, cell="LSTM", emb=16, hidden=96):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.rnn = getattr(nn, cell)(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x):
        h, _ = self.rnn(self.embed(x))
        return self.out(h)


class TinyTransformer(nn.Module):
    """Token + position embeddings, pre-norm causal self-attention blocks, logits."""

    def __init__(self, vocab, block, width=48, heads=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(block, width)
        layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width),
                                            enable_nested_tensor=False)
        self.out = nn.Linear(width, vocab)

    def forward(self, x):
        T = x.shape[1]
        h = self.tok(x) + self.pos(torch.arange(T))
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        return self.out(self.blocks(h, mask=mask, is_causal=True))


# ---------------------------------------------------------------------- training, scoring
def nll(model, x, y):
    logits = model(x)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def train(model, stream, block, steps, lr, rng, batch=32):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    losses = []
    for _ in range(steps):
        x, y = windows(stream, block, batch, rng)
        loss = nll(model, x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def evaluate(model, stream, block):
    """Mean next-character NLL over the held-out stream, cut into consecutive windows."""
    n = (len(stream) - 1) // block
    x = torch.tensor(stream[:n * block].reshape(n, block))
    y = torch.tensor(stream[1:n * block + 1].reshape(n, block))
    with torch.no_grad():
        return nll(model.eval(), x, y).item()


def bigram_nll(train_stream, val_stream, vocab, smoothing=1.0):
    """The count model: P(b | a) = (count(a, b) + smoothing) / (count(a) + V smoothing)."""
    counts = np.full((vocab, vocab), smoothing)
    np.add.at(counts, (train_stream[:-1], train_stream[1:]), 1)
    probs = counts / counts.sum(1, keepdims=True)
    return float(-np.log(probs[val_stream[:-1], val_stream[1:]]).mean()), probs


def sample(model, itos, block, n, seed):
    """``n`` names drawn one character at a time from the model, each started after a '.'."""
    torch.manual_seed(seed)
    out = []
    model.eval()
    with torch.no_grad():
        for _ in range(n):
            ctx, name = [0], ""
            while len(name) < 20:
                logits = model(torch.tensor([ctx[-block:]]))[0, -1]
                nxt = int(torch.multinomial(torch.softmax(logits, dim=-1), 1).item())
                if nxt == 0:
                    break
                name += itos[nxt]
                ctx.append(nxt)
            out.append(name)
    return out


def _smooth(losses, k=10):
    """A running mean over ``k`` steps: minibatch losses are noisy."""
    y = np.convolve(losses, np.ones(k) / k, mode="valid") if len(losses) >= k else np.asarray(losses)
    return np.arange(len(losses) - len(y), len(losses)), y


def run(out_dir=None, quick=False, data_dir=None, seed=0):
    heading("The corpus: names from syllables")
    names = make_names(400 if quick else 4000, seed=seed)
    chars = sorted(set("".join(names)))
    itos = ["."] + chars
    stoi = {c: i for i, c in enumerate(itos)}
    V = len(itos)
    split = int(0.9 * len(names))
    train_stream, val_stream = encode(names[:split], stoi), encode(names[split:], stoi)
    print(f"{len(names)} names, e.g. {', '.join(names[:6])}")
    print(f"vocabulary: {V} characters ('.' ends a name); {len(train_stream)} training and "
          f"{len(val_stream)} held-out characters")
    uniform = math.log(V)
    print(f"uniform guessing: {uniform:.3f} nats per character")

    block = 16
    steps = 40 if quick else 1500
    rng = np.random.default_rng(seed)
    results = {"uniform": uniform, "vocab": V}

    heading("1. Bigram: count, normalise, look up")
    b_val, probs = bigram_nll(train_stream, val_stream, V)
    print(f"held-out NLL {b_val:.3f}")
    results["bigram"] = {"val": b_val, "probs": probs}
    note("one character of context: it cannot know how many syllables it has already written")

    torch.manual_seed(seed)
    models = [
        ("mlp", "2. MLP over the previous 3 characters", MLP(V), 1e-2),
        ("rnn", "3. RNN: a hidden state through the window", Recurrent(V, "RNN"), 5e-3),
        ("lstm", "4. LSTM: a gated hidden state", Recurrent(V, "LSTM"), 1e-2),
        ("transformer", "5. Transformer: causal self-attention", TinyTransformer(V, block), 3e-3),
    ]
    for key, title, model, lr in models:
        heading(title)
        params = sum(p.numel() for p in model.parameters())
        losses = train(model, train_stream, block, steps, lr, rng)
        val = evaluate(model, val_stream, block)
        print(f"{params} parameters, {steps} steps: training loss {losses[0]:.3f} -> "
              f"{np.mean(losses[-10:]):.3f}, held-out NLL {val:.3f}")
        results[key] = {"val": val, "losses": losses, "params": params, "model": model}

    heading("Summary (held-out NLL, nats per character)")
    for key in ("bigram", "mlp", "rnn", "lstm", "transformer"):
        print(f"  {key:12s} {results[key]['val']:.3f}")
    best = min(("mlp", "rnn", "lstm", "transformer"), key=lambda k: results[k]["val"])
    drawn = sample(results[best]["model"], itos, block, 8, seed)
    print(f"names drawn from the {best}: {', '.join(drawn)}")
    results["best"], results["samples"] = best, drawn
    curves = {k: _smooth(results[k]["losses"]) for k in ("mlp", "rnn", "lstm", "transformer")}
    curves["bigram (held-out)"] = (np.array([0, steps - 1]), np.array([b_val, b_val]))
    results["figure"] = figure(out_dir, "sequences_losses.png", plot_loss_curves, curves,
                               title="Training loss per character", xlabel="Step", logy=False)
    note("with the full run every model with context beats the bigram; the corpus was built "
         "from syllables, so the samples should read like its names")
    return results
