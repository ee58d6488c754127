"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

Plain Adam adds ``weight_decay·θ`` to the gradient, so the decay gets rescaled by Adam's
per-parameter step sizes. AdamW instead shrinks the weights directly,
``θ ← θ·(1 - lr·weight_decay)``, before the Adam step. Its default ``weight_decay`` is
0.01. The update itself is ``adam_update`` (see adam.py).
"""
from .adam import Adam


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def _after_load(self):
        for group in self.param_groups:  # an AdamW always decouples, whatever was loaded
            group["decoupled_weight_decay"] = True
