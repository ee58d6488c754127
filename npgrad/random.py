"""One global random generator, as in PyTorch.

``npgrad.manual_seed(n)`` reseeds it; every random function (``rand``, ``randn``, nn init,
dropout, DataLoader shuffling, ``random_split``) draws from it unless handed its own
``generator=npgrad.Generator()``. The numbers differ from PyTorch's (a different algorithm,
NumPy's PCG64) but a seed gives the same run every time.
"""
import numpy as np


class Generator:
    """A seedable source of random numbers (PyTorch's ``torch.Generator``)."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        self.rng = np.random.default_rng(seed % (2**64))
        return self

    def seed(self):
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the global generator; returns it, as PyTorch does."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng(generator=None):
    """The NumPy generator to draw from: ``generator``'s if given, else the global one."""
    return (generator or default_generator).rng

