"""Adam's flat fast path (npgrad/_fast/flat.py) updates a big parameter a cache-sized chunk
at a time: the result must be exactly the plain per-parameter update (``foreach=False``,
npgrad/optim/adam.py), and PyTorch's."""
import numpy as np
import pytest
import torch

import npgrad
import npgrad._fast.flat as flat_module


def _run(lib, w0, chunk, monkeypatch, **options):
    if lib is npgrad and chunk is not None:
        monkeypatch.setattr(flat_module, "CHUNK", chunk)
    p = lib.tensor(w0.copy(), requires_grad=True)
    opt = lib.optim.Adam([p], lr=1e-2, **options)
    for i in range(6):
        opt.zero_grad()
        loss = (lib.sin(p * (i + 1)) * p).sum()  # the gradient depends on the parameter
        loss.backward()
        opt.step()
    return p.detach().numpy().copy()


@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.1, "amsgrad": True}, {"maximize": True}])
def test_chunked_adam_equals_whole_array_and_torch(monkeypatch, options):
    w0 = np.random.default_rng(0).standard_normal((256, 784)).astype(np.float32)  # > one chunk
    whole = _run(npgrad, w0, None, monkeypatch, foreach=False, **options)
    chunked = _run(npgrad, w0, 65536, monkeypatch, **options)
    np.testing.assert_array_equal(chunked, whole)
    reference = _run(torch, w0, None, monkeypatch, **options)
    np.testing.assert_allclose(chunked, reference, rtol=1e-5, atol=1e-6)
