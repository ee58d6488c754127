"""``npgrad.train``: the training loop the tutorials write by hand, as a fastai-style Learner.

    from npgrad.train import Learner, accuracy, EarlyStopping, SaveBestModel
    learn = Learner(model, train_dl, valid_dl, nn.CrossEntropyLoss(), metrics=[accuracy])
    learn.fit_one_cycle(3, max_lr=3e-3)

``learner`` (the loop), ``history`` (what it records), ``callbacks`` (early stopping, best
checkpoint), ``metrics`` (accuracy, error rate, confusion matrix), ``progress`` (tqdm, optional),
``plots`` (matplotlib, optional; imported only when you draw).
"""
from . import callbacks, metrics, plots
from .callbacks import Callback, EarlyStopping, SaveBestModel
from .callbacks import TensorBoardCallback
from .history import History
from .learner import Learner
from .metrics import accuracy, binary_accuracy, confusion_matrix, error_rate

__all__ = [
    "Callback", "EarlyStopping", "History", "Learner", "SaveBestModel", "accuracy",
    "binary_accuracy", "callbacks", "confusion_matrix", "error_rate", "metrics", "plots",
]
__all__ += ["TensorBoardCallback"]
