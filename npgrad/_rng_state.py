"""``torch.get_rng_state`` / ``torch.set_rng_state``: the global generator's state as a uint8
tensor, so checkpoints can store it (``torch.save``) and resume the same random stream."""
import numpy as np

from .random import default_generator


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
