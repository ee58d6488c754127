"""The Learner: the tutorials' training loop, written once, in the spirit of fastai's.

    from npgrad.train import Learner, accuracy
    learn = Learner(model, train_dl, valid_dl, nn.CrossEntropyLoss(), opt_func=optim.Adam,
                    metrics=[accuracy])
    learn.fit_one_cycle(3, max_lr=3e-3)      # or learn.fit(3, lr=1e-3)
    learn.evaluate()                         # {'valid_loss': 0.07, 'accuracy': 0.978}
    learn.history.save_csv("history.csv")

Inside ``fit`` every batch runs exactly the loop the seeds write by hand::

    loss = loss_func(model(xb), yb)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    losses.append(loss.item())

plus a scheduler step when one is in use and a progress-bar refresh every few batches. After
each epoch the model is put in ``eval()`` mode, the validation set is scored (loss and
metrics), a row goes into ``history.epochs`` and a line is printed::

    epoch  train_loss  valid_loss  accuracy  time
    1      0.2841      0.1402      0.9581    4.1s
"""
import time

import numpy as np

from .._tensor import Tensor, wrap
from ..autograd.grad_mode import no_grad
from ..optim.optimizer import Optimizer
from .callbacks import Callback
from .distributed import mean_over_ranks
from .history import History
from .metrics import to_numpy
from .progress import progress

__all__ = ["Learner"]


class Learner:
    """Trains ``model`` on ``train_dl``, scores it on ``valid_dl``, remembers everything.

    Args:
        model: an ``nn.Module``.
        train_dl, valid_dl: DataLoaders (or any re-iterable of ``(xb, yb)`` batches; ``len``
            is needed for the progress bar and ``fit_one_cycle``). ``valid_dl`` may be None.
        loss_func: ``loss_func(outputs, targets)`` -> a 0-d Tensor, e.g. ``nn.CrossEntropyLoss()``.
        opt_func: an optimizer class or factory called as ``opt_func(params, lr=lr)``
            (default ``optim.Adam``), or a ready ``Optimizer`` to use as it is.
        lr: the learning rate used when ``fit`` is given none.
        metrics: functions ``metric(preds, targets) -> float`` (see ``train.metrics``),
            computed on the whole validation set after each epoch.
        callbacks: ``Callback`` objects used by every ``fit``.
        progress: show a tqdm bar during each epoch (when tqdm is installed).
        verbose: print the header and one line per epoch.
        refresh_every: update the bar's loss every this many batches.
    """

    def __init__(self, model, train_dl, valid_dl=None, loss_func=None, opt_func=None, lr=1e-3,
                 metrics=(), callbacks=(), progress=True, verbose=True, refresh_every=20):
        if loss_func is None:
            raise ValueError("Learner: loss_func is required, e.g. nn.CrossEntropyLoss()")
        if opt_func is None:
            from ..optim import Adam

            opt_func = Adam
        self.model, self.train_dl, self.valid_dl = model, train_dl, valid_dl
        self.loss_func, self.opt_func, self.lr = loss_func, opt_func, lr
        self.metrics = list(metrics)
        self.callbacks = list(callbacks)
        self.progress, self.verbose = progress, verbose
        self.refresh_every = max(1, int(refresh_every))
        self.opt = opt_func if isinstance(opt_func, Optimizer) else None
        self.history = History()
        self.epoch = 0
        self.loss = None
        self.stop_training = False
        self._printed_header = False

    # ------------------------------------------------------------------ optimizer
    def create_opt(self, lr=None):
        """Build the optimizer (once); ``lr`` replaces the learning rate of every group."""
        if self.opt is None:
            self.opt = self.opt_func(self.model.parameters(), lr=self.lr if lr is None else lr)
        elif lr is not None:
            for group in self.opt.param_groups:
                group["lr"] = lr
        return self.opt

    # ------------------------------------------------------------------ training
    def fit(self, epochs, lr=None, callbacks=(), scheduler=None):
        """Train for ``epochs`` epochs at learning rate ``lr`` (default: the Learner's, or the
        given optimizer's own). ``scheduler`` (optional) is stepped after every batch.
        Returns the History."""
        if int(epochs) != epochs or epochs < 0:
            raise ValueError(f"Learner.fit: epochs must be a whole number >= 0, got {epochs!r}")
        self.create_opt(lr)
        cbs = self.callbacks + list(callbacks)
        for cb in cbs:
            if not isinstance(cb, Callback):
                raise TypeError(f"Learner.fit: callbacks must be Callback instances, got {cb!r}")
        batch_cbs = [cb for cb in cbs if hasattr(cb, "after_batch")]
        self.stop_training = False
        for cb in cbs:
            cb.before_fit(self)
        try:
            for epoch in range(int(epochs)):
                self.epoch = epoch
                _set_sampler_epoch(self.train_dl, len(self.history.epochs))
                for cb in cbs:
                    cb.before_epoch(self)
                start = time.perf_counter()
                train_loss = self._train_epoch(epoch, int(epochs), scheduler, batch_cbs)
                train_loss = mean_over_ranks(self.model, train_loss)  # DDP: all ranks' batches
                row = {"epoch": len(self.history.epochs) + 1, "train_loss": train_loss}
                if self.valid_dl is not None:
                    row.update(self.evaluate())
                row["time"] = time.perf_counter() - start
                self.history.add_epoch(row)
                self._print_row(row)
                for cb in cbs:
                    cb.after_epoch(self)
                if self.stop_training:
                    break
        finally:
            for cb in cbs:
                cb.after_fit(self)
        return self.history

    def _train_epoch(self, epoch, epochs, scheduler, batch_cbs):
        """One pass over the training batches: the seeds' loop, and nothing per batch that
        the seeds' loop does not do, apart from an occasional progress-bar refresh."""
        model, loss_func, opt = self.model, self.loss_func, self.opt
        losses, lrs, group = self.history.losses, self.history.lrs, opt.param_groups[0]
        every, first = self.refresh_every, len(losses)
        total = _len_or_none(self.train_dl)
        bar = progress(self.train_dl, total=total, desc=f"epoch {epoch + 1}/{epochs}",
                       enabled=self.progress)
        model.train()
        try:
            for i, (xb, yb) in enumerate(bar, 1):
                loss = loss_func(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                lrs.append(group["lr"])
                if scheduler is not None:
                    scheduler.step()
                losses.append(float(loss._data))
                if i % every == 0:
                    bar.set_postfix_str(f"loss {losses[-1]:.4f}", refresh=False)
                if batch_cbs:
                    self.loss = loss
                    for cb in batch_cbs:
                        cb.after_batch(self)
                    if self.stop_training:
                        break
        finally:
            bar.close()
        done = losses[first:]
        return float(np.mean(done)) if done else float("nan")

    def fit_one_cycle(self, epochs, max_lr=None, callbacks=(), **kwargs):
        """Train with the 1cycle policy (``optim.lr_scheduler.OneCycleLR``, stepped every
        batch): the learning rate warms up to ``max_lr`` and anneals far below it, while
        momentum (Adam's beta1) moves the other way. ``kwargs`` go to ``OneCycleLR``
        (``pct_start``, ``div_factor``, ...)."""
        from ..optim.lr_scheduler import OneCycleLR

        max_lr = self.lr if max_lr is None else max_lr
        steps = _len_or_none(self.train_dl)
        if steps is None:
            raise TypeError("Learner.fit_one_cycle: the training loader needs a len() to plan the cycle")
        opt = self.create_opt(max_lr)
        if "momentum" not in opt.defaults and "betas" not in opt.defaults:
            kwargs.setdefault("cycle_momentum", False)
        scheduler = OneCycleLR(opt, max_lr=max_lr, total_steps=max(1, int(epochs) * steps), **kwargs)
        return self.fit(epochs, callbacks=callbacks, scheduler=scheduler)

    # ------------------------------------------------------------------ scoring
    def get_preds(self, dl=None):
        """The model's outputs and the targets over ``dl`` (default: the validation set),
        as two Tensors, computed in ``eval()`` mode without building a graph."""
        dl = self.valid_dl if dl is None else dl
        if dl is None:
            raise ValueError("Learner.get_preds: no data (the Learner has no valid_dl; pass dl=)")
        outs, targets = [], []
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                for xb, yb in dl:
                    outs.append(to_numpy(self.model(xb)))
                    targets.append(to_numpy(yb))
        finally:
            self.model.train(was_training)
        if not outs:
            raise ValueError("Learner.get_preds: the data loader gave no batches")
        return wrap(np.concatenate(outs)), wrap(np.concatenate(targets))

    def evaluate(self, dl=None):
        """The loss and every metric over ``dl`` (default: the validation set), as a dict
        ``{'valid_loss': ..., 'accuracy': ...}``. The loss is the mean over all items."""
        preds, targets = self.get_preds(dl)
        with no_grad():
            result = {"valid_loss": float(self.loss_func(preds, targets)._data)}
        for metric in self.metrics:
            result[_metric_name(metric)] = metric(preds, targets)
        return result

    def predict(self, x):
        """The model's output for ``x`` (a Tensor or array batch) in ``eval()`` mode."""
        if not isinstance(x, Tensor):
            x = wrap(np.asarray(x, dtype=np.float32))
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                return self.model(x)
        finally:
            self.model.train(was_training)

    # ------------------------------------------------------------------ learning-rate finder
    def lr_find(self, start_lr=1e-7, end_lr=10.0, num_it=100, stop_div=True, out=None):
        """The learning-rate range test (Smith, 2015; fastai's ``lr_find``).

        Trains on successive batches while raising the rate exponentially from ``start_lr``
        to ``end_lr`` over ``num_it`` steps, recording the (smoothed) loss, and stops once
        the loss explodes. The weights are then put back as they were: this is only a
        measurement. Returns ``{'lrs', 'losses', 'suggestion', 'lr_min', 'lr_steep'}``:
        ``lr_min`` is a tenth of the rate at the lowest loss, ``lr_steep`` the rate where the
        loss falls fastest; ``suggestion`` is ``lr_min`` (a safe choice). With ``out`` (a PNG
        path) the loss-vs-lr plot is saved there."""
        if not 0 < start_lr < end_lr:
            raise ValueError(f"Learner.lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
        saved = {k: v._data.copy() for k, v in self.model.state_dict().items()}
        opt = self._scratch_optimizer(start_lr)
        ratio = (end_lr / start_lr) ** (1.0 / max(1, num_it - 1))
        lrs, losses, smooth, best = [], [], 0.0, float("inf")
        self.model.train()
        try:
            for xb, yb in _forever(self.train_dl, "Learner.lr_find"):
                lr = start_lr * ratio ** len(lrs)
                for group in opt.param_groups:
                    group["lr"] = lr
                loss = self.loss_func(self.model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                smooth = 0.98 * smooth + 0.02 * float(loss._data)  # an exponential moving average
                smoothed = smooth / (1 - 0.98 ** (len(lrs) + 1))  # ...without its start-up bias
                lrs.append(lr)
                losses.append(smoothed)
                best = min(best, smoothed)
                diverged = not np.isfinite(smoothed) or smoothed > 4 * best
                if len(lrs) >= num_it or (stop_div and diverged):
                    break
        finally:
            self.model.load_state_dict({k: wrap(v) for k, v in saved.items()})
        result = _suggest(lrs, losses)
        if out is not None:
            from .plots import plot_lr_find

            plot_lr_find(lrs, losses, result["suggestion"], out)
            result["plot"] = out
        return result

    def _scratch_optimizer(self, lr):
        """A fresh optimizer of the Learner's kind, so the range test leaves the real one alone."""
        if isinstance(self.opt_func, Optimizer):
            defaults = {k: v for k, v in self.opt_func.defaults.items() if k != "lr"}
            return type(self.opt_func)(self.model.parameters(), lr=lr, **defaults)
        return self.opt_func(self.model.parameters(), lr=lr)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path):
        """Write the model's ``state_dict`` to ``path`` (safetensors, atomic). Under
        DistributedDataParallel only rank 0 writes, the bare module's weights (other ranks
        that load it next should ``dist.barrier()`` first, as with torch.save)."""
        from ..serialization import save
        from .distributed import is_main, unwrap

        if is_main():
            save(unwrap(self.model).state_dict(), path)
        return path

    def load(self, path):
        """Load weights written by ``save`` (or ``SaveBestModel``) into the model."""
        from ..serialization import load
        from .distributed import unwrap

        unwrap(self.model).load_state_dict(load(path))
        return self

    # ------------------------------------------------------------------ printing
    def _print_row(self, row):
        if not self.verbose:
            return
        names = [n for n in row if n != "time"]
        widths = [max(10, len(n)) for n in names]
        if not self._printed_header:
            print("  ".join(f"{n:<{w}}" for n, w in zip(names, widths)) + "  time", flush=True)
            self._printed_header = True
        cells = [f"{row[n]:<{w}}" if n == "epoch" else f"{row[n]:<{w}.4f}"
                 for n, w in zip(names, widths)]
        print("  ".join(cells) + f"  {row['time']:.1f}s", flush=True)

    def __repr__(self):
        return (f"Learner(model={type(self.model).__name__}, loss_func={self.loss_func!r}, "
                f"metrics={[_metric_name(m) for m in self.metrics]}, epochs_done={len(self.history)})")


def _set_sampler_epoch(dl, epoch):
    """A new shuffle each epoch for a DistributedSampler (the same on every rank)."""
    sampler = getattr(dl, "sampler", None)
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)


def _metric_name(metric):
    return getattr(metric, "__name__", type(metric).__name__)


def _len_or_none(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None


def _forever(dl, who):
    """The batches of ``dl`` again and again (for step counts longer than an epoch)."""
    while True:
        empty = True
        for batch in dl:
            empty = False
            yield batch
        if empty:
            raise ValueError(f"{who}: the training loader gave no batches")


def _suggest(lrs, losses):
    """Two classic picks from a range test: a tenth of the rate at the minimum loss, and the
    rate where the loss falls fastest (steepest negative slope against log lr)."""
    if len(lrs) < 2:
        lr = lrs[0] if lrs else None
        return {"lrs": lrs, "losses": losses, "suggestion": lr, "lr_min": lr, "lr_steep": lr}
    loss = np.asarray(losses, dtype=np.float64)
    finite = np.isfinite(loss)
    i_min = int(np.nanargmin(np.where(finite, loss, np.nan)))
    slopes = np.gradient(loss, np.log(np.asarray(lrs)))
    slopes[~finite] = np.inf
    i_steep = int(np.argmin(slopes[: i_min + 1]))
    lr_min = lrs[i_min] / 10
    return {"lrs": lrs, "losses": losses, "suggestion": lr_min, "lr_min": lr_min,
            "lr_steep": lrs[i_steep]}
