"""The math core: every loss as pure numpy (no engine imports).

One module per family: ``regression`` (identity link), ``loglink`` (counts and positive
amounts), ``binary`` (logits and margins), ``multiclass`` (softmax), ``multilabel`` and
``overlap`` (Dice/Tversky batch losses), ``soft`` (probability targets, KL divergence),
``multiclass_hinge`` and ``ghm`` (gradient-density reweighting). ``base.Loss`` fixes the
contract they share.
"""

from .base import MIN_HESSIAN, Loss
from .binary import Focal, Logistic, SmoothHinge, SquaredHinge
from .ghm import GHMLogistic, GHMRegression
from .loglink import Gamma, Poisson, Tweedie
from .multiclass import SoftmaxCrossEntropy, SoftmaxFocal
from .multiclass_hinge import MulticlassHinge
from .multilabel import MultilabelLogistic
from .overlap import Dice, Tversky
from .regression import (
    AbsoluteError,
    Expectile,
    Fair,
    Huber,
    LogCosh,
    PseudoHuber,
    Quantile,
    SmoothL1,
    SquaredError,
)
from .soft import KLDivergence

__all__ = [
    "MIN_HESSIAN",
    "Loss",
    "SquaredError",
    "AbsoluteError",
    "Huber",
    "SmoothL1",
    "PseudoHuber",
    "LogCosh",
    "Fair",
    "Expectile",
    "Quantile",
    "Poisson",
    "Gamma",
    "Tweedie",
    "Logistic",
    "Focal",
    "SquaredHinge",
    "SmoothHinge",
    "SoftmaxCrossEntropy",
    "SoftmaxFocal",
    "MulticlassHinge",
    "KLDivergence",
    "GHMLogistic",
    "GHMRegression",
    "MultilabelLogistic",
    "Dice",
    "Tversky",
]
