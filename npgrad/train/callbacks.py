"""Callbacks: code that runs at fixed moments of ``Learner.fit`` without editing the loop.

A callback subclasses ``Callback`` and overrides the moments it cares about; each gets the
Learner, so it can read ``learn.history``, ``learn.model``, ``learn.epoch``, ``learn.loss``
and can stop training by setting ``learn.stop_training = True``.

    before_fit    once, before the first epoch
    before_epoch  at the start of every epoch
    after_batch   after every optimizer step (only called on callbacks that define it,
                  so the batch loop pays nothing for callbacks that do not)
    after_epoch   after validation; ``learn.history.epochs[-1]`` holds this epoch's row
    after_fit     once, at the end (also after an early stop)

Two come with npgrad: ``EarlyStopping`` and ``SaveBestModel``.
"""
import math
import numbers

__all__ = ["Callback", "EarlyStopping", "SaveBestModel"]
__all__ += ["TensorBoardCallback"]


class Callback:
    """Base class: every moment does nothing. Override the ones you need."""

    def before_fit(self, learn):
        pass

    def before_epoch(self, learn):
        pass

    def after_epoch(self, learn):
        pass

    def after_fit(self, learn):
        pass

    # after_batch is deliberately absent: the Learner calls it only on callbacks that define it.

    def __repr__(self):
        return f"{type(self).__name__}()"


class _Monitor(Callback):
    """Shared by the callbacks that watch one column of the epoch history."""

    def __init__(self, monitor, mode, min_delta):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":  # losses and error rates go down, everything else up
            mode = "min" if ("loss" in monitor or "error" in monitor) else "max"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def _current(self, learn):
        row = learn.history.epochs[-1]
        if self.monitor not in row:
            raise KeyError(f"{type(self).__name__}: no column {self.monitor!r} in the history; "
                           f"the columns are {sorted(row)}")
        return row[self.monitor]

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs in a row.

    ``monitor`` is a history column: ``'valid_loss'`` (the default), ``'accuracy'``, ... .
    ``mode='auto'`` minimises losses and error rates and maximises the rest."""

    def __init__(self, monitor="valid_loss", patience=2, min_delta=0.0, mode="auto"):
        super().__init__(monitor, mode, min_delta)
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = None

    def before_fit(self, learn):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.stopped_epoch = 0, None

    def after_epoch(self, learn):
        value = self._current(learn)
        if self._improved(value):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = learn.epoch
            learn.stop_training = True
            print(f"EarlyStopping: no improvement in {self.monitor} for {self.wait} epochs "
                  f"(best {self.best:.4f}); stopping after epoch {learn.epoch + 1}")

    def __repr__(self):
        return f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience})"


class SaveBestModel(_Monitor):
    """Keep the best checkpoint: after each epoch whose ``monitor`` beats every earlier one,
    write the model's ``state_dict`` to ``path`` (safetensors, via ``npgrad.save``; the write
    is atomic, so a crash never leaves half a file). With ``load_best=True`` the best
    weights are loaded back into the model when fitting ends."""

    def __init__(self, path, monitor="valid_loss", mode="auto", min_delta=0.0, load_best=True):
        super().__init__(monitor, mode, min_delta)
        self.path, self.load_best = path, load_best
        self.best_epoch = None

    def before_fit(self, learn):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None

    def after_epoch(self, learn):
        from ..serialization import save

        from .distributed import barrier, is_main, unwrap

        value = self._current(learn)
        if self._improved(value):
            self.best, self.best_epoch = value, learn.epoch
            if is_main():  # under DDP rank 0 alone writes the checkpoint
                save(unwrap(learn.model).state_dict(), self.path)
            barrier()

    def after_fit(self, learn):
        from ..serialization import load
        from .distributed import unwrap

        if self.load_best and self.best_epoch is not None:
            unwrap(learn.model).load_state_dict(load(self.path))

    def __repr__(self):
        return f"SaveBestModel({self.path!r}, monitor={self.monitor!r})"


class TensorBoardCallback(Callback):
    """Log training to TensorBoard (``npgrad.utils.tensorboard.SummaryWriter`` in ``log_dir``):
    after every batch ``train/loss`` and ``train/lr`` (step = batches seen), after every epoch
    each column of the epoch's history row as ``epoch/<column>`` (step = epoch number), and
    with ``histograms=True`` each parameter's values as ``params/<name>``. Steps continue
    across ``fit`` calls. Needs the ``tensorboard`` package (checked when created)."""

    def __init__(self, log_dir=None, histograms=False, every=1):
        try:
            import tensorboard  # noqa: F401  (fail now, not after the first epoch)
        except ImportError:
            raise ImportError("TensorBoardCallback needs the 'tensorboard' package: "
                              "pip install 'npgrad[tensorboard]' (or: pip install tensorboard)") from None
        if every < 1:
            raise ValueError(f"TensorBoardCallback: every must be >= 1, got {every}")
        self.log_dir, self.histograms, self.every = log_dir, histograms, every
        self.writer, self.step = None, 0

    def before_fit(self, learn):
        from ..utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(self.log_dir)
        self.log_dir = self.writer.log_dir

    def after_batch(self, learn):
        self.step += 1
        if self.step % self.every == 0:
            self.writer.add_scalar("train/loss", learn.history.losses[-1], self.step)
            self.writer.add_scalar("train/lr", learn.history.lrs[-1], self.step)

    def after_epoch(self, learn):
        row = learn.history.epochs[-1]
        epoch = row.get("epoch", learn.epoch + 1)
        for key, value in row.items():
            if key != "epoch" and isinstance(value, numbers.Real) and not isinstance(value, bool):
                self.writer.add_scalar(f"epoch/{key}", value, epoch)
        if self.histograms:
            for name, p in learn.model.named_parameters():
                self.writer.add_histogram(f"params/{name}", p, epoch)
        self.writer.flush()

    def after_fit(self, learn):
        if self.writer is not None:
            self.writer.close()

    def __repr__(self):
        return f"TensorBoardCallback({self.log_dir!r})"
