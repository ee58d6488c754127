"""Lesson 1 — the perceptron (seed 002 "The Perceptron: A Single Neuron", seed 004).

Rosenblatt's perceptron is one neuron with a step activation: output 1 if ``w·x + b > 0``
else 0. Seed 002 builds it with random weights and prints its (random) answers for AND.
Here it also *learns*, by the perceptron learning rule: for each example, nudge the
weights by the error,

    w <- w + lr * (target - output) * x
    b <- b + lr * (target - output)

which changes nothing when the answer is right. If a line can separate the 1s from the 0s
the rule finds one in a finite number of steps (the perceptron convergence theorem). AND
and OR are separable, so they are learned; XOR is not, so the rule cycles for ever.
"""
import numpy as np

from ._common import heading, note

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "XOR": np.array([0, 1, 1, 0]),
}

WHY_NOT_XOR = """\
Why XOR cannot be learned: the perceptron says 1 exactly when w1*x1 + w2*x2 + b > 0, i.e.
on one side of a straight line. XOR needs
    (0,1) -> 1:  w2 + b > 0          (1,0) -> 1:  w1 + b > 0
    (0,0) -> 0:  b <= 0              (1,1) -> 0:  w1 + w2 + b <= 0
Adding the first two gives w1 + w2 + 2b > 0, so w1 + w2 + b > -b >= 0: the fourth fails.
No line puts (0,1) and (1,0) on one side and (0,0) and (1,1) on the other, so the learning
rule keeps fixing one mistake by making another. A hidden layer fixes this (lesson
xor-from-scratch): two lines, combined by a second neuron."""


class Perceptron:
    """A single neuron (seed 002), with the perceptron learning rule added."""

    def __init__(self, n_inputs, rng):
        # Initialize random weights and bias
        self.weights = rng.standard_normal(n_inputs)
        self.bias = rng.standard_normal()

    def forward(self, x):
        """Calculate output"""
        # Weighted sum + bias
        z = np.dot(x, self.weights) + self.bias
        # Activation function (step function)
        return 1 if z > 0 else 0

    def train(self, X, y, epochs=100, lr=0.1):
        """The perceptron learning rule; returns the epochs it took (None if it never
        got every example right)."""
        for epoch in range(1, epochs + 1):
            mistakes = 0
            for inputs, target in zip(X, y):
                error = target - self.forward(inputs)
                if error:
                    self.weights += lr * error * inputs
                    self.bias += lr * error
                    mistakes += 1
            if mistakes == 0:
                return epoch
        return None


def truth_table(p, X, y):
    rows = []
    for inputs, expected in zip(X, y):
        output = p.forward(inputs)
        print(f"{inputs} -> {output} (expected: {expected})")
        rows.append(output)
    return rows


def run(out_dir=None, quick=False, data_dir=None, seed=0):
    rng = np.random.default_rng(seed)
    heading("Seed 002: a perceptron with random weights, before any training (AND)")
    perceptron = Perceptron(2, rng)
    truth_table(perceptron, X, GATES["AND"])
    note("random weights: right only by chance")

    results = {}
    for gate, y in GATES.items():
        heading(f"Training on {gate} with the perceptron learning rule (lr 0.1, up to 100 epochs)")
        p = Perceptron(2, rng)
        epochs = p.train(X, y, epochs=100, lr=0.1)
        table = truth_table(p, X, y)
        correct = int(sum(int(a == b) for a, b in zip(table, y)))
        learned = correct == 4
        if learned:
            print(f"learned {gate} in {epochs} epoch{'s' * (epochs != 1)}: "
                  f"w = {np.round(p.weights, 3)}, "
                  f"b = {p.bias:.3f}")
        else:
            print(f"{gate} NOT learned after 100 epochs: {correct} of 4 right")
        results[gate] = {"outputs": table, "learned": learned, "epochs": epochs,
                         "correct": correct, "weights": p.weights.tolist(), "bias": float(p.bias)}

    # XOR: however long we train, at most 3 of the 4 rows come out right
    heading("XOR, from 20 random starts, 1000 epochs each")
    best = 0
    for _ in range(20):
        p = Perceptron(2, rng)
        p.train(X, GATES["XOR"], epochs=1000, lr=0.1)
        best = max(best, sum(p.forward(x) == t for x, t in zip(X, GATES["XOR"])))
    print(f"best of 20 runs: {best} of 4 rows right")
    results["XOR"]["best_of_20"] = int(best)
    print()
    print(WHY_NOT_XOR)
    results["why_not_xor"] = WHY_NOT_XOR
    return results
