"""Optimizers (``npgrad.optim.SGD``, ``Adam``, ...) and learning-rate schedulers
(``npgrad.optim.lr_scheduler``), with PyTorch's names, options and numbers."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
