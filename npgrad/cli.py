"""The ``npgrad`` command: train, evaluate and use an MNIST classifier; run the lessons.

    npgrad train [--model mlp] [--epochs 3] [--out runs/mlp]     train, save, report
    npgrad eval runs/mlp/model.safetensors                        test-set accuracy
    npgrad predict runs/mlp/model.safetensors digit.png           the digit and its probabilities
    npgrad lesson                                                 list the lessons
    npgrad lesson chain-rule [--out docs/]                        run one

Also ``python -m npgrad ...``. Every subcommand has ``--help``. Mistakes a user can make (a
bad flag value, a path that cannot be used, missing or corrupt MNIST files, an unreadable
model file, an image that is not an image) end with one short message on stderr and exit
status 2, never a traceback; a run that worked exits 0. Every path is checked before any
work starts, and ``train`` writes its results into a hidden temporary folder that is renamed
to ``--out`` only when everything is written, so ``--out`` never holds half a run.
"""
import argparse
import json
import os
import shutil
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
    train.add_argument("--tensorboard", default=None, metavar="DIR",
                       help="also log loss, lr and metrics for TensorBoard into DIR (needs tensorboard)")

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
    _add_export_parser(sub, MODELS)
    _add_serve_parser(sub)
    return parser


def _version():
    from . import __version__

    return __version__


# ---------------------------------------------------------------------- paths, checked first
def _nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_folder(path, flag, must_exist=False):
    """A folder we will create or write into: it is a folder (or can be created: its nearest
    existing ancestor is a writable folder). Raises ``UsageError`` naming the flag."""
    if not str(path).strip():
        raise UsageError(f"{flag}: the path is empty")
    path = os.path.expanduser(os.fspath(path))
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise UsageError(f"{flag} {path}: exists and is not a folder")
        return path
    if must_exist:
        raise UsageError(f"{flag} {path}: no such folder")
    anchor = _nearest_existing(path)
    if not os.path.isdir(anchor):
        raise UsageError(f"{flag} {path}: cannot be created, because {anchor} is a file")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: cannot be created, because {anchor} is not writable")
    return path


def check_writable_folder(path, flag):
    path = check_folder(path, flag)
    if os.path.isdir(path) and not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: the folder is not writable")
    _probe(path if os.path.isdir(path) else _nearest_existing(path), path, flag)
    return path


def _probe(folder, path, flag):
    """Really create (and remove) an empty folder in ``folder``: os.access cannot see a
    read-only file system, /proc, or a full quota, and says yes to root everywhere."""
    import tempfile

    try:
        os.rmdir(tempfile.mkdtemp(prefix=".npgrad-probe-", dir=folder))
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {folder} ({exc.strerror})") from None


def check_file_out(path, flag):
    """A file we will write: not a folder, and its folder can be written or created."""
    path = os.path.expanduser(os.fspath(path))
    if not path.strip():
        raise UsageError(f"{flag}: the path is empty")
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a folder, expected a file name")
    folder = os.path.dirname(os.path.abspath(path))
    check_writable_folder(folder, flag)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path}: the file is not writable")
    return path


def check_file_in(path, what):
    path = os.path.expanduser(os.fspath(path))
    if not os.path.exists(path):
        raise UsageError(f"{what} not found: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{what} {path} is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{what} {path} is not readable")
    return path


def check_data_dir(args):
    """--data-dir (or $NPGRAD_DATA / ~/.cache/npgrad when it is not given): a folder that
    exists, or that --download can create and write."""
    if getattr(args, "data_dir", None) is None:
        if getattr(args, "download", False):
            from .train.data import data_root

            check_writable_folder(data_root(None), "the data folder ($NPGRAD_DATA or ~/.cache/npgrad)")
        return
    if getattr(args, "download", False):
        check_writable_folder(args.data_dir, "--data-dir")
    else:
        check_folder(args.data_dir, "--data-dir", must_exist=True)


def validate(args):
    """Check every path the command will read or write, before any work."""
    check_data_dir(args)
    if args.command == "train":
        args.out = args.out if args.out is not None else os.path.join("runs", args.model)
        check_writable_folder(args.out, "--out")
    elif args.command in ("eval", "predict", "export") or (
            args.command == "serve" and args.model_file is not None):
        check_file_in(args.model_file, "model file")
    if args.command == "serve":
        check_file_out(args.out, "--out")  # where a model trained from the page is saved
    if args.command == "export":
        check_file_out(args.onnx_file, "the ONNX file")
    if getattr(args, "tensorboard", None):
        check_writable_folder(args.tensorboard, "--tensorboard")
    if args.command == "predict":
        for image in args.images:
            if os.path.isdir(image):
                raise UsageError(f"{image} is a folder, not an image")
            if not os.path.exists(image):
                raise UsageError(f"image not found: {image}")
    if args.command == "lesson":
        if args.out is not None:
            check_writable_folder(args.out, "--out")
        if args.results is not None:
            check_file_out(args.results, "--results")


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
    out = args.out
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
                    progress=par.main and not args.no_progress, verbose=par.main,
                    callbacks=_tensorboard_callbacks(args.tensorboard if par.main else None))
    start = time.perf_counter()
    learn.fit_one_cycle(args.epochs)  # the peak lr is the Learner's (given once, above)
    seconds = time.perf_counter() - start
    if not par.main:
        return 0  # rank 0 alone writes the run folder
    final = learn.history.epochs[-1]
    print(f"accuracy: {final['accuracy']:.4f}")

    with staging_folder(out) as stage:
        names = ["model.safetensors", "history.csv"]
        save_checkpoint(model, args.model, os.path.join(stage, "model.safetensors"))
        learn.history.save_csv(os.path.join(stage, "history.csv"))
        try:
            from .train.plots import plot_losses

            plot_losses(learn.history.losses, os.path.join(stage, "loss.png"),
                        title=f"npgrad train --model {args.model}: loss per batch")
            names.append("loss.png")
        except ImportError as exc:
            print(f"loss.png not written: {exc}", file=sys.stderr)
        names.append("run.json")
        _write_json(_run_record(args, lr, out, final, seconds, learn, test_dl, par.world),
                    os.path.join(stage, "run.json"))
    written = [os.path.join(out, n) for n in names]
    print(f"trained in {seconds:.1f}s; wrote " + ", ".join(written))
    return 0


def _run_record(args, lr, out, final, seconds, learn, test_dl, processes):
    settings = {k: getattr(args, k) for k in ("model", "epochs", "batch_size", "optimizer",
                                              "seed", "data_dir", "subset")}
    settings.update(lr=lr, schedule="1cycle (OneCycleLR)", out=out)
    settings["processes"] = processes
    run = {"settings": settings,
           "results": {"accuracy": final["accuracy"], "valid_loss": final["valid_loss"],
                       "train_seconds": seconds, "test_images": len(test_dl.dataset),
                       "epochs": learn.history.epochs},
           "npgrad": _version(), "python": sys.version.split()[0], "numpy": _numpy_version()}
    return run


class staging_folder:
    """``with staging_folder(out) as stage:`` - write a run's files into ``stage``, a hidden
    sibling of ``out`` (``.NAME.npgrad-tmp-PID-XXXX``), renamed to ``out`` when the block
    ends without error, and deleted when it fails. A previous ``out`` is replaced whole."""

    def __init__(self, out):
        from ._atomic import remove_stale, temp_name

        self.out = os.path.realpath(out)  # a symlinked --out: the run lands in its target
        parent = os.path.dirname(self.out)
        os.makedirs(parent, exist_ok=True)
        remove_stale(parent)  # the staging folders of runs that were killed
        self.stage = temp_name(self.out)

    def __enter__(self):
        os.mkdir(self.stage)
        return self.stage

    def __exit__(self, kind, exc, tb):
        if kind is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            return False
        from ._atomic import temp_name

        old = None
        if os.path.isdir(self.out):
            old = temp_name(self.out)
            os.rename(self.out, old)
        try:
            os.rename(self.stage, self.out)
        except BaseException:
            if old is not None:
                os.rename(old, self.out)
            shutil.rmtree(self.stage, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False


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

    check_file_in(path, "model file")
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

    from ._creation import from_numpy
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
            logits = model(from_numpy(x))._data[0].astype(np.float64)
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


def user_errors():
    """Every npgrad error class a user's input can cause: caught in ``main``, printed as one
    message, exit status 2."""
    from ._errors import CorruptFileError  # corrupt data files and checkpoints
    from .train.data import DataNotFoundError
    from .train.image import ImageError
    from .vision.datasets.download import DownloadError
    from .vision.datasets.mnist import DatasetNotFoundError

    return (UsageError, DataNotFoundError, DatasetNotFoundError, DownloadError,
            CorruptFileError, ImageError)


# ---------------------------------------------------------------------- export (ONNX), --tensorboard
def _add_export_parser(sub, models):
    ex = sub.add_parser("export", help="write a saved model as ONNX",
                        description="Export a model saved by 'npgrad train' to ONNX (needs the "
                                    "onnx package: pip install 'npgrad[onnx]'). The ONNX model "
                                    "takes 'input' (N, 1, 28, 28) normalised images, any N, and "
                                    "returns 'output' (N, 10) logits.")
    ex.add_argument("model_file", metavar="MODEL", help="a .safetensors file from 'npgrad train'")
    ex.add_argument("onnx_file", metavar="OUT", help="the .onnx file to write")
    ex.add_argument("--model", default=None, choices=list(models),
                    help="architecture, only needed for a file of bare weights")
    ex.add_argument("--opset", type=_positive_int, default=17, help="ONNX opset (default: 17)")


def cmd_export(args):
    from .onnx import OnnxExporterError
    from .onnx.checkpoint import export_checkpoint

    model, name, normalize = _load_model(args.model_file, args.model)
    try:
        export_checkpoint(model, name, normalize, args.onnx_file, args.opset)
    except (ValueError, OSError, KeyError, ImportError, OnnxExporterError) as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {args.onnx_file} ({name}; input 'input' (N, 1, 28, 28), output 'output' (N, 10))")
    return 0


def _tensorboard_callbacks(log_dir):
    if not log_dir:
        return ()
    from .train.callbacks import TensorBoardCallback

    try:
        return (TensorBoardCallback(log_dir),)
    except ImportError as exc:
        raise UsageError(str(exc)) from None


COMMANDS["export"] = cmd_export


# ---------------------------------------------------------------------- serve
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `npgrad`: a short usage, not the whole help
        print(parser.format_usage().rstrip() + f"\ncommands: {', '.join(COMMANDS)}. "
              "Run 'npgrad --help' or 'npgrad COMMAND --help' for more.", file=sys.stderr)
        return USAGE_ERROR
    try:
        validate(args)
        return COMMANDS[args.command](args)
    except user_errors() as exc:
        print(f"npgrad {args.command}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:  # permissions, a full disk, a folder removed mid-run
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"npgrad {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
