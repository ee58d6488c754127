"""``npgrad.nn.utils``: gradient clipping and parameter <-> vector conversion."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
from . import rnn  # noqa: E402,F401
# weight normalization, both spellings: the hook-based one and parametrizations.weight_norm
from .weight_norm import remove_weight_norm, weight_norm  # noqa: E402,F401
from . import parametrize, parametrizations  # noqa: E402,F401
