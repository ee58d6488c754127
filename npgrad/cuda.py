"""There is no GPU backend yet: ``npgrad.cuda.is_available()`` is False, so tutorial code
that picks ``'cuda' if torch.cuda.is_available() else 'cpu'`` runs on the CPU.

The rest answers as PyTorch answers on a machine without CUDA: the queries programs make
before choosing a path return "nothing here" (0, False, no-ops), and what would need a
GPU (``current_device``, ``get_device_name``, ``synchronize``) raises."""
import sys

from .amp import _cuda_amp as amp

sys.modules[__name__ + ".amp"] = amp  # `import npgrad.cuda.amp` / `from npgrad.cuda.amp import ...`

_NOT_COMPILED = "Torch not compiled with CUDA enabled (npgrad computes on the CPU only)"


def _no_cuda(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def init():
    _no_cuda()


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def seed():
    pass


def seed_all():
    pass


def empty_cache():
    """Nothing to free: a no-op, as in PyTorch without CUDA."""


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


current_device = synchronize = get_device_name = get_device_capability = _no_cuda
get_device_properties = set_device = get_rng_state = set_rng_state = _no_cuda
reset_peak_memory_stats = mem_get_info = _no_cuda


class device:
    """``with cuda.device(i):`` — selecting a GPU; raises when entered with an index."""

    def __init__(self, device):
        self.idx = -1 if device is None else device

    def __enter__(self):
        if self.idx != -1:
            _no_cuda()

    def __exit__(self, *exc):
        return False
