"""Optimizers (``npgrad.optim.SGD``, ``Adam``, ...) and learning-rate schedulers
(``npgrad.optim.lr_scheduler``), with PyTorch's names, options and numbers."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .adadelta import Adadelta
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
           "Adadelta", "Adamax", "ASGD", "LBFGS", "NAdam", "RAdam", "Rprop"]
