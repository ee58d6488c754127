"""``import npgrad as torch`` runs tutorial code unchanged.

Each snippet below is written for PyTorch, in the style of the tutorials in shared/seeds.
It runs twice: as written, and with its imports pointed at npgrad. Everything it stores in
``results`` must agree.
"""
import textwrap

import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad

# seed 003: "xt = tensor(8.).requires_grad_(); yt = f(xt); yt.backward(); xt.grad"
SEED_003_GRADIENT = """
from torch import tensor

def f(x):
    return x**2

xt = tensor(8.).requires_grad_()
yt = f(xt)
yt.backward()
results["scalar_grad"] = xt.grad

def f(x):
    return (x**2).sum()

xt = tensor([3., 4., 10.]).requires_grad_()
yt = f(xt)
yt.backward()
results["vector_grad"] = xt.grad
results["yt"] = yt
"""

# seed 002: the chain rule, dLoss/dw = dLoss/dy * dy/dw, done by autograd
SEED_002_CHAIN_RULE = """
import torch

x = torch.tensor(2.0)
w = torch.tensor(3.0, requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)
y = w * x + b             # y = 7
target = 5.0
loss = (y - target) ** 2  # loss = 4
loss.backward()
results["loss"] = loss.item()
results["dloss_dw"] = w.grad  # 2 (y - target) * x = 8
results["dloss_db"] = b.grad
learning_rate = 0.01
with torch.no_grad():
    w -= learning_rate * w.grad
results["w_new"] = w
"""

# seed 003: the end-to-end SGD example (a quadratic fitted to noisy "speed" data)
SEED_003_SGD = """
import torch

time = torch.arange(0, 20).float()
speed = torch.tensor(noise) * 3 + 0.75 * (time - 9.5) ** 2 + 1
params = torch.tensor(start).requires_grad_()

def f(t, params):
    a, b, c = params
    return a * (t**2) + (b * t) + c

def mse(preds, targets):
    return ((preds - targets) ** 2).mean()

lr = 1e-5
losses = []
for i in range(10):
    preds = f(time, params)
    loss = mse(preds, speed)
    loss.backward()
    params.data -= lr * params.grad.data
    params.grad = None
    losses.append(loss.item())
results["losses"] = losses
results["params"] = params
results["preds"] = f(time, params)
"""

# a hand-written two-layer network on XOR, trained with tensors and autograd only
MANUAL_MLP = """
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32).to(device)
y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
W1 = torch.tensor(w1, requires_grad=True)
b1 = torch.zeros(4, requires_grad=True)
W2 = torch.tensor(w2, requires_grad=True)
b2 = torch.zeros(1, requires_grad=True)
params = [W1, b1, W2, b2]
for epoch in range(30):
    hidden = torch.relu(X @ W1 + b1)
    out = torch.sigmoid(hidden @ W2 + b2)
    loss = -(y * torch.log(out) + (1 - y) * torch.log(1 - out)).mean()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.5 * p.grad
            p.grad.zero_()
results["loss"] = loss.detach()
results["W1"] = W1
results["predictions"] = (out > 0.5).float()
results["accuracy"] = (out.round() == y).float().mean().item()
"""

# fastbook's pixel-similarity baseline: mean images, distances with broadcasting
PIXEL_SIMILARITY = """
import torch

threes = torch.stack([torch.tensor(img) for img in images[:5]]).float() / 255
sevens = torch.stack([torch.tensor(img) for img in images[5:]]).float() / 255
mean3, mean7 = threes.mean(0), sevens.mean(0)

def mnist_distance(a, b):
    return (a - b).abs().mean((-1, -2))

def is_3(x):
    return mnist_distance(x, mean3) < mnist_distance(x, mean7)

results["mean3"] = mean3
results["distances"] = mnist_distance(sevens, mean3)
results["is_3"] = is_3(threes)
results["accuracy"] = is_3(threes).float().mean()
results["shape"] = list(threes.shape)
results["stacked"] = torch.cat([threes.view(-1, 16), sevens.view(-1, 16)]).shape[0]
results["argmax"] = torch.argmax(threes.view(5, -1), dim=1)
results["softmax"] = torch.softmax(threes.view(5, -1) * 4, dim=1)[:, :3]
"""


def _inputs():
    rng = np.random.default_rng(3)
    return {
        "noise": rng.standard_normal(20).astype(np.float32),
        "start": rng.standard_normal(3).astype(np.float32),
        "w1": (rng.standard_normal((2, 4)) * 0.8).astype(np.float32),
        "w2": (rng.standard_normal((4, 1)) * 0.8).astype(np.float32),
        "images": rng.integers(0, 256, (10, 4, 4)).astype(np.uint8),
    }


def _run(source, use_npgrad):
    source = textwrap.dedent(source)
    if use_npgrad:
        source = source.replace("from torch import", "from npgrad import")
        source = source.replace("import torch", "import npgrad as torch")
    results = {}
    namespace = {"results": results, **_inputs()}
    exec(compile(source, "<tutorial>", "exec"), namespace)
    if use_npgrad:  # the snippet really ran on npgrad
        assert namespace.get("torch", npgrad) is npgrad
    return results


@pytest.mark.parametrize(
    "source",
    [SEED_003_GRADIENT, SEED_002_CHAIN_RULE, SEED_003_SGD, MANUAL_MLP, PIXEL_SIMILARITY],
    ids=["seed003_gradient", "seed002_chain_rule", "seed003_sgd", "manual_mlp", "pixel_similarity"],
)
def test_tutorial_code_gives_torchs_results(source):
    ours, theirs = _run(source, True), _run(source, False)
    assert ours.keys() == theirs.keys()
    for key, expected in theirs.items():
        got = ours[key]
        if isinstance(expected, torch.Tensor):
            assert isinstance(got, npgrad.Tensor), key
            assert_same(got, expected, key, rtol=1e-4, atol=1e-5)
        elif isinstance(expected, float) or (isinstance(expected, list) and expected and isinstance(expected[0], float)):
            np.testing.assert_allclose(got, expected, rtol=1e-4, err_msg=key)
        else:
            assert got == expected, key


def test_seed_003_numbers():
    """The values the tutorial prints: d(x²)/dx at 8 is 16; for sum(x²), 2x."""
    results = _run(SEED_003_GRADIENT, True)
    assert results["scalar_grad"].item() == 16.0
    assert results["vector_grad"].tolist() == [6.0, 8.0, 20.0]


def test_seed_002_numbers():
    results = _run(SEED_002_CHAIN_RULE, True)
    assert results["loss"] == 4.0 and results["dloss_dw"].item() == 8.0
    assert results["w_new"].item() == pytest.approx(3.0 - 0.08)
