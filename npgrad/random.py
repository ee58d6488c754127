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


def get_rng_state():
    """The global generator's state as a uint8 tensor, as ``torch.get_rng_state()`` gives, so
    checkpoints can store it (``torch.save``) and ``set_rng_state`` restore it. The bytes are
    npgrad's own (NumPy PCG64's state as JSON): a state from PyTorch is refused."""
    import json

    from ._creation import tensor
    from ._dtype import uint8

    raw = json.dumps(default_generator.get_state()).encode()
    return tensor(np.frombuffer(raw, dtype=np.uint8).copy(), dtype=uint8)


def set_rng_state(new_state):
    """Restore a state from ``get_rng_state()``."""
    import json

    data = np.asarray(new_state.numpy() if hasattr(new_state, "numpy") else new_state)
    if data.dtype != np.uint8 or data.ndim != 1:
        raise TypeError(f"set_rng_state: expected a 1-D uint8 tensor from get_rng_state(), got "
                        f"{data.dtype} of shape {data.shape}")
    try:
        state = json.loads(data.tobytes().decode())
    except (UnicodeDecodeError, ValueError):
        raise RuntimeError("set_rng_state: this state was not made by npgrad.get_rng_state() "
                           "(a PyTorch state cannot seed NumPy's generator)") from None
    default_generator.set_state(state)
