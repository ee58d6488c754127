"""The PyTorch DCGAN tutorial's training step, written once and run on torch and on npgrad
from the same weights and the same noise: losses, D(x), D(G(z)), gradients and the Adam
updates must agree over two steps (ConvTranspose2d + BatchNorm2d + ReLU + Tanh generator,
Conv2d + LeakyReLU discriminator, BCELoss, Adam(betas=(0.5, 0.999)))."""
import numpy as np
import pytest
import torch as real_torch

import npgrad

NZ, NGF, NDF, NC = 8, 8, 8, 1  # 16x16 images: a small copy of the tutorial's 64x64 nets


def dcgan_program(torch, state, batches, dtype):
    """The tutorial's loop body, for ``torch`` = torch or npgrad. Returns what it logged."""
    nn, optim = torch.nn, torch.optim

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False),  # 1x1 -> 4x4
                nn.BatchNorm2d(NGF * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),  # -> 8x8
                nn.BatchNorm2d(NGF),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),  # -> 16x16
                nn.Tanh(),
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),  # 16 -> 8
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),  # -> 4
                nn.BatchNorm2d(NDF * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),  # -> 1
                nn.Sigmoid(),
            )

        def forward(self, input):
            return self.main(input)

    netG, netD = Generator().to(dtype), Discriminator().to(dtype)
    netG.load_state_dict({k[2:]: torch.tensor(v) for k, v in state.items() if k[0] == "G"})
    netD.load_state_dict({k[2:]: torch.tensor(v) for k, v in state.items() if k[0] == "D"})
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    real_label, fake_label = 1.0, 0.0
    log = []
    for real, noise in batches:
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = torch.tensor(real).to(dtype)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=dtype)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        fake = netG(torch.tensor(noise).to(dtype))
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        d_grads = {n: p.grad.numpy().copy() for n, p in netD.named_parameters()}
        optimizerD.step()
        # (2) Update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        g_grads = {n: p.grad.numpy().copy() for n, p in netG.named_parameters()}
        optimizerG.step()
        log.append(dict(errD=errD.item(), errG=errG.item(), D_x=D_x, D_G_z1=D_G_z1,
                         D_G_z2=D_G_z2, fake=fake.detach().numpy().copy(), d_grads=d_grads,
                         g_grads=g_grads))
    params = {f"{prefix}.{n}": p.detach().numpy().copy() for prefix, net in
              (("G", netG), ("D", netD)) for n, p in net.named_parameters()}
    return log, params


def initial_state():
    """The tutorial's ``weights_init``, drawn by torch: conv weights N(0, 0.02), batch-norm
    weights N(1, 0.02) and biases 0."""
    real_torch.manual_seed(0)
    rng = np.random.default_rng(0)
    shapes = {
        "G.main.0.weight": (NZ, NGF * 2, 4, 4), "G.main.3.weight": (NGF * 2, NGF, 4, 4),
        "G.main.6.weight": (NGF, NC, 4, 4), "D.main.0.weight": (NDF, NC, 4, 4),
        "D.main.2.weight": (NDF * 2, NDF, 4, 4), "D.main.5.weight": (1, NDF * 2, 4, 4),
    }
    state = {k: rng.normal(0, 0.02, s) for k, s in shapes.items()}
    for prefix, index, n in (("G", 1, NGF * 2), ("G", 4, NGF), ("D", 3, NDF * 2)):
        state[f"{prefix}.main.{index}.weight"] = rng.normal(1, 0.02, n)
        state[f"{prefix}.main.{index}.bias"] = np.zeros(n)
        state[f"{prefix}.main.{index}.running_mean"] = np.zeros(n)
        state[f"{prefix}.main.{index}.running_var"] = np.ones(n)
        state[f"{prefix}.main.{index}.num_batches_tracked"] = np.array(0)
    return state


def close(ours, theirs, what, rel):
    """Equal within ``rel`` of the largest magnitude in torch's array (and ``10 * rel``
    relative per element): float32 sums in another order differ by ~1e-7 of the scale."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=10 * rel, atol=rel * np.abs(theirs).max(),
                               err_msg=what)


@pytest.mark.parametrize("dtype_name,rel", [("float32", 1e-5), ("float64", 1e-11)])
def test_dcgan_two_steps_match_torch(dtype_name, rel):
    rng = np.random.default_rng(1)
    batches = [(np.tanh(rng.standard_normal((6, NC, 16, 16))), rng.standard_normal((6, NZ, 1, 1)))
               for _ in range(2)]
    state = initial_state()
    ours, ours_params = dcgan_program(npgrad, state, batches, getattr(npgrad, dtype_name))
    theirs, their_params = dcgan_program(real_torch, state, batches,
                                         getattr(real_torch, dtype_name))
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for key in ("errD", "errG", "D_x", "D_G_z1", "D_G_z2", "fake"):
            close(a[key], b[key], f"step {step} {key}", rel)
        for grads in ("d_grads", "g_grads"):
            for name in b[grads]:
                close(a[grads][name], b[grads][name], f"step {step} {grads} {name}", rel)
    for name in their_params:  # compare the updates, not the (much larger) weights
        close(ours_params[name] - state[name], their_params[name] - state[name],
              f"update of {name} over 2 steps", 100 * rel)
