"""``npgrad export MODEL.safetensors model.onnx`` and ``npgrad train --tensorboard DIR``, run
as a user runs them (a subprocess), checked in onnxruntime and with tensorboard's reader."""
import os
import subprocess
import sys

import numpy as np
import pytest

import npgrad
from npgrad.train.checkpoint import load_checkpoint, save_checkpoint
from npgrad.train.zoo import MODELS, build

from conftest import DATA, requires_mnist

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def npgrad_cmd(*args):
    return subprocess.run([sys.executable, "-m", "npgrad", *map(str, args)], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=REPO), timeout=300)


@pytest.mark.parametrize("name", list(MODELS))
def test_export_every_train_model(tmp_path, name):
    onnx = pytest.importorskip("onnx", reason="npgrad export needs the onnx extra: pip install onnx")
    ort = pytest.importorskip("onnxruntime", reason="the exported model runs in onnxruntime")
    npgrad.manual_seed(0)
    model = build(name)
    if name == "cnn":  # BatchNorm with running statistics of its own
        with npgrad.no_grad():
            model(npgrad.randn(32, 1, 28, 28) * 1.5 + 0.2)
    ckpt = save_checkpoint(model, name, str(tmp_path / "model.safetensors"))
    out = tmp_path / "model.onnx"
    result = npgrad_cmd("export", ckpt, out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto)
    assert {p.key: p.value for p in proto.metadata_props}["npgrad_model"] == name
    loaded, _, _ = load_checkpoint(ckpt)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for n in (1, 7):
        x = npgrad.randn(n, 1, 28, 28)
        with npgrad.no_grad():
            expected = loaded(x).numpy()
        (got,) = sess.run(["output"], {"input": x.numpy()})
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_export_errors_exit_2(tmp_path):
    result = npgrad_cmd("export", tmp_path / "missing.safetensors", tmp_path / "m.onnx")
    assert result.returncode == 2
    assert "model file not found" in result.stderr


@requires_mnist
def test_train_with_tensorboard_logs_every_batch_and_epoch(tmp_path):
    pytest.importorskip("tensorboard", reason="--tensorboard needs the tensorboard extra")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tb = tmp_path / "tb"
    result = npgrad_cmd("train", "--model", "mlp-50", "--epochs", "2", "--subset", "640",
                        "--batch-size", "64", "--data-dir", DATA, "--out", tmp_path / "run",
                        "--no-progress", "--tensorboard", tb)
    assert result.returncode == 0, result.stderr
    acc = EventAccumulator(str(tb), size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("train/loss")] == list(range(1, 21))
    accuracy = [e.value for e in acc.Scalars("epoch/accuracy")]
    assert len(accuracy) == 2
    final = float(result.stdout.split("accuracy: ")[1].split()[0])
    assert accuracy[-1] == pytest.approx(final, abs=1e-4)
