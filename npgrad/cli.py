"""The ``npgrad`` command: train, evaluate and use an MNIST classifier; run the lessons.

    npgrad train [--model mlp] [--epochs 3] [--out runs/mlp]     train, save, report
    npgrad eval runs/mlp/model.safetensors                        test-set accuracy
    npgrad predict runs/mlp/model.safetensors digit.png           the digit and its probabilities
    npgrad lesson                                                 list the lessons
    npgrad lesson chain-rule [--out docs/]                        run one

Also ``python -m npgrad ...``. Every subcommand has ``--help``. Mistakes a user can make (a
bad flag value, missing MNIST files, an unreadable model file, an image that is not an
image) end with a message on stderr and exit status 2; a run that worked exits 0.
"""
import argparse
import json
import os
import sys
import time

__all__ = ["main"]

USAGE_ERROR = 2


class UsageError(Exception):
    """A problem with the user's input: printed without a traceback, exit status 2."""


# ---------------------------------------------------------------------- argument types
def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


# ---------------------------------------------------------------------- the parser
DATA_HELP = ("folder holding MNIST/raw/*-ubyte.gz (torchvision's layout); default: "
             "$NPGRAD_DATA, else ~/.cache/npgrad")


def build_parser():
    from .train.zoo import MODELS

    parser = argparse.ArgumentParser(
        prog="npgrad", description="npgrad: train and use MNIST classifiers, run the lessons.",
        epilog="Run 'npgrad COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"npgrad {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    models = ", ".join(f"{k} ({v[1]})" for k, v in MODELS.items())
    train = sub.add_parser(
        "train", help="train an MNIST classifier and save it",
        description="Train a classifier on MNIST's 60,000 training images with Adam (or SGD) "
                    "and the 1cycle learning-rate schedule, then test it on the 10,000 test "
                    "images. Prints 'accuracy: 0.9812' at the end and writes into --out: "
                    "model.safetensors (weights + model name), history.csv (one row per epoch), "
                    "loss.png (loss per batch; needs matplotlib) and run.json (settings and "
                    "results).",
        epilog=f"Models: {models}.")
    train.add_argument("--model", default="mlp", choices=list(MODELS), help="which network (default: mlp)")
    train.add_argument("--epochs", type=_positive_int, default=3, help="passes over the training set (default: 3)")
    train.add_argument("--batch-size", type=_positive_int, default=128, help="images per step (default: 128)")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="peak learning rate of the 1cycle schedule (default: 3e-3 for adam, 0.1 for sgd)")
    train.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="default: adam")
    train.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    train.add_argument("--data-dir", default=None, help=DATA_HELP)
    train.add_argument("--download", action="store_true", help="download MNIST if it is missing")
    train.add_argument("--out", default=None, help="output folder (default: runs/MODEL)")
    train.add_argument("--subset", type=_positive_int, default=None, metavar="N",
                       help="use only the first N training and test images (for quick checks "
                            "and tests; the accuracy is then not comparable)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")

    ev = sub.add_parser("eval", help="test a saved model on MNIST's test set",
                        description="Load a model saved by 'npgrad train' and print its accuracy "
                                    "on the 10,000 MNIST test images as 'accuracy: 0.9812', "
                                    "then the accuracy of each digit.")
    ev.add_argument("model_file", metavar="MODEL", help="a .safetensors file from 'npgrad train'")
    ev.add_argument("--model", default=None, choices=list(MODELS),
                    help="architecture, only needed for a file of bare weights")
    ev.add_argument("--data-dir", default=None, help=DATA_HELP)
    ev.add_argument("--download", action="store_true", help="download MNIST if it is missing")
    ev.add_argument("--batch-size", type=_positive_int, default=1000, help="default: 1000")
    ev.add_argument("--subset", type=_positive_int, default=None, metavar="N",
                    help="only the first N test images")

    pr = sub.add_parser(
        "predict", help="read a digit from a PNG",
        description="Print the digit a saved model sees in each image, and its ten "
                    "probabilities. Any size and colour works: the image is made grayscale "
                    "(transparent parts count as white); if its border is mostly light it is "
                    "inverted, since MNIST digits are white on black; an image that is not "
                    "28x28 is cropped to its ink, scaled to fit 20x20 and centred in 28x28 by "
                    "its centre of mass, as MNIST's digits were. Needs Pillow.")
    pr.add_argument("model_file", metavar="MODEL", help="a .safetensors file from 'npgrad train'")
    pr.add_argument("images", metavar="IMAGE", nargs="+", help="PNG (or any format Pillow reads)")
    pr.add_argument("--model", default=None, choices=list(MODELS),
                    help="architecture, only needed for a file of bare weights")

    le = sub.add_parser("lesson", help="list the lessons, or run one",
                        description="Without NAME: list the lessons. With NAME: run it, printing "
                                    "what the tutorial prints and its results.")
    le.add_argument("name", nargs="?", metavar="NAME", help="the lesson to run")
    le.add_argument("--out", default=None, help="save the lesson's figures (PNG) in this folder")
    le.add_argument("--quick", action="store_true", help="fewer epochs and less data (seconds, not minutes)")
    le.add_argument("--data-dir", default=None, help=DATA_HELP)
    le.add_argument("--download", action="store_true",
                    help="download MNIST first if it is missing (lessons 6-12 need it)")
    le.add_argument("--results", default=None, metavar="FILE", help="also write the results as JSON")
    _add_serve_parser(sub)  # issue 16
    return parser


def _version():
    from . import __version__

    return __version__


# ---------------------------------------------------------------------- train
def _loaders(data_dir, download, batch_size, subset, train=True, test_batch_size=1000):
    from .train.data import mnist
    from .vision.datasets.mnist import MNIST_MEAN, MNIST_STD
    from .utils.data import DataLoader, Subset
    from .vision import transforms

    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    test = mnist(data_dir, train=False, transform=transform, download=download)
    if subset:
        test = Subset(test, range(min(subset, len(test))))
    test_dl = DataLoader(test, batch_size=test_batch_size)
    if not train:
        return None, test_dl
    train_ds = mnist(data_dir, train=True, transform=transform, download=download)
    if subset:
        train_ds = Subset(train_ds, range(min(subset, len(train_ds))))
    return DataLoader(train_ds, batch_size=batch_size, shuffle=True), test_dl


def cmd_train(args):
    from . import manual_seed, nn, optim
    from .train import Learner, accuracy
    from .train.checkpoint import save_checkpoint
    from .train.zoo import build

    lr = args.lr if args.lr is not None else (3e-3 if args.optimizer == "adam" else 0.1)
    out = args.out or os.path.join("runs", args.model)
    manual_seed(args.seed)
    train_dl, test_dl = _loaders(args.data_dir, args.download, args.batch_size, args.subset)
    model = build(args.model)
    from .train.distributed import prepare  # mpiexec -n N: DDP, rank 0 prints and writes
    try:
        par = prepare(model, train_dl, args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not par.main:
        sys.stdout = open(os.devnull, "w")
    if args.optimizer == "adam":
        opt_func = optim.Adam
    else:
        def opt_func(params, lr):
            return optim.SGD(params, lr=lr, momentum=0.9)
    print(f"training {args.model} on {len(train_dl.dataset)} images: {args.epochs} "
          f"epoch{'s' * (args.epochs != 1)}, "
          f"batch {args.batch_size}, {args.optimizer} with 1cycle to lr {lr:g}, seed {args.seed}"
          f"{par.describe()}", flush=True)
    learn = Learner(par.model, par.train_dl, test_dl if par.main else None, nn.CrossEntropyLoss(),
                    opt_func=opt_func, lr=lr, metrics=[accuracy],
                    progress=par.main and not args.no_progress, verbose=par.main)
    start = time.perf_counter()
    learn.fit_one_cycle(args.epochs, lr)
    seconds = time.perf_counter() - start
    if not par.main:
        return 0  # rank 0 alone writes the run folder
    final = learn.history.epochs[-1]
    print(f"accuracy: {final['accuracy']:.4f}")

    os.makedirs(out, exist_ok=True)
    written = [save_checkpoint(model, args.model, os.path.join(out, "model.safetensors")),
               learn.history.save_csv(os.path.join(out, "history.csv"))]
    try:
        from .train.plots import plot_losses

        written.append(plot_losses(learn.history.losses, os.path.join(out, "loss.png"),
                                   title=f"npgrad train --model {args.model}: loss per batch"))
    except ImportError as exc:
        print(f"loss.png not written: {exc}", file=sys.stderr)
    settings = {k: getattr(args, k) for k in ("model", "epochs", "batch_size", "optimizer",
                                              "seed", "data_dir", "subset")}
    settings.update(lr=lr, schedule="1cycle (OneCycleLR)", out=out)
    settings["processes"] = par.world
    run = {"settings": settings,
           "results": {"accuracy": final["accuracy"], "valid_loss": final["valid_loss"],
                       "train_seconds": seconds, "test_images": len(test_dl.dataset),
                       "epochs": learn.history.epochs},
           "npgrad": _version(), "python": sys.version.split()[0], "numpy": _numpy_version()}
    written.append(_write_json(run, os.path.join(out, "run.json")))
    print(f"trained in {seconds:.1f}s; wrote " + ", ".join(written))
    return 0


def _numpy_version():
    import numpy

    return numpy.__version__


def _write_json(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, default=_jsonable)
        f.write("\n")
    return path


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# ---------------------------------------------------------------------- eval / predict
def _load_model(path, name):
    from .train.checkpoint import load_checkpoint

    if not os.path.isfile(path):
        raise UsageError(f"model file not found: {path}")
    try:
        return load_checkpoint(path, name)
    except (ValueError, OSError, KeyError) as exc:
        raise UsageError(f"cannot read model file {path}: {exc}") from None


def cmd_eval(args):
    import numpy as np

    from .train import Learner, accuracy
    from .train.metrics import confusion_matrix
    from . import nn

    model, name, normalize = _load_model(args.model_file, args.model)
    _, test_dl = _loaders(args.data_dir, args.download, None, args.subset, train=False,
                          test_batch_size=args.batch_size)
    learn = Learner(model, None, test_dl, nn.CrossEntropyLoss(), metrics=[accuracy], progress=False)
    preds, targets = learn.get_preds()
    acc = accuracy(preds, targets)
    print(f"model: {name} ({args.model_file}), {len(targets)} test images")
    print(f"accuracy: {acc:.4f}")
    cm = confusion_matrix(preds, targets, num_classes=10)
    per_digit = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
    print("per digit: " + "  ".join(f"{d}: {a:.3f}" for d, a in enumerate(per_digit)))
    return 0


def cmd_predict(args):
    import numpy as np

    from ._tensor import Tensor
    from .autograd.grad_mode import no_grad
    from .train.image import ImageError, load_digit

    model, _, (mean, std) = _load_model(args.model_file, args.model)
    for path in args.images:
        try:
            pixels = load_digit(path)
        except ImageError as exc:
            raise UsageError(str(exc)) from None
        x = ((pixels - np.float32(mean)) / np.float32(std)).astype(np.float32)[None, None]
        with no_grad():
            logits = model(Tensor._make(x, None))._data[0].astype(np.float64)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        digit = int(probs.argmax())
        print(f"{path}: {digit}")
        print("  " + "  ".join(f"{d}: {p:.4f}" for d, p in enumerate(probs)))
    return 0


# ---------------------------------------------------------------------- lesson
def cmd_lesson(args):
    from . import lessons

    if args.name is None:
        print("Lessons (run one with: npgrad lesson NAME [--out DIR] [--quick]):")
        for i, (name, (_, summary)) in enumerate(lessons.LESSONS.items(), 1):
            print(f"  {i:>2}. {name:<18} {summary}")
        return 0
    try:
        module = lessons.get(args.name)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    if args.download:
        from .train.data import mnist

        mnist(args.data_dir, train=True, download=True)
    result = module.run(out_dir=args.out, quick=args.quick, data_dir=args.data_dir)
    if args.results:
        folder = os.path.dirname(args.results)
        if folder:
            os.makedirs(folder, exist_ok=True)
        _write_json(result, args.results)
        print(f"results written to {args.results}")
    return 0


COMMANDS = {"train": cmd_train, "eval": cmd_eval, "predict": cmd_predict, "lesson": cmd_lesson}


# ---------------------------------------------------------------------- serve (issue 16)
def _add_serve_parser(sub):
    se = sub.add_parser(
        "serve", help="a local web page: draw a digit, look inside the model, watch it learn",
        description="Start a web app on this machine: draw a digit and see the model's "
                    "prediction, its ten probabilities, each layer's activations and a saliency "
                    "map as you draw; train a model from the page with live loss and accuracy "
                    "curves. Without MODEL the page offers to train the default MLP. Runs on "
                    "the standard library's HTTP server; needs Pillow to scale drawings.")
    se.add_argument("model_file", metavar="MODEL", nargs="?", default=None,
                    help="a .safetensors file from 'npgrad train' (optional)")
    se.add_argument("--port", type=_non_negative_int, default=8000,
                    help="TCP port (default: 8000; 0 picks a free one)")
    se.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default: 127.0.0.1, this machine only)")
    se.add_argument("--data-dir", default=None, help=DATA_HELP + " (for training from the page)")
    se.add_argument("--out", default=os.path.join("runs", "serve", "model.safetensors"),
                    help="where a model trained from the page is saved "
                         "(default: runs/serve/model.safetensors)")
    se.add_argument("--verbose", action="store_true", help="log every request")


def cmd_serve(args):
    from .serve import serve
    from .train.image import _pillow, ImageError

    try:
        _pillow()
    except ImageError as exc:
        raise UsageError(str(exc)) from None
    if args.port > 65535:
        raise UsageError(f"--port must be at most 65535, got {args.port}")
    if args.model_file is not None:
        _load_model(args.model_file, None)  # a clear message for a bad file, before serving
    try:
        serve(args.model_file, host=args.host, port=args.port, data_dir=args.data_dir,
              save_to=args.out, verbose=args.verbose,
              ready=lambda message: print(message, flush=True))
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    return 0


COMMANDS["serve"] = cmd_serve


def main(argv=None):
    """Entry point of the ``npgrad`` console script; returns the exit status."""
    from .train.data import DataNotFoundError
    from .vision.datasets.download import DownloadError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    try:
        return COMMANDS[args.command](args)
    except (UsageError, DataNotFoundError, DownloadError) as exc:
        print(f"npgrad {args.command}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
