"""The Learner, its history, callbacks and metrics, on small synthetic data.

The oracles: a bare training loop written as the seeds write it (the Learner must produce
the same losses, batch for batch), PyTorch (metrics, the 1cycle learning rates) and
NumPy counting (the confusion matrix).
"""
import csv
import math
import sys

import numpy as np
import pytest
import torch

import npgrad
from npgrad import nn, optim
from npgrad.train import (
    Callback, EarlyStopping, Learner, SaveBestModel, accuracy, binary_accuracy,
    confusion_matrix, error_rate,
)
from npgrad.utils.data import DataLoader, TensorDataset


def blobs(n=256, classes=3, features=8, seed=0):
    """Separable clusters: class c is centred at 3 * e_c."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.standard_normal((n, features)).astype(np.float32)
    x[np.arange(n), y] += 3.0
    return x, y.astype(np.int64)


def loaders(n=256, batch_size=32, seed=0):
    x, y = blobs(n, seed=seed)
    xv, yv = blobs(96, seed=seed + 1)
    train = DataLoader(TensorDataset(npgrad.tensor(x), npgrad.tensor(y)), batch_size=batch_size,
                       shuffle=True)
    valid = DataLoader(TensorDataset(npgrad.tensor(xv), npgrad.tensor(yv)), batch_size=40)
    return train, valid


def make_model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def learner(seed=0, **kw):
    npgrad.manual_seed(seed)
    train, valid = loaders()
    kw.setdefault("metrics", [accuracy])
    kw.setdefault("verbose", False)
    kw.setdefault("progress", False)
    return Learner(make_model(), train, valid, nn.CrossEntropyLoss(), **kw)


# ---------------------------------------------------------------------- metrics
def test_accuracy_and_error_rate_match_torch():
    rng = np.random.default_rng(1)
    scores, labels = rng.standard_normal((50, 4)).astype(np.float32), rng.integers(0, 4, 50)
    expected = (torch.tensor(scores).argmax(1) == torch.tensor(labels)).float().mean().item()
    assert accuracy(npgrad.tensor(scores), npgrad.tensor(labels)) == pytest.approx(expected)
    assert accuracy(scores, labels) == pytest.approx(expected)  # NumPy works too
    assert error_rate(scores, labels) == pytest.approx(1 - expected)


def test_binary_accuracy_thresholds_logits_and_probabilities():
    logits = np.array([[-2.0], [0.5], [3.0], [-0.1]], dtype=np.float32)
    targets = np.array([[0.0], [1.0], [0.0], [0.0]], dtype=np.float32)
    expected = ((torch.tensor(logits).sigmoid() > 0.5) == torch.tensor(targets)).float().mean().item()
    assert binary_accuracy(logits, targets) == pytest.approx(expected)
    probs = 1 / (1 + np.exp(-logits))
    assert binary_accuracy(probs, targets, threshold=0.5) == pytest.approx(expected)


def test_confusion_matrix_counts_pairs():
    rng = np.random.default_rng(2)
    scores, labels = rng.standard_normal((200, 5)), rng.integers(0, 5, 200)
    expected = np.zeros((5, 5), dtype=np.int64)
    np.add.at(expected, (labels, scores.argmax(1)), 1)
    np.testing.assert_array_equal(confusion_matrix(scores, labels), expected)
    np.testing.assert_array_equal(confusion_matrix(scores.argmax(1), labels, num_classes=5), expected)
    assert confusion_matrix(scores, labels).sum() == 200


def test_metric_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"accuracy: expected scores of shape \(N, classes\)"):
        accuracy(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match=r"expected 4 integer targets"):
        accuracy(np.zeros((4, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        confusion_matrix(np.array([0, 1]), np.array([0, 5]), num_classes=3)


# ---------------------------------------------------------------------- the loop
def test_fit_runs_exactly_the_bare_tutorial_loop():
    learn = learner(seed=3, opt_func=optim.SGD, lr=0.1)
    learn.fit(2)

    npgrad.manual_seed(3)
    train, valid = loaders()
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss_func = nn.CrossEntropyLoss()
    losses = []
    for _ in range(2):
        for xb, yb in train:
            loss = loss_func(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        for xb, yb in valid:  # the Learner validates between epochs: no randomness used
            pass
    assert learn.history.losses == losses
    for (name, p), q in zip(learn.model.named_parameters(), model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)


def test_history_rows_and_csv(tmp_path):
    learn = learner()
    learn.fit(3, lr=1e-2)
    h = learn.history
    assert len(h.losses) == 3 * 8 and len(h.lrs) == len(h.losses)
    assert [r["epoch"] for r in h.epochs] == [1, 2, 3]
    assert h.columns == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    assert h.epochs[-1]["accuracy"] > 0.9  # the clusters are separable
    assert h.epochs[-1]["train_loss"] == pytest.approx(np.mean(h.losses[-8:]))
    assert h.epochs[-1]["valid_loss"] < h.epochs[0]["valid_loss"]
    rows = list(csv.DictReader(open(h.save_csv(tmp_path / "h.csv"))))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["accuracy"]) == pytest.approx(h.epochs[-1]["accuracy"], rel=1e-5)
    batches = list(csv.DictReader(open(h.save_csv(tmp_path / "b.csv", per_batch=True))))
    assert len(batches) == 24 and float(batches[0]["lr"]) == pytest.approx(1e-2)


def test_evaluate_matches_a_manual_pass_and_restores_mode():
    learn = learner()
    learn.fit(1)
    learn.model.train()
    result = learn.evaluate()
    assert learn.model.training
    x, y = blobs(96, seed=1)
    with npgrad.no_grad():
        out = learn.model(npgrad.tensor(x))
    expected_loss = torch.nn.functional.cross_entropy(torch.tensor(out.numpy()), torch.tensor(y)).item()
    assert result["valid_loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert result["accuracy"] == pytest.approx(float((out.numpy().argmax(1) == y).mean()))
    pred = learn.predict(x[:5])  # a NumPy batch works; no graph is built
    assert pred.grad_fn is None and tuple(pred.shape) == (5, 3)
    np.testing.assert_allclose(pred.numpy(), out.numpy()[:5], rtol=1e-6)


def test_fit_one_cycle_follows_torch_onecycle():
    learn = learner(opt_func=optim.Adam)
    learn.fit_one_cycle(2, max_lr=0.05)
    tmodel = torch.nn.Linear(2, 2)
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.05, total_steps=16)
    expected = []
    for _ in range(16):
        expected.append(topt.param_groups[0]["lr"])
        topt.step()
        sched.step()
    np.testing.assert_allclose(learn.history.lrs, expected, rtol=1e-12)
    assert learn.history.epochs[-1]["accuracy"] > 0.9


def test_given_optimizer_is_used_as_it_is():
    npgrad.manual_seed(0)
    train, valid = loaders()
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    learn = Learner(model, train, valid, nn.CrossEntropyLoss(), opt_func=opt, progress=False,
                    verbose=False)
    learn.fit(1)
    assert learn.opt is opt and opt.state  # momentum buffers exist: it stepped
    assert learn.history.lrs[0] == 0.05


def test_lr_find_leaves_the_weights_and_suggests_a_rate(tmp_path):
    learn = learner()
    before = {k: v.numpy().copy() for k, v in learn.model.state_dict().items()}
    found = learn.lr_find(start_lr=1e-5, end_lr=10, num_it=40, out=str(tmp_path / "lr.png"))
    for k, v in learn.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    lrs = found["lrs"]
    assert lrs[0] == pytest.approx(1e-5) and all(b > a for a, b in zip(lrs, lrs[1:]))
    assert 1e-5 <= found["suggestion"] <= 1.0 and found["lr_steep"] in lrs
    assert open(tmp_path / "lr.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert learn.opt is None  # the range test used its own optimizer


# ---------------------------------------------------------------------- callbacks
def test_early_stopping_stops_after_patience():
    learn = learner()
    stopper = EarlyStopping(monitor="valid_loss", patience=1)
    learn.fit(10, lr=0.0, callbacks=[stopper])  # lr 0: the loss never improves
    assert len(learn.history) == 3  # epoch 1 sets the best, 2 waits, 3 stops
    assert stopper.stopped_epoch == 2


def test_early_stopping_lets_an_improving_run_finish():
    learn = learner()
    learn.fit(4, lr=1e-2, callbacks=[EarlyStopping(patience=0)])
    assert len(learn.history) == 4


def test_save_best_model_keeps_and_reloads_the_best_epoch(tmp_path):
    path = str(tmp_path / "best.safetensors")

    class Spoil(Callback):  # ruin the weights after epoch 2 so the last epoch is the worst
        def after_epoch(self, learn):
            if learn.epoch == 1:
                for p in learn.model.parameters():
                    p._data[...] = 0
    learn = learner()
    saver = SaveBestModel(path, monitor="accuracy")
    learn.fit(3, lr=1e-2, callbacks=[saver, Spoil()])
    best = max(learn.history.column("accuracy"))
    assert saver.best == best and saver.best_epoch in (0, 1)
    assert learn.evaluate()["accuracy"] == best  # load_best put the best weights back
    saved = npgrad.load(path)
    for k, v in learn.model.state_dict().items():
        np.testing.assert_array_equal(saved[k].numpy(), v.numpy())


def test_after_batch_callbacks_see_every_batch_and_can_stop():
    seen = []

    class Count(Callback):
        def after_batch(self, learn):
            seen.append(learn.loss.item())
            if len(seen) == 5:
                learn.stop_training = True
    learn = learner()
    learn.fit(3, callbacks=[Count()])
    assert len(seen) == 5 and seen == learn.history.losses
    assert len(learn.history) == 1


def test_bad_arguments_are_refused():
    learn = learner()
    with pytest.raises(TypeError, match="Callback instances"):
        learn.fit(1, callbacks=[lambda learn: None])
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        learn.fit(-1)
    with pytest.raises(ValueError, match="loss_func is required"):
        Learner(make_model(), [], None)
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")
    with pytest.raises(KeyError, match="no column 'f1'"):
        learn.fit(1, callbacks=[EarlyStopping(monitor="f1")])


# ---------------------------------------------------------------------- printing, progress
def test_epoch_table_is_printed(capsys):
    learn = learner(verbose=True)
    learn.fit(2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    assert lines[2].split()[0] == "2" and len(lines) == 3


def test_progress_without_tqdm_is_silent(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    from npgrad.train.progress import has_tqdm, progress

    assert not has_tqdm()
    bar = progress([1, 2, 3], total=3)
    assert list(bar) == [1, 2, 3]
    bar.set_postfix_str("loss 1.0")
    bar.close()
    learn = learner(progress=True)
    learn.fit(1)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- plots
def _png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_every_plot_writes_a_png(tmp_path):
    from npgrad.train import plots

    learn = learner()
    learn.fit(2)
    rng = np.random.default_rng(0)
    images, scores, labels = rng.random((12, 784)), rng.random((12, 10)), rng.integers(0, 10, 12)
    paths = [
        plots.plot_losses(learn.history.losses, tmp_path / "a.png"),
        plots.plot_loss_curves({"one": [3, 2, 1], "two": ([0, 1], [2, 1])}, tmp_path / "b.png"),
        plots.plot_history(learn.history, tmp_path / "c.png"),
        plots.plot_functions(np.arange(5), {"f": np.arange(5), "g": (np.ones(5), np.zeros(5))},
                             tmp_path / "d.png"),
        plots.plot_images(images.reshape(12, 1, 28, 28), tmp_path / "e.png", titles=list("abcdefghijkl")),
        plots.plot_predictions(images, scores, labels, tmp_path / "f.png"),
        plots.plot_weights(rng.standard_normal((10, 784)), tmp_path / "g.png"),
        plots.plot_confusion_matrix(confusion_matrix(scores, labels), tmp_path / "h.png"),
        plots.plot_histograms({"x": rng.random(100), "y": rng.random(50)}, tmp_path / "i.png"),
        plots.plot_lr_find([1e-3, 1e-2, 1e-1], [2.0, 1.0, 3.0], 1e-3, tmp_path / "j.png"),
    ]
    assert all(_png(p) for p in paths)
    with pytest.raises(ValueError, match="not square images"):
        plots.plot_images(np.zeros((2, 10)), tmp_path / "k.png")


def test_plots_without_matplotlib_say_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from npgrad.train import plots

    with pytest.raises(ImportError, match="pip install matplotlib"):
        plots.plot_losses([1.0, 0.5], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_learner_without_validation_set_trains():
    npgrad.manual_seed(0)
    train, _ = loaders()
    learn = Learner(make_model(), train, None, nn.CrossEntropyLoss(), progress=False, verbose=False)
    learn.fit(1)
    assert list(learn.history.epochs[0]) == ["epoch", "train_loss", "time"]
    assert math.isfinite(learn.history.epochs[0]["train_loss"])
    with pytest.raises(ValueError, match="no valid_dl"):
        learn.evaluate()
