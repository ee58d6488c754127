"""Runnable lessons: the tutorials in ``shared/seeds`` as code that runs, prints what the
tutorial prints, saves the figures it shows, and reports its numbers.

    npgrad lesson                       # the list
    npgrad lesson chain-rule            # run one (figures go to --out DIR if given)

    from npgrad import lessons
    result = lessons.run("chain-rule")  # the same, from Python: a dict of results
    lessons.get("perceptron").run(quick=True)

Every lesson module has ``run(out_dir=None, quick=False, data_dir=None) -> dict``:
``out_dir`` is where its PNG figures go (none are written without it), ``quick`` trades
epochs and data for speed (the tests use it), ``data_dir`` is the MNIST root for the lessons
that need it (default: ``$NPGRAD_DATA``, else ``~/.cache/npgrad``).
"""
import difflib
import importlib

__all__ = ["LESSONS", "get", "names", "run"]

#: name -> (module, one-line summary), in teaching order
LESSONS = {
    "perceptron": ("perceptron", "a step-activation neuron learns AND and OR, and cannot learn XOR"),
    "activations": ("activations", "ReLU, sigmoid, tanh, softmax: values, derivatives, the 2x2 plot"),
    "xor-from-scratch": ("xor_from_scratch", "seed 002's NumPy network with hand-written backward on XOR"),
    "chain-rule": ("chain_rule", "dloss/dw = 8 and the new weight 2.92, by hand and by autograd"),
    "autograd": ("autograd_basics", "requires_grad_(), backward(), .grad, and SGD on a quadratic"),
    "engine": ("engine", "the recorded graph, its topological order, and backward run by hand"),
    "write-an-op": ("write_an_op", "a custom autograd.Function (PyTorch's Legendre P3), gradcheck, the graph"),
    "pixel-similarity": ("pixel_similarity", "3s vs 7s by distance to the 'ideal' 3 and 7 (L1, L2)"),
    "seven-steps": ("seven_steps", "init, predict, loss, gradient, step, repeat, stop - on 3s vs 7s"),
    "gradient-descent": ("gradient_descent", "batch vs stochastic vs mini-batch gradient descent"),
    "mnist-mlp": ("mnist_mlp", "the seeds' three MNIST MLPs, and the Adam-in-update() bug"),
    "mnist-augmented": ("mnist_augmented", "seed 003's CropPad + RandomCrop pipeline, batch 128, 3 epochs"),
    "look-inside": ("look_inside", "forward hooks: each layer's activations and gradients"),
    "mnist-cnn": ("mnist_cnn", "a small convolutional network past 99% on MNIST"),
    "second-derivatives": ("second_derivatives", "Newton's method with autograd Hessians vs gradient descent"),
    "sequences": ("sequences", "names, character by character: bigram, MLP, RNN, LSTM, transformer"),
}


def names():
    """The lesson names, in teaching order."""
    return list(LESSONS)


def get(name):
    """The lesson's module (it has ``run``). Unknown names raise KeyError with suggestions."""
    if name not in LESSONS:
        close = difflib.get_close_matches(name, LESSONS, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise KeyError(f"no lesson named {name!r}.{hint} The lessons are: {', '.join(LESSONS)}")
    return importlib.import_module(f".{LESSONS[name][0]}", __name__)


def run(name, out_dir=None, quick=False, data_dir=None):
    """Run lesson ``name`` and return its results."""
    return get(name).run(out_dir=out_dir, quick=quick, data_dir=data_dir)
