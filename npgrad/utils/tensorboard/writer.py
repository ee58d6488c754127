"""``SummaryWriter``: PyTorch's API, writing TensorBoard event files with the ``tensorboard``
package's ``EventFileWriter``.

    from npgrad.utils.tensorboard import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        w.add_scalar("loss", 0.25, global_step=10)
"""
import os
import socket
import time
from datetime import datetime

from . import _summary

_MISSING = ("npgrad.utils.tensorboard needs the 'tensorboard' package: "
            "pip install 'npgrad[tensorboard]' (or: pip install tensorboard)")


def _event_file_writer(log_dir, max_queue, flush_secs, filename_suffix):
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ImportError(_MISSING) from None
    return EventFileWriter(log_dir, max_queue, flush_secs, filename_suffix)


class SummaryWriter:
    """Writes records to event files in ``log_dir`` for TensorBoard to show.

    ``log_dir`` defaults to ``runs/<Mon01_12-00-00>_<host><comment>`` as in PyTorch; records
    are queued and written every ``flush_secs`` seconds, on ``flush()`` and on ``close()``."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step, self.max_queue = purge_step, max_queue
        self.flush_secs, self.filename_suffix = flush_secs, filename_suffix
        self.file_writer = _event_file_writer(self.log_dir, max_queue, flush_secs, filename_suffix)
        self.all_writers = {self.log_dir: self.file_writer}
        self._closed = False
        if purge_step is not None:  # TensorBoard drops the older records from this step on
            self._add_event(purge_step, file_version=None, session_log=True)

    # ------------------------------------------------------------------ plumbing
    def get_logdir(self):
        return self.log_dir

    def _add_event(self, step, summary=None, walltime=None, writer=None, session_log=False,
                   graph_def=None, **_):
        from tensorboard.compat.proto.event_pb2 import Event, SessionLog

        if self._closed:
            raise RuntimeError(f"SummaryWriter({self.log_dir!r}) is closed")
        event = Event(wall_time=time.time() if walltime is None else float(walltime))
        if step is not None:
            event.step = int(step)
        if summary is not None:
            event.summary.CopyFrom(summary)
        if session_log:
            event.session_log.CopyFrom(SessionLog(status=SessionLog.START))
        if graph_def is not None:
            event.graph_def = graph_def.SerializeToString()
        (writer or self.file_writer).add_event(event)

    # ------------------------------------------------------------------ records
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        self._add_event(global_step, _summary.scalar(tag, scalar_value), walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One curve per key, each in its own run ``log_dir/main_tag_key`` (as PyTorch)."""
        for key, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{key}")
            writer = self.all_writers.get(path)
            if writer is None:
                writer = _event_file_writer(path, self.max_queue, self.flush_secs,
                                            self.filename_suffix)
                self.all_writers[path] = writer
            self._add_event(global_step, _summary.scalar(main_tag, value), walltime, writer)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        self._add_event(global_step, _summary.histogram(tag, values, bins, max_bins), walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: (C, H, W) by default, floats in [0, 1] or uint8 in [0, 255]."""
        hwc = _summary._to_hwc(_summary.to_numpy(img_tensor), dataformats)
        self._add_event(global_step, _summary.image(tag, hwc), walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images shown as one grid of up to 8 per row."""
        grid = _summary.image_grid(_summary.to_numpy(img_tensor), dataformats)
        self._add_event(global_step, _summary.image(tag, grid), walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._add_event(global_step, _summary.text(tag, text_string), walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Hyperparameters and their results for the HParams tab, in the run
        ``log_dir/run_name`` (default: the time), as PyTorch does."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        summaries = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self.log_dir, run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as w:
            for s in summaries:
                w._add_event(global_step, s)
            for key, value in metric_dict.items():
                w.add_scalar(key, value, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The model's op graph (one node per op, grouped by module) for the Graphs tab."""
        from ._graph import graph_def

        self._add_event(None, graph_def=graph_def(model, input_to_model))

    # ------------------------------------------------------------------ lifetime
    def flush(self):
        for w in self.all_writers.values():
            w.flush()

    def close(self):
        if self._closed:
            return
        for w in self.all_writers.values():
            w.flush()
            w.close()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"SummaryWriter(log_dir={self.log_dir!r})"
