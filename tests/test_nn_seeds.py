"""The seeds' model definitions (../shared/seeds/) run as written with ``import npgrad as torch``.

Each model's source is the tutorial's text (only the blog's lost indentation restored); it is
executed once under torch's imports and once under npgrad's. With torch's initial weights
copied in, both train identically: same losses step by step, same final weights.
"""
import numpy as np
import pytest
import torch

TORCH_HEADER = """
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
"""
NPGRAD_HEADER = """
import npgrad as torch
import npgrad.nn as nn
import npgrad.nn.functional as F
import npgrad.optim as optim
"""

# seed 001 (and 000 with super().__init__(), which 000's text forgets: see test_nn_module)
MNIST_NN = """
class Mnist_NN(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin1 = nn.Linear(784, 50, bias=True)
        self.lin2 = nn.Linear(50, 10, bias=True)

    def forward(self, xb):
        x = self.lin1(xb)
        x = F.relu(x)
        return self.lin2(x)
"""

# seed 002, "Neural Networks with PyTorch"
SIMPLE_NN_XOR = """
class SimpleNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(SimpleNN, self).__init__()
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.layer2 = nn.Linear(hidden_size, output_size)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        x = self.sigmoid(x)
        return x
"""

# seed 002, "Choosing Activations"
MODERN_NETWORK = """
class ModernNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(784, 256),
            nn.ReLU(),           # ReLU for hidden layers
            nn.Dropout(0.2),     # Regularization
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
            # No activation here if using CrossEntropyLoss
            # Or use Softmax for multi-class classification
        )

    def forward(self, x):
        return self.layers(x)
"""

# seed 002, "Complete Example: MNIST Digit Classification"
MNIST_CLASSIFIER = """
class MNISTClassifier(nn.Module):
    def __init__(self):
        super(MNISTClassifier, self).__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(28 * 28, 256),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.layers(x)
"""

# seed 004 (its one-line text, re-broken into lines)
SIMPLE_NN_004 = """
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(784, 128), # Input: 28x28 = 784 pixels
            nn.ReLU(), # Activation function
            nn.Linear(128, 64), # Hidden layer
            nn.ReLU(),
            nn.Linear(64, 10), # Output: 10 digit classes
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.layers(x)
"""


def define(source, header):
    namespace = {}
    exec(compile(header + source, "<seed>", "exec"), namespace)
    return namespace


def twins(source, name, *args):
    """The seed's class built in torch and in npgrad, npgrad holding torch's weights."""
    torch.manual_seed(0)
    t_ns, n_ns = define(source, TORCH_HEADER), define(source, NPGRAD_HEADER)
    theirs, ours = t_ns[name](*args), n_ns[name](*args)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    return ours, theirs, n_ns, t_ns


def train_side_by_side(ours, theirs, n_ns, t_ns, x, y, loss_name, steps, lr=1e-3):
    """Seed-style loop (zero_grad, forward, loss, backward, step) in both; compare losses."""
    losses = {"ours": [], "theirs": []}
    for model, ns, key in ((ours, n_ns, "ours"), (theirs, t_ns, "theirs")):
        lib = ns["torch"]
        criterion = getattr(ns["nn"], loss_name)()
        optimizer = ns["optim"].Adam(model.parameters(), lr=lr)
        xb, yb = lib.tensor(x), lib.tensor(y)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses[key].append(loss.item())
    return np.array(losses["ours"]), np.array(losses["theirs"])


def mnist_like_batch(shape, n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + shape).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)


@pytest.mark.parametrize(
    "source,name,shape",
    [
        (MNIST_NN, "Mnist_NN", (784,)),
        (MODERN_NETWORK, "ModernNetwork", (784,)),
        (MNIST_CLASSIFIER, "MNISTClassifier", (1, 28, 28)),
        (SIMPLE_NN_004, "SimpleNN", (1, 28, 28)),
    ],
    ids=["Mnist_NN", "ModernNetwork", "MNISTClassifier", "SimpleNN_004"],
)
def test_mnist_models_train_like_torch(source, name, shape):
    ours, theirs, n_ns, t_ns = twins(source, name)
    ours.eval(), theirs.eval()  # dropout off: both runs must then agree step by step
    x, y = mnist_like_batch(shape)
    l_ours, l_theirs = train_side_by_side(ours, theirs, n_ns, t_ns, x, y, "CrossEntropyLoss", steps=8)
    np.testing.assert_allclose(l_ours, l_theirs, rtol=1e-4)
    assert l_ours[-1] < l_ours[0]
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        # Adam moves each weight by about lr per step whatever the gradient's size, so a
        # gradient near 0 may differ in sign by rounding: allow a tenth of lr.
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-4, err_msg=k)
    # and in training mode (dropout on) the seed's loop runs and learns
    ours.train()
    optimizer = n_ns["optim"].Adam(ours.parameters(), lr=1e-3)
    first = None
    for _ in range(10):
        optimizer.zero_grad()
        loss = n_ns["nn"].CrossEntropyLoss()(ours(n_ns["torch"].tensor(x)), n_ns["torch"].tensor(y))
        loss.backward()
        optimizer.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first


def test_seed_002_xor_program_matches_torch():
    """The XOR program of seed 002: SimpleNN(2, 4, 1), BCELoss, Adam(lr=0.1)."""
    ours, theirs, n_ns, t_ns = twins(SIMPLE_NN_XOR, "SimpleNN", 2, 4, 1)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    l_ours, l_theirs = train_side_by_side(ours, theirs, n_ns, t_ns, X, y, "BCELoss", steps=300, lr=0.1)
    np.testing.assert_allclose(l_ours[:100], l_theirs[:100], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(l_ours, l_theirs, rtol=1e-2, atol=1e-4)
    lib = n_ns["torch"]
    with lib.no_grad():
        predictions = ours(lib.tensor(X, dtype=lib.float32))
    assert predictions.numpy().shape == (4, 1) and predictions.grad_fn is None
