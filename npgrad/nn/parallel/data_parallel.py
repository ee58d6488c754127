"""``DataParallel``: PyTorch splits each batch across the GPUs of one process. npgrad has one
CPU device, so the wrapper runs the module as it is; it exists so that code written with it
runs, and its state_dict keys carry ``module.`` as PyTorch's do."""
from ..module import Module


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module, got {type(module).__name__}")
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
