"""Max pooling on helper threads: the twin of ``npgrad/ops/pool.py``'s ``MaxPool2d``, which
it subclasses. The arithmetic is the reference's, per range of images; only the batch is
dealt out to the worker threads (``threads.py``), so the 2x2 pool of the PyTorch example net
runs on both cores."""
from ..ops import pool
from .threads import run_split, split_images


class MaxPool2d(pool.MaxPool2d):
    def _forward_images(self, xpad, out, ranges):
        run_split(lambda share: super(MaxPool2d, self)._forward_images(xpad, out, share),
                  split_images(out.shape[0], out[0].nbytes))

    def _backward_images(self, g, gpad, ranges):
        run_split(lambda share: super(MaxPool2d, self)._backward_images(g, gpad, share),
                  split_images(g.shape[0], g[0].nbytes))
