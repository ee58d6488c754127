"""Every lesson runs and its results are right.

The tutorial numbers are checked against an independent oracle where one exists: PyTorch's
autograd (chain rule, activations, XOR gradients, hooks), a brute-force search (XOR is not
linearly separable), a direct PyTorch computation on the same MNIST arrays (pixel
similarity). Training lessons run in ``quick=True`` mode (fewer epochs, less data) with bars
set for that mode; the full runs' numbers are in the README's results table.
"""
import inspect
import itertools
import os

import numpy as np
import pytest
import torch

import npgrad
from npgrad import lessons

from conftest import DATA, requires_mnist


def quiet_run(name, capsys, **kw):
    result = lessons.run(name, quick=True, data_dir=DATA, **kw)
    return result, capsys.readouterr().out


# ---------------------------------------------------------------------- the registry
def test_every_lesson_is_registered_importable_and_runnable():
    assert lessons.names()[:13] == [
        "perceptron", "activations", "xor-from-scratch", "chain-rule", "autograd", "engine",
        "write-an-op",
        "pixel-similarity", "seven-steps", "gradient-descent", "mnist-mlp", "mnist-augmented",
        "look-inside"]
    for name in lessons.names():
        params = inspect.signature(lessons.get(name).run).parameters
        assert list(params)[:3] == ["out_dir", "quick", "data_dir"], name


def test_unknown_lesson_names_get_suggestions():
    with pytest.raises(KeyError, match="Did you mean: chain-rule"):
        lessons.get("chain-rul")


# ---------------------------------------------------------------------- 1-5: no data needed
def test_perceptron_learns_and_and_or_but_not_xor(capsys):
    r, out = quiet_run("perceptron", capsys)
    assert r["AND"]["learned"] and r["AND"]["outputs"] == [0, 0, 0, 1]
    assert r["OR"]["learned"] and r["OR"]["outputs"] == [0, 1, 1, 1]
    assert not r["XOR"]["learned"] and r["XOR"]["best_of_20"] < 4
    assert "XOR NOT learned" in out and "No line puts (0,1) and (1,0) on one side" in out
    # the lesson's claim, checked independently: no step neuron computes XOR
    grid = np.linspace(-3, 3, 25)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    for w1, w2, b in itertools.product(grid, grid, grid):
        assert list((x @ [w1, w2] + b > 0).astype(int)) != [0, 1, 1, 0]


def test_activations_derivatives_match_torch(capsys, tmp_path):
    r, _ = quiet_run("activations", capsys, out_dir=tmp_path)
    x = torch.tensor(r["relu"]["x"], dtype=torch.float64, requires_grad=True)
    for name, fn in (("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        np.testing.assert_allclose(r[name]["value"], y.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(r[name]["grad"], x.grad.numpy(), rtol=1e-12, atol=1e-15)
        assert r[name]["max_error"] < 1e-12
    assert r["sigmoid"]["max_grad"] <= 0.25
    v = torch.tensor(r["softmax"]["input"], dtype=torch.float64)
    np.testing.assert_allclose(r["softmax"]["probs"], torch.softmax(v, 0).numpy(), rtol=1e-12)
    jac = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), v)
    np.testing.assert_allclose(r["softmax"]["jacobian"], jac.numpy(), rtol=1e-10, atol=1e-15)
    assert open(r["figure"], "rb").read(4) == b"\x89PNG"


def test_xor_from_scratch_reports_the_seed_honestly_and_solves_it(capsys):
    r, out = quiet_run("xor-from-scratch", capsys)
    seed = r["seed_settings"]  # 0.01 init, 1000 epochs, lr 1.0: stuck on the saddle
    assert not seed["solved"] and seed["final_loss"] == pytest.approx(0.25, abs=1e-4)
    assert np.allclose(seed["predictions"], 0.5, atol=1e-3)
    assert r["fixed"]["solved"] and r["fixed"]["final_loss"] < 0.01
    sweep = {(row["init_scale"], row["epochs"]): row for row in r["sweep"]}
    assert sweep[(0.01, 1000)]["solved"] == 0
    assert sweep[(1.0, 5000)]["solved"] == sweep[(1.0, 5000)]["runs"]
    assert r["gradient_check"]["max_diff"] < 1e-12
    assert "Epoch 0, Loss: 0.2500" in out


def test_xor_hand_written_gradients_equal_torch_autograd():
    from npgrad.lessons.xor_from_scratch import X, NeuralNetwork, y

    net = NeuralNetwork(2, 4, 1, init_scale=1.0, rng=np.random.default_rng(7))
    net.forward(X)
    by_hand = net.gradients(X, y)
    params = {k: torch.tensor(getattr(net, k), requires_grad=True) for k in ("W1", "b1", "W2", "b2")}
    xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    a2 = torch.sigmoid(torch.sigmoid(xt @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
    (0.5 * ((a2 - yt) ** 2).mean()).backward()
    for k, p in params.items():
        np.testing.assert_allclose(by_hand[k], p.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=k)


def test_chain_rule_gives_8_and_2_92_by_hand_and_by_autograd(capsys):
    r, out = quiet_run("chain-rule", capsys)
    assert r["by_hand"]["dloss_dw"] == 8.0 and r["by_hand"]["w_new"] == pytest.approx(2.92)
    assert "Gradient of loss w.r.t. weight: 8.0" in out and "New weight: 2.92" in out
    w = torch.tensor(3.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    loss = (w * 2.0 + b - 5.0) ** 2
    loss.backward()
    auto = r["autograd"]
    assert auto["dloss_dw"] == w.grad.item() == 8.0 and auto["dloss_db"] == b.grad.item()
    assert auto["w_new"] == pytest.approx(3.0 - 0.01 * w.grad.item(), rel=1e-7)


def test_autograd_lesson_grads_match_torch(capsys):
    r, out = quiet_run("autograd", capsys)
    xt = torch.tensor(8.0, requires_grad=True)
    (xt**2).backward()
    assert r["grad"] == xt.grad.item() == 16.0
    xv = torch.tensor([3.0, 4.0, 10.0], requires_grad=True)
    (xv**2).sum().backward()
    assert r["vector_grad"] == xv.grad.tolist()
    losses = r["losses"]
    assert len(losses) == 10 and losses[-1] < losses[0] / 2
    assert all(b <= a for a, b in zip(losses, losses[1:]))


def test_engine_lesson_by_hand_equals_backward_and_torch(capsys):
    r, out = quiet_run("engine", capsys)
    a, b, c, f = (torch.tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
    ((a * b + c) * f).backward()
    want = {"a": a.grad.item(), "b": b.grad.item(), "c": c.grad.item(), "f": f.grad.item()}
    assert r["by_hand"] == want == r["by_engine"] and r["same"]
    # torch's node names, loss first: every node before the nodes that made its inputs
    assert r["order"] == ["MulBackward0", "AddBackward0", "MulBackward0"]
    assert "dL/da = 6" in out


def test_write_an_op_lesson_matches_torch_tutorial(capsys):
    r, out = quiet_run("write-an-op", capsys)
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (0.5 * (5 * x**3 - 3 * x)).sum().backward()
    np.testing.assert_allclose(r["grad"], x.grad.numpy(), rtol=1e-15)
    assert r["gradcheck"] is True and r["wrong_gradcheck"] is False  # it catches the slip
    assert r["graph"][:2] == ["MulBackward0", "LegendrePolynomial3Backward"]
    assert r["losses"][-1] < r["losses"][0] / 3 and r["losses"][-1] < r["losses"][len(r["losses"]) // 2]


def test_engine_lesson_order_puts_every_node_before_its_parents():
    from npgrad.lessons.engine import topological_order

    x = npgrad.tensor(1.5, requires_grad=True)
    y = x * x
    z = (y + x).exp() * y  # y used twice, x three times: a diamond
    order = topological_order(z.grad_fn)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) == 4
    for node in order:
        assert all(position[p] > position[node] for p in node.parents if p is not None)


# ---------------------------------------------------------------------- 6-12: real MNIST
@requires_mnist
def test_pixel_similarity_reproduces_fastai_and_a_torch_computation(capsys):
    from npgrad.train.data import mnist_arrays

    r, _ = quiet_run("pixel-similarity", capsys)
    assert r["L1"]["3s"] == pytest.approx(0.9168, abs=5e-5)  # the book's numbers
    assert r["L1"]["7s"] == pytest.approx(0.9854, abs=5e-5)
    assert r["L1"]["mean"] == pytest.approx(0.9511, abs=5e-5)
    means = {d: torch.tensor(mnist_arrays(DATA, True, classes=[d], flatten=False)[0]).mean(0)
             for d in (3, 7)}
    for norm, dist in (("L1", lambda a, b: (a - b).abs().mean((-1, -2))),
                       ("L2", lambda a, b: ((a - b) ** 2).mean((-1, -2)).sqrt())):
        for d, key in ((3, "3s"), (7, "7s")):
            valid = torch.tensor(mnist_arrays(DATA, False, classes=[d], flatten=False)[0])
            is_3 = (dist(valid, means[3]) < dist(valid, means[7])).float().mean().item()
            assert r[norm][key] == pytest.approx(is_3 if d == 3 else 1 - is_3, abs=1e-6)


@requires_mnist
def test_seven_steps_reaches_97_percent(capsys):
    r, out = quiet_run("seven-steps", capsys)
    assert r["by_hand"][-1] > r["by_hand"][0] and r["by_hand"][-1] > 0.93
    assert r["linear_accuracy"] >= 0.97 and r["final_accuracy"] >= 0.97
    assert r["simple_net_accuracy"] >= 0.96
    assert "binary_accuracy" in out  # the Learner's table


@requires_mnist
def test_gradient_descent_compares_the_three(capsys):
    r, _ = quiet_run("gradient-descent", capsys)
    n = 6000
    assert r["batch"]["steps"] == 1 and r["stochastic"]["steps"] == n
    assert r["mini-batch"]["steps"] == -(-n // 64)
    assert r["stochastic"]["accuracy"] > r["batch"]["accuracy"] + 0.3
    assert r["mini-batch"]["accuracy"] > r["batch"]["accuracy"] + 0.3
    assert r["batch, more epochs"]["accuracy"] > r["batch"]["accuracy"]
    assert all(r[k]["seconds"] > 0 for k in ("batch", "stochastic", "mini-batch"))


@requires_mnist
def test_mnist_mlp_runs_the_three_seed_models(capsys):
    r, out = quiet_run("mnist-mlp", capsys)
    assert r["fresh_adam_sign_gap"] < 1e-5  # a fresh Adam's step is lr * sign(grad)
    assert r["adam_each_step"]["accuracy"] > 0.85 and r["adam_once"]["accuracy"] > 0.85
    assert r["one_cycle"]["accuracy"] > 0.88
    assert r["seed_002"]["accuracy"] > 0.88 and r["seed_004"]["accuracy"] > 0.86
    assert len(r["seed_002"]["confusion_matrix"]) == 10
    assert "Epoch 1: Loss=" in out and "Epoch 1, Loss:" in out  # the seeds' own prints


def test_fresh_adam_step_is_sign_descent():
    """The bug of seeds 000/001, checked against torch: a fresh Adam moves every weight by
    lr * sign(grad) (up to eps), in npgrad exactly as in PyTorch."""
    rng = np.random.default_rng(0)
    w0, g = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    moved = []
    for lib in (npgrad, torch):
        w = lib.tensor(w0.copy(), requires_grad=True)
        w.grad = lib.tensor(g.copy())
        lib.optim.Adam([w], lr=1e-3).step()
        moved.append(w.detach().numpy() - w0)
    np.testing.assert_allclose(moved[0], moved[1], rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(moved[0], -1e-3 * np.sign(g), rtol=1e-4)


@requires_mnist
def test_mnist_augmented_pipeline(capsys):
    from npgrad.lessons.mnist_augmented import dataloaders

    npgrad.manual_seed(0)
    train_dl, valid_dl, normalize = dataloaders(DATA, bs=128, limit=600)
    xb, yb = train_dl.one_batch()  # the batch Normalize() measured: mean 0, std 1
    assert tuple(xb.shape) == (128, 1, 28, 28) and xb.dtype == npgrad.float32
    assert abs(xb.mean().item()) < 1e-3 and xb.std().item() == pytest.approx(1.0, abs=1e-3)
    # validation images are only scaled and normalised, never cropped
    first = next(iter(valid_dl))[0].numpy()[:, 0] * normalize.std[0] + normalize.mean[0]
    raw = valid_dl.loader.dataset.dataset._images[: len(first)].astype(np.float32) / 255
    np.testing.assert_allclose(first, raw, atol=1e-5)
    r, out = quiet_run("mnist-augmented", capsys)
    assert r["batch_shape"] == (128, 1, 28, 28) and r["accuracy"] > 0.6
    assert 0.1 < r["normalize"]["mean"] < 0.15 and 0.28 < r["normalize"]["std"] < 0.33


def shifted(image, dy, dx):
    """``image`` moved down dy and right dx pixels, zeros filling in."""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0): h + min(dy, 0), max(dx, 0): w + min(dx, 0)] = \
        image[max(-dy, 0): h - max(dy, 0), max(-dx, 0): w - max(dx, 0)]
    return out


@requires_mnist
def test_croppad_34_then_random_crop_28_shifts_each_digit_by_up_to_3_pixels():
    from npgrad.lessons.mnist_augmented import dataloaders

    npgrad.manual_seed(1)
    train_dl, _, _ = dataloaders(DATA, bs=64, limit=64)
    subset = train_dl.loader.dataset  # Subset of MNIST with the per-item transforms
    shifts = []
    for i in range(40):
        crop = subset[i][0].numpy()[0]
        raw = subset.dataset._images[i]
        found = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
                 if np.array_equal(crop, shifted(raw, dy, dx))]
        assert found, f"item {i} is not its digit shifted by at most 3 pixels"
        shifts.append(found[0])
    assert len(set(shifts)) > 5  # random offsets, not one fixed crop


@requires_mnist
def test_look_inside_hooks_record_what_torch_hooks_record(capsys):
    from npgrad.lessons.look_inside import Recorder

    r, _ = quiet_run("look-inside", capsys)
    assert r["hook_matches_forward"] == 0.0
    assert r["sigmoid"]["first_to_last_grad"] < 0.01  # gradients fade through sigmoids
    assert r["relu + kaiming init"]["first_to_last_grad"] > 0.1
    assert r["relu + kaiming init"]["trained_accuracy"] > r["sigmoid"]["trained_accuracy"] + 0.3
    # the Recorder against torch's hooks, same weights, same batch
    npgrad.manual_seed(0)
    ours = npgrad.nn.Sequential(npgrad.nn.Linear(6, 5), npgrad.nn.Sigmoid(), npgrad.nn.Linear(5, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    y = np.array([0, 2, 1, 0])
    rec = Recorder(ours, (npgrad.nn.Sigmoid,))
    npgrad.nn.CrossEntropyLoss()(ours(npgrad.tensor(x)), npgrad.tensor(y)).backward()
    seen = {}

    def hook(module, inputs, output):
        output.retain_grad()
        seen["act"] = output

    theirs[1].register_forward_hook(hook)
    torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    np.testing.assert_allclose(rec.activations["1"], seen["act"].detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(rec.gradients["1"], seen["act"].grad.numpy(), rtol=1e-5, atol=1e-9)


@requires_mnist
def test_mnist_cnn_lesson(capsys):
    r, out = quiet_run("mnist-cnn", capsys)
    assert r["accuracy"] > 0.8 and r["parameters"] > 100_000
    assert "Epoch 1, Loss:" in out


@requires_mnist
def test_lesson_figures_are_written_with_out_dir(capsys, tmp_path):
    r, out = quiet_run("pixel-similarity", capsys, out_dir=tmp_path)
    assert r["figure"] == os.path.join(str(tmp_path), "ideal_3_7.png")
    assert open(r["figure"], "rb").read(4) == b"\x89PNG" and "saved" in out


# ---------------------------------------------------------------------- second derivatives
def test_second_derivatives_lesson_newton_beats_gradient_descent(capsys):
    r, out = quiet_run("second-derivatives", capsys)
    assert r["d_dx"] == 12.0 and r["d2_dx2"] == 12.0  # 3x**2 and 6x at x = 2
    x = torch.tensor(-1.2, dtype=torch.float64)
    y = torch.tensor(1.0, dtype=torch.float64)
    h = torch.autograd.functional.hessian(lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, (x, y))
    np.testing.assert_allclose(r["hessian_start"], [[h[0][0].item(), h[0][1].item()], [h[1][0].item(), h[1][1].item()]])
    np.testing.assert_allclose(r["newton_point"], [1.0, 1.0], atol=1e-9)
    assert r["newton_steps"] <= 10
    assert r["gd_steps"] == 2000 and r["gd_loss"] > 1e-6  # still crawling along the valley
    assert "Newton's method" in out
