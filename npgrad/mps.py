"""``npgrad.mps``: Apple's Metal GPUs, as PyTorch answers without the MPS backend:
queries say there is none, what would need it raises."""


def _no_mps(what):
    def fail(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {what}() without MPS backend.")
    return fail


def device_count():
    return 0


def manual_seed(seed):
    pass


def seed():
    pass


empty_cache = _no_mps("emptyCache")
synchronize = _no_mps("deviceSynchronize")
current_allocated_memory = _no_mps("getCurrentAllocatedMemory")
driver_allocated_memory = _no_mps("getDriverAllocatedMemory")
