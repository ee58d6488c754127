"""The ``npgrad`` command, run as a user runs it: a subprocess (``python -m npgrad``), its
exit status, stdout, stderr and the files it writes."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import npgrad
from npgrad.train.data import mnist_arrays

from conftest import DATA, requires_mnist
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def npgrad_cmd(*args, env=None, cwd=None):
    full_env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    return subprocess.run([sys.executable, "-m", "npgrad", *map(str, args)], capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny training run shared by the eval and predict tests."""
    out = tmp_path_factory.mktemp("run")
    result = npgrad_cmd("train", "--epochs", "2", "--subset", "3000", "--batch-size", "64",
                        "--data-dir", DATA, "--out", out, "--seed", "1")
    return result, out


@requires_mnist
def test_train_writes_model_history_plot_and_settings(trained):
    result, out = trained
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()
    accuracy_line = [line for line in last if line.startswith("accuracy: ")]
    assert len(accuracy_line) == 1
    acc = float(accuracy_line[0].split()[1])
    assert 0.8 < acc <= 1.0 and len(accuracy_line[0].split()[1]) == 6  # accuracy: 0.9123
    assert sorted(os.listdir(out)) == ["history.csv", "loss.png", "model.safetensors", "run.json"]
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[-1]["accuracy"]) == pytest.approx(acc, abs=1e-4)
    run = json.load(open(out / "run.json"))
    assert run["settings"]["model"] == "mlp" and run["settings"]["epochs"] == 2
    assert run["settings"]["batch_size"] == 64 and run["settings"]["lr"] == 3e-3
    assert run["results"]["accuracy"] == pytest.approx(acc, abs=1e-4)
    assert open(out / "loss.png", "rb").read(4) == b"\x89PNG"


@requires_mnist
def test_saved_model_is_a_safetensors_file_with_its_name(trained):
    from safetensors.numpy import load_file

    _, out = trained
    tensors = load_file(str(out / "model.safetensors"))
    assert tensors["state_dict.1.weight"].shape == (256, 784)
    ckpt = npgrad.load(out / "model.safetensors")
    assert ckpt["model"] == "mlp" and ckpt["format"] == "npgrad-mnist"


@requires_mnist
def test_eval_recomputes_the_accuracy(trained):
    from npgrad.train.checkpoint import load_checkpoint

    _, out = trained
    result = npgrad_cmd("eval", out / "model.safetensors", "--data-dir", DATA)
    assert result.returncode == 0, result.stderr
    acc = float([l for l in result.stdout.splitlines() if l.startswith("accuracy: ")][0].split()[1])
    model, _, (mean, std) = load_checkpoint(out / "model.safetensors")
    x, y = mnist_arrays(DATA, train=False, flatten=False)
    with npgrad.no_grad():
        pred = model(npgrad.tensor(((x - mean) / std)[:, None].astype(np.float32))).argmax(1).numpy()
    assert acc == pytest.approx(float((pred == y).mean()), abs=3e-4)  # rounding may flip a tie
    assert "per digit: 0: " in result.stdout


@requires_mnist
def test_predict_reads_digits_of_any_size_and_colour(trained, tmp_path):
    from PIL import Image

    _, out = trained
    x, y = mnist_arrays(DATA, train=False, flatten=False)
    plain = tmp_path / "plain.png"
    Image.fromarray(np.uint8(x[0] * 255)).save(plain)
    # black ink on white paper, RGB, 120 x 90: inverted, cropped, rescaled, centred
    paper = tmp_path / "paper.png"
    Image.fromarray(np.uint8((1 - x[1]) * 255)).resize((120, 90)).convert("RGB").save(paper)
    result = npgrad_cmd("predict", out / "model.safetensors", plain, paper)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{plain}: {y[0]}" and lines[2] == f"{paper}: {y[1]}"
    probs = [float(item.split(": ")[1]) for item in lines[1].split("  ") if item.strip()]
    assert len(probs) == 10 and sum(probs) == pytest.approx(1.0, abs=1e-3)
    assert max(probs) == probs[y[0]]


@requires_mnist
def test_train_with_sgd_and_with_the_cnn(tmp_path):
    for extra in (["--optimizer", "sgd"], ["--model", "cnn"]):
        out = tmp_path / extra[-1]
        result = npgrad_cmd("train", *extra, "--epochs", "1", "--subset", "64", "--data-dir",
                            DATA, "--out", out)
        assert result.returncode == 0, result.stderr
        run = json.load(open(out / "run.json"))
        assert run["settings"][extra[0][2:]] == extra[1]
        assert "accuracy: " in result.stdout
    assert json.load(open(tmp_path / "sgd" / "run.json"))["settings"]["lr"] == 0.1
    assert npgrad.load(tmp_path / "cnn" / "model.safetensors")["model"] == "cnn"


def test_to_mnist_inverts_and_centres():
    from npgrad.train.image import ImageError, to_mnist

    paper = np.ones((60, 40), dtype=np.float32)
    paper[10:30, 5:12] = 0.0  # a dark bar, off centre, on white
    img = to_mnist(paper)
    assert img.shape == (28, 28) and img.dtype == np.float32
    assert img[0].max() == 0 and img.max() > 0.9  # inverted: light ink on black
    rows, cols = np.indices(img.shape)
    assert (rows * img).sum() / img.sum() == pytest.approx(13.5, abs=1.0)
    assert (cols * img).sum() / img.sum() == pytest.approx(13.5, abs=1.0)
    with pytest.raises(ImageError, match="no digit found"):
        to_mnist(np.ones((50, 50), dtype=np.float32))


def test_lesson_lists_and_runs(tmp_path):
    listing = npgrad_cmd("lesson")
    assert listing.returncode == 0
    for name in npgrad.lessons.names():
        assert name in listing.stdout
    result = npgrad_cmd("lesson", "chain-rule", "--results", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    assert "Gradient of loss w.r.t. weight: 8.0" in result.stdout
    assert json.load(open(tmp_path / "r.json"))["by_hand"]["w_new"] == pytest.approx(2.92)


def test_help_everywhere():
    for args in ([], ["train"], ["eval"], ["predict"], ["lesson"]):
        result = npgrad_cmd(*args, "--help")
        assert result.returncode == 0 and "usage: npgrad" in result.stdout, args
    assert "--subset N" in npgrad_cmd("train", "--help").stdout
    assert "inverted" in npgrad_cmd("predict", "--help").stdout


# ---------------------------------------------------------------------- errors: exit 2
def test_missing_data_says_where_it_looked_and_how_to_get_it(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["train", "--epochs", "1"], ["lesson", "pixel-similarity"]):
        result = npgrad_cmd(*args, env={"NPGRAD_DATA": str(empty)})
        assert result.returncode == 2, args
        err = result.stderr
        assert "MNIST not found" in err and str(empty / "MNIST" / "raw") in err
        assert "--data-dir" in err and "NPGRAD_DATA" in err and "--download" in err
        assert "Traceback" not in err
    result = npgrad_cmd("eval", tmp_path / "x.safetensors", "--data-dir", empty)
    assert result.returncode == 2 and "model file not found" in result.stderr


@requires_mnist
def test_unreadable_model_files(tmp_path, trained):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint at all")
    result = npgrad_cmd("eval", junk, "--data-dir", DATA)
    assert result.returncode == 2 and "cannot read model file" in result.stderr
    assert "Traceback" not in result.stderr
    bare = tmp_path / "bare.safetensors"  # weights without the model's name
    from npgrad.models import mlp

    npgrad.save(mlp().state_dict(), bare)
    result = npgrad_cmd("predict", bare, junk)  # an existing file: paths are checked first
    assert result.returncode == 2 and "--model NAME" in result.stderr
    wrong = npgrad_cmd("eval", bare, "--model", "mlp-50", "--data-dir", DATA)
    assert wrong.returncode == 2 and "do not fit model 'mlp-50'" in wrong.stderr
    right = npgrad_cmd("eval", bare, "--model", "mlp", "--data-dir", DATA, "--subset", "100")
    assert right.returncode == 0 and "accuracy: " in right.stdout


@requires_mnist
def test_bad_images(tmp_path, trained):
    _, out = trained
    model = out / "model.safetensors"
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (40, 40), 255).save(blank)
    for path, message in ((text, "not an image Pillow can read"), (blank, "no digit found"),
                          (tmp_path / "missing.png", "image not found"),
                          (tmp_path, "is a folder")):
        result = npgrad_cmd("predict", model, path)
        assert result.returncode == 2 and message in result.stderr, (path, result.stderr)


@pytest.mark.parametrize("args, message", [
    (["train", "--epochs", "0"], "must be at least 1"),
    (["train", "--lr", "fast"], "expected a number"),
    (["train", "--lr", "-1"], "must be a positive number"),
    (["train", "--batch-size", "2.5"], "expected a whole number"),
    (["train", "--optimizer", "lbfgs"], "invalid choice"),
    (["train", "--model", "resnet"], "invalid choice"),
    (["lesson", "chain-rul"], "Did you mean: chain-rule"),
    ([], "usage: npgrad"),
])
def test_bad_flags_exit_2(args, message):
    result = npgrad_cmd(*args)
    assert result.returncode == 2, result
    assert message in result.stderr


def test_console_script_is_installed():
    """``pip install -e .`` made the ``npgrad`` command; it runs the same main()."""
    import shutil

    exe = shutil.which("npgrad")
    assert exe is not None
    result = subprocess.run([exe, "lesson"], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=REPO), timeout=60)
    assert result.returncode == 0 and "perceptron" in result.stdout


def test_a_failed_download_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    """--download with every mirror dead (a closed port on 127.0.0.1): exit 2, the mirrors
    tried and how to place the files by hand, and no traceback."""
    import socket

    from npgrad import cli
    from npgrad.vision import datasets

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    monkeypatch.setattr(datasets.MNIST, "mirrors", [dead])
    monkeypatch.setenv("NPGRAD_DATA", str(tmp_path))
    code = cli.main(["train", "--download", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2
    assert dead in err and "by hand" in err
    assert "Traceback" not in err
    raw = tmp_path / "MNIST" / "raw"
    assert not raw.exists() or not any(raw.iterdir())  # no partial file left behind
