"""The reference CNNs of ``npgrad.models`` against their PyTorch twins (same factory, built
from ``torch.nn``): same weights in, same outputs, gradients and Adam steps out."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
from npgrad.models import mnist_cnn, pytorch_example_cnn, small_cnn

TOL = dict(rtol=2e-4, atol=2e-5)


def twins(factory):
    torch.manual_seed(0)
    theirs = factory(torch.nn)
    ours = factory()
    state = {k: npgrad.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return ours, theirs


@pytest.mark.parametrize("factory", [small_cnn, pytorch_example_cnn, mnist_cnn])
def test_model_matches_its_torch_twin(factory):
    ours, theirs = twins(factory)
    ours.eval()  # no dropout masks (they differ between libraries); BN uses running stats
    theirs.eval()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 3)
    loss_a = npgrad.nn.functional.cross_entropy(ours(npgrad.tensor(x)), npgrad.tensor(y))
    loss_b = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    assert_same(loss_a, loss_b, "loss", **TOL)
    loss_a.backward()
    loss_b.backward()
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_same(a.grad, b.grad, f"grad of {name}", **TOL)


def test_training_steps_follow_torch_in_train_mode():
    """Two Adam steps of small_cnn in train mode (no dropout in it): same weights after."""
    ours, theirs = twins(small_cnn)
    opt_a = npgrad.optim.Adam(ours.parameters(), lr=1e-3)
    opt_b = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(2):
        x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 8)
        for lib, model, opt in ((npgrad, ours, opt_a), (torch, theirs, opt_b)):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_same(a.detach(), b.detach(), f"{name} after two steps", rtol=1e-4, atol=1e-5)
