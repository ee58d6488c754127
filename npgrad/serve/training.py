"""Training started from the page: the same ``Learner`` as ``npgrad train``, in a thread,
with a callback that turns every few batches into an event for the live curves.

Every tab reads the same event log (``Events``) through server-sent events, so several tabs
watch one run; a second run cannot start while one is going (the server answers 409).
"""
import threading
import time

import numpy as np

from ..train.callbacks import Callback

__all__ = ["Events", "TrainingJob", "TrainSettings"]


class Events:
    """An append-only list of JSON-able events that readers wait on (one per SSE client)."""

    def __init__(self):
        self._items = []
        self._cond = threading.Condition()
        self.closed = False

    def push(self, event):
        with self._cond:
            event = dict(event, id=len(self._items))
            self._items.append(event)
            self._cond.notify_all()

    def since(self, index, timeout):
        """Events from ``index`` on; waits up to ``timeout`` s when there are none yet."""
        with self._cond:
            if index >= len(self._items) and not self.closed:
                self._cond.wait(timeout)
            return self._items[index:]

    def close(self):
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def __len__(self):
        return len(self._items)


class TrainSettings:
    """The form of the Learn panel, validated: ValueError names the field that is wrong."""

    LIMITS = {"epochs": (1, 20), "subset": (100, 60000), "batch_size": (8, 1024)}

    def __init__(self, body, models):
        unknown = set(body) - {"model", "epochs", "subset", "batch_size", "lr"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        self.model = body.get("model", "mlp")
        if self.model not in models:
            raise ValueError(f"model must be one of {', '.join(models)}, got {self.model!r}")
        self.epochs = self._int(body, "epochs", 1)
        self.subset = self._int(body, "subset", None)
        self.batch_size = self._int(body, "batch_size", 128)
        lr = body.get("lr", 3e-3)
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= 1:
            raise ValueError(f"lr must be a number in (0, 1], got {lr!r}")
        self.lr = float(lr)

    def _int(self, body, name, default):
        value = body.get(name, default)
        if value is None and default is None:
            return None
        lo, hi = self.LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
        return value

    def as_dict(self):
        return {k: getattr(self, k) for k in ("model", "epochs", "subset", "batch_size", "lr")}


class _RecordingLoss:
    """The loss function, remembering the last batch's accuracy for the live curve."""

    def __init__(self, loss):
        self.loss, self.correct = loss, float("nan")

    def __call__(self, out, target):
        self.correct = float((out._data.argmax(axis=1) == target._data).mean())
        return self.loss(out, target)


class _Live(Callback):
    """Pushes a point every ``every`` batches and after each epoch; obeys the stop button."""

    def __init__(self, job, recorder, every):
        self.job, self.recorder, self.every = job, recorder, every
        self.step = 0

    def after_batch(self, learn):
        self.step += 1
        if self.step % self.every == 0 or self.step == 1:
            self.job.events.push({"type": "batch", "step": self.step,
                                  "loss": round(float(learn.loss._data), 5),
                                  "accuracy": round(self.recorder.correct, 4)})
        if self.job.stop_requested.is_set():
            learn.stop_training = True

    def after_epoch(self, learn):
        row = learn.history.epochs[-1]
        self.job.events.push({"type": "epoch", "step": self.step,
                              **{k: float(v) for k, v in row.items()}})


class TrainingJob:
    """One run: ``start()`` returns at once; ``on_done(model, name, settings)`` is called
    from the thread with the trained model (also after a stop)."""

    def __init__(self, settings, data_dir, events, on_done, every=5):
        self.settings, self.data_dir, self.events = settings, data_dir, events
        self.on_done, self.every = on_done, every
        self.stop_requested = threading.Event()
        self.thread = threading.Thread(target=self._run, name="npgrad-serve-train", daemon=True)

    def start(self):
        self.thread.start()

    @property
    def running(self):
        return self.thread.is_alive()

    def _loaders(self):
        from ..train.data import mnist
        from ..utils.data import DataLoader, Subset
        from ..vision import transforms
        from ..vision.datasets.mnist import MNIST_MEAN, MNIST_STD

        s = self.settings
        tf = transforms.Compose([transforms.ToTensor(),
                                 transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
        train = mnist(self.data_dir, train=True, transform=tf)
        test = mnist(self.data_dir, train=False, transform=tf)
        n = s.subset or len(train)
        train = Subset(train, range(min(n, len(train))))
        test = Subset(test, range(min(max(1000, n // 6), len(test))))
        return DataLoader(train, batch_size=s.batch_size, shuffle=True), DataLoader(test, 1000)

    def _run(self):
        from .. import nn
        from ..train import Learner, accuracy
        from ..train.zoo import build

        s = self.settings
        start = time.perf_counter()
        try:
            train_dl, test_dl = self._loaders()
            model = build(s.model)
            recorder = _RecordingLoss(nn.CrossEntropyLoss())
            learn = Learner(model, train_dl, test_dl, recorder, lr=s.lr, metrics=[accuracy],
                            progress=False, verbose=False)
            self.events.push({"type": "start", "settings": s.as_dict(),
                              "batches": len(train_dl) * s.epochs})
            learn.fit_one_cycle(s.epochs, s.lr, callbacks=[_Live(self, recorder, self.every)])
            final = learn.history.epochs[-1] if learn.history.epochs else {}
            saved = self.on_done(model, s.model)
            self.events.push({"type": "done", "stopped": self.stop_requested.is_set(),
                              "accuracy": _num(final.get("accuracy")),
                              "seconds": round(time.perf_counter() - start, 2), "saved": saved})
        except Exception as exc:  # reported to the page; the server carries on
            self.events.push({"type": "error", "message": f"{type(exc).__name__}: {exc}"})


def _num(value):
    return None if value is None or not np.isfinite(value) else float(value)
