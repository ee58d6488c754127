"""``torch.distributions``, the part policy-gradient and VAE programs use: ``Categorical``
(sample, log_prob, entropy, from probs or logits) and ``Normal`` (sample, rsample, log_prob,
entropy). Log-probabilities are differentiable in the parameters, so ``-m.log_prob(a) * R``
trains a policy (REINFORCE), and ``rsample`` is the reparameterised draw."""
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal

__all__ = ["Categorical", "Distribution", "Normal"]
