"""npgrad.summary: one row per layer with its output shape and parameter count; totals that
agree with the parameters torch counts for the same architecture; the model left untouched."""
import numpy as np
import torch

import npgrad
import npgrad.nn as nn


def mlp(lib):
    return lib.Sequential(
        lib.Flatten(), lib.Linear(784, 50), lib.BatchNorm1d(50), lib.ReLU(), lib.Dropout(0.2),
        lib.Linear(50, 10),
    )


def test_rows_shapes_and_totals():
    model = mlp(nn)
    model[5].bias.requires_grad_(False)
    s = npgrad.summary(model, (1, 28, 28), print_summary=False)
    assert [(name, kind) for name, kind, _, _ in s.rows] == [
        ("0", "Flatten"), ("1", "Linear"), ("2", "BatchNorm1d"), ("3", "ReLU"), ("4", "Dropout"), ("5", "Linear")
    ]
    assert [shape for _, _, shape, _ in s.rows] == [
        "[-1, 784]", "[-1, 50]", "[-1, 50]", "[-1, 50]", "[-1, 50]", "[-1, 10]"
    ]
    theirs = mlp(torch.nn)
    assert [count for *_, count in s.rows] == [
        sum(p.numel() for p in m.parameters()) for m in theirs
    ]
    assert s.total_params == sum(p.numel() for p in theirs.parameters()) == 39_860
    assert s.trainable_params == 39_850 and s.non_trainable_params == 10
    text = str(s)
    assert "Total params: 39,860" in text and "1 (Linear)" in text and "39,250" in text
    assert "Trainable params: 39,850" in text and "Input shape: [-1, 1, 28, 28]" in text


def test_prints_the_table_and_leaves_the_model_as_it_was(capsys):
    model = mlp(nn)
    bn = model[2]
    before = [b.numpy().copy() for b in model.buffers()]
    result = npgrad.summary(model, (784,))
    out = capsys.readouterr().out
    assert out.strip() == str(result).strip() and "BatchNorm1d" in out
    assert model.training and all(m.training for m in model.modules())  # mode restored
    for b, old in zip(model.buffers(), before):  # running statistics not updated
        np.testing.assert_array_equal(b.numpy(), old)
    assert bn.num_batches_tracked.item() == 0
    assert not any(m._forward_hooks for m in model.modules())  # hooks removed
    assert "total_params=39,860" in repr(result)


def test_nested_models_and_several_inputs():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 4)
            self.b = nn.Sequential(nn.Linear(5, 4), nn.Tanh())

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    s = npgrad.summary(TwoInputs(), [(3,), (5,)], print_summary=False)
    assert [r[0] for r in s.rows] == ["a", "b.0", "b.1"]
    assert s.total_params == 3 * 4 + 4 + 5 * 4 + 4
    lone = npgrad.summary(nn.Linear(3, 2), 3, print_summary=False)
    assert lone.rows == [("", "Linear", "[-1, 2]", 8)]
