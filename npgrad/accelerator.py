"""``npgrad.accelerator``: PyTorch's device-agnostic accelerator queries, answered as on
a machine without one (npgrad computes with NumPy on the CPU)::

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
"""

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    return False


def current_accelerator(check_available=False):
    """The accelerator's device type; None: there is none."""
    return None


def device_count():
    return 0


def current_device_index():
    raise RuntimeError(_NONE)


current_device_idx = current_device_index


def set_device_index(device):
    raise RuntimeError(_NONE)


set_device_idx = set_device_index


def synchronize(device=None):
    raise RuntimeError(_NONE)
