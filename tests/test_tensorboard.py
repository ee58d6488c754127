"""npgrad.utils.tensorboard.SummaryWriter, read back with tensorboard's own EventAccumulator
and compared with what torch.utils.tensorboard.SummaryWriter writes for the same calls."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import npgrad
from npgrad.utils.tensorboard import SummaryWriter

pytest.importorskip("tensorboard", reason="TensorBoard tests need the tensorboard extra: "
                                          "pip install tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def read(log_dir):
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0,
                                                        "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def both(tmp_path, write):
    """Run ``write(writer, lib)`` with npgrad's writer (lib = npgrad) and torch's (lib =
    torch); returns the two accumulators."""
    import torch
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    with SummaryWriter(tmp_path / "np") as w:
        write(w, npgrad)
    with TorchWriter(str(tmp_path / "torch")) as w:
        write(w, torch)
    return read(tmp_path / "np"), read(tmp_path / "torch")


def test_scalars_match_torch(tmp_path):
    def write(w, lib):
        for step in range(5):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("acc", lib.tensor(0.75), 10)
        w.add_scalar("acc", np.float32(0.5), 11)

    ours, theirs = both(tmp_path, write)
    assert sorted(ours.Tags()["scalars"]) == ["acc", "loss/train"]
    for tag in ("loss/train", "acc"):
        a, b = ours.Scalars(tag), theirs.Scalars(tag)
        assert [(e.step, e.value) for e in a] == [(e.step, e.value) for e in b]


def test_scalar_needs_one_value(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="one value"):
            w.add_scalar("x", np.ones(3), 0)


def test_add_scalars_writes_one_run_per_key_like_torch(tmp_path):
    def write(w, lib):
        for step in range(3):
            w.add_scalars("run/loss", {"train": step * 1.0, "valid": step * 2.0}, step)

    both(tmp_path, write)
    for side in ("np", "torch"):
        subdirs = sorted(d for d in os.listdir(tmp_path / side) if os.path.isdir(tmp_path / side / d))
        assert subdirs == ["run_loss_train", "run_loss_valid"]
    a = read(tmp_path / "np" / "run_loss_valid").Scalars("run/loss")
    b = read(tmp_path / "torch" / "run_loss_valid").Scalars("run/loss")
    assert [(e.step, e.value) for e in a] == [(e.step, e.value) for e in b] == [(0, 0.0), (1, 2.0), (2, 4.0)]


@pytest.mark.parametrize("bins", ["tensorflow", "auto", 10])
def test_histograms_match_torch(tmp_path, bins):
    rng = np.random.default_rng(0)
    values = rng.normal(size=1000).astype(np.float32)

    def write(w, lib):
        w.add_histogram("w", lib.tensor(values), 3, bins=bins)

    ours, theirs = both(tmp_path, write)
    (a,), (b,) = ours.Histograms("w"), theirs.Histograms("w")
    assert a.step == b.step == 3
    ha, hb = a.histogram_value, b.histogram_value
    for field in ("min", "max", "num", "sum", "sum_squares"):
        assert getattr(ha, field) == pytest.approx(getattr(hb, field), rel=1e-6)
    assert sum(ha.bucket) == 1000
    np.testing.assert_allclose(ha.bucket_limit, hb.bucket_limit, rtol=1e-6)
    np.testing.assert_array_equal(ha.bucket, hb.bucket)


def _decode(png):
    Image = pytest.importorskip("PIL.Image", reason="decoding the PNGs needs Pillow")
    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("fmt", ["CHW", "HWC", "HW"])
def test_images_match_torch(tmp_path, fmt):
    rng = np.random.default_rng(1)
    img = rng.random({"CHW": (3, 5, 7), "HWC": (5, 7, 3), "HW": (5, 7)}[fmt]).astype(np.float32)

    def write(w, lib):
        w.add_image("img", img, 0, dataformats=fmt)
        w.add_image("u8", (img * 255).astype(np.uint8), 1, dataformats=fmt)

    ours, theirs = both(tmp_path, write)
    for tag in ("img", "u8"):
        (a,), (b,) = ours.Images(tag), theirs.Images(tag)
        assert (a.height, a.width) == (b.height, b.width) == (5, 7)
        pa, pb = _decode(a.encoded_image_string), _decode(b.encoded_image_string)
        assert pa.shape == pb.shape
        np.testing.assert_allclose(pa.astype(int), pb.astype(int), atol=1)  # rounding vs truncation


def test_add_images_grid_matches_torch(tmp_path):
    rng = np.random.default_rng(2)
    batch = rng.random((10, 1, 4, 6)).astype(np.float32)

    def write(w, lib):
        w.add_images("batch", batch, 0)

    ours, theirs = both(tmp_path, write)
    (a,), (b,) = ours.Images("batch"), theirs.Images("batch")
    pa, pb = _decode(a.encoded_image_string), _decode(b.encoded_image_string)
    assert pa.shape == pb.shape
    np.testing.assert_allclose(pa.astype(int), pb.astype(int), atol=1)


def test_text_matches_torch(tmp_path):
    def write(w, lib):
        w.add_text("notes", "hello *npgrad*", 2)

    ours, theirs = both(tmp_path, write)
    assert ours.Tags()["tensors"] == theirs.Tags()["tensors"] == ["notes/text_summary"]
    (a,), (b,) = ours.Tensors("notes/text_summary"), theirs.Tensors("notes/text_summary")
    assert a.tensor_proto.string_val == b.tensor_proto.string_val == [b"hello *npgrad*"]
    assert ours.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


def test_hparams_match_torch(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    def write(w, lib):
        w.add_hparams({"lr": 0.01, "opt": "adam", "bn": True, "layers": 3},
                      {"hparam/acc": 0.9}, run_name="trial")

    both(tmp_path, write)
    contents = []
    for side in ("np", "torch"):
        acc = read(tmp_path / side / "trial")
        content = acc.PluginTagToContent("hparams")
        assert set(content) == {"_hparams_/experiment", "_hparams_/session_start_info",
                                "_hparams_/session_end_info"}
        start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
        contents.append(dict(start.session_start_info.hparams))
        assert [(e.step, e.value) for e in acc.Scalars("hparam/acc")] == [(0, pytest.approx(0.9))]
    assert contents[0] == contents[1]


def test_add_graph_records_the_ops_by_module(tmp_path):
    from npgrad import models

    with SummaryWriter(tmp_path) as w:
        w.add_graph(models.small_cnn(), npgrad.randn(2, 1, 28, 28))
    graph = read(tmp_path).Graph()
    ops = [n.op for n in graph.node]
    assert ops.count("Conv2dBackward0".replace("Backward0", "")) == 2
    names = {n.name for n in graph.node}
    assert "0/Conv2d_0" in names and "7/Linear_0" in names and "0.weight" in names
    assert "input_0" in names and "output_0" in names


def test_default_log_dir_flush_close_and_context(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_x")
    assert w.log_dir.startswith("runs" + os.sep) and w.log_dir.endswith("_x")
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert [e.value for e in read(w.log_dir).Scalars("a")] == [1.0]
    w.close()
    w.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        w.add_scalar("a", 2.0, 1)


def test_import_without_tensorboard_and_clear_error(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "sys.modules['tensorboard.summary.writer.event_file_writer'] = None\n"
            "from npgrad.utils.tensorboard import SummaryWriter\n"
            "try:\n    SummaryWriter('x')\n"
            "except ImportError as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    assert "ERR" in out.stdout and "npgrad[tensorboard]" in out.stdout, out.stderr


def test_learner_callback_logs_batches_and_epochs(tmp_path):
    from npgrad import nn, optim
    from npgrad.train import Learner, TensorBoardCallback, accuracy
    from npgrad.utils.data import DataLoader, TensorDataset

    npgrad.manual_seed(0)
    x = npgrad.randn(64, 4)
    y = (x[:, 0] > 0).long()
    dl = DataLoader(TensorDataset(x, y), batch_size=16)
    cb = TensorBoardCallback(tmp_path / "tb", histograms=True)
    learn = Learner(nn.Sequential(nn.Linear(4, 2)), dl, dl, nn.CrossEntropyLoss(),
                    opt_func=optim.SGD, lr=0.1, metrics=[accuracy], callbacks=[cb], progress=False,
                    verbose=False)
    learn.fit(2)
    acc = read(tmp_path / "tb")
    losses = acc.Scalars("train/loss")
    assert [e.step for e in losses] == list(range(1, 9))
    np.testing.assert_allclose([e.value for e in losses], learn.history.losses, rtol=1e-6)
    valid = acc.Scalars("epoch/valid_loss")
    assert [e.step for e in valid] == [1, 2]
    np.testing.assert_allclose([e.value for e in valid], learn.history.column("valid_loss"), rtol=1e-6)
    assert [e.step for e in acc.Scalars("epoch/accuracy")] == [1, 2]
    assert len(acc.Histograms("params/0.weight")) == 2
