"""``npgrad.nn``: layers, losses and the Module machinery, with PyTorch's names."""
from . import functional, init, utils  # noqa: F401
from .module import Module
from .modules.activation import (
    ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin,
    Softplus, Tanh,
)
from .modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.conv import Conv2d
from .modules.dropout import Dropout2d
from .modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .modules.dropout import Dropout
from .modules.embedding import Embedding
from .modules.linear import Flatten, Identity, Linear, Unflatten
from .modules.loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
    NLLLoss, SmoothL1Loss,
)
from .modules.normalization import LayerNorm
from .parameter import Buffer, Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Buffer",
    "CrossEntropyLoss", "Dropout", "ELU", "Embedding", "Flatten", "GELU", "Hardtanh",
    "HuberLoss", "Identity", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear",
    "LogSoftmax", "MSELoss", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter",
    "ReLU", "ReLU6", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softmin",
    "Softplus", "Tanh", "Unflatten",
]
__all__ += ["AdaptiveAvgPool2d", "AvgPool2d", "Conv2d", "Dropout2d", "MaxPool2d"]
from . import parallel  # noqa: E402,F401  (DistributedDataParallel, DataParallel)

# issue 11: more layers
from .modules.activation import Mish  # noqa: E402
from .modules.container import ParameterDict, ParameterList  # noqa: E402
from .modules.distance import CosineSimilarity, PairwiseDistance  # noqa: E402
from .modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: E402
from .modules.linear import Bilinear  # noqa: E402
from .modules.normalization import GroupNorm  # noqa: E402
from .modules.sparse import EmbeddingBag  # noqa: E402

__all__ += [
    "Bilinear", "CosineSimilarity", "EmbeddingBag", "GroupNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "Mish", "PairwiseDistance", "ParameterDict",
    "ParameterList",
]

# convolution and resampling layers (issue 11)
from .modules.conv import Conv1d, ConvTranspose1d, ConvTranspose2d  # noqa: E402
__all__ += ["Conv1d", "ConvTranspose1d", "ConvTranspose2d"]
from .modules.pooling import (  # noqa: E402
    AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, MaxPool1d,
)
__all__ += ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d",
            "MaxPool1d"]
from .modules.pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: E402
from .modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402
__all__ += ["PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingBilinear2d",
            "UpsamplingNearest2d"]
from .modules.padding import (  # noqa: E402
    CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d,
    ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d,
)
__all__ += ["CircularPad1d", "CircularPad2d", "ConstantPad1d", "ConstantPad2d",
            "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
            "ZeroPad1d", "ZeroPad2d"]
from .modules.fold import Fold, Unfold  # noqa: E402
__all__ += ["Fold", "Unfold"]
from .modules.rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase  # noqa: E402
__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
from .modules.activation import MultiheadAttention  # noqa: E402
__all__ += ["MultiheadAttention"]
from .modules.transformer import (  # noqa: E402
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
__all__ += ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
            "TransformerEncoderLayer"]
from .modules.rmsnorm import RMSNorm  # noqa: E402
__all__ += ["RMSNorm"]
from .modules import activation_more as _activation_more  # noqa: E402
for _name in _activation_more.MODULES:
    globals().setdefault(_name, getattr(_activation_more, _name))
__all__ += [n for n in _activation_more.MODULES if n not in __all__]
from .modules.conv3d import Conv3d  # noqa: E402  (branch moreops)
__all__ += ["Conv3d"]
from .modules.pool3d import AvgPool3d, MaxPool3d  # noqa: E402  (branch moreops)
__all__ += ["AvgPool3d", "MaxPool3d"]
