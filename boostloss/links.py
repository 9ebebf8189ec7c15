"""Links: the map between the ensemble's additive output ``raw`` and the response scale.

A loss *holds* a link (composition, as in scikit-learn's ``sklearn._loss.link``). The link
owns two directions:

- ``inverse(raw)``: raw -> response (identity, exp, sigmoid, softmax). ``Loss.transform``
  calls it; the adapters and estimators use it to turn margins into predictions.
- ``link(response)``: response -> raw (identity, log, logit, centred log). Used to express a
  constant prediction (a mean, a prevalence) as an init score.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, logit, softmax

__all__ = ["Link", "IdentityLink", "LogLink", "LogitLink", "SoftmaxLink"]


class Link:
    """Base class. ``name`` is used in reprs and docs."""

    name = "link"

    def link(self, response):
        raise NotImplementedError

    def inverse(self, raw):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


class IdentityLink(Link):
    """raw = response (regression losses, and margins of hinge losses)."""

    name = "identity"

    def link(self, response):
        return np.asarray(response, dtype=np.float64)

    def inverse(self, raw):
        return np.asarray(raw, dtype=np.float64)


class LogLink(Link):
    """raw = log(mean); inverse is exp. Poisson, gamma and Tweedie."""

    name = "log"

    def link(self, response):
        return np.log(np.asarray(response, dtype=np.float64))

    def inverse(self, raw):
        return np.exp(np.asarray(raw, dtype=np.float64))


class LogitLink(Link):
    """raw = log(p / (1 - p)); inverse is the sigmoid (scipy's expit is stable for any raw)."""

    name = "logit"

    def link(self, response):
        return logit(np.asarray(response, dtype=np.float64))

    def inverse(self, raw):
        return expit(np.asarray(raw, dtype=np.float64))


class SoftmaxLink(Link):
    """raw[:, j] = log p_j - mean_k log p_k (the centred, symmetric parametrisation).

    ``inverse`` is the softmax over the last axis, computed with the max-shift so that
    logits of any size neither overflow nor lose the largest class.
    """

    name = "softmax"

    def link(self, response):
        log_p = np.log(np.asarray(response, dtype=np.float64))
        return log_p - log_p.mean(axis=-1, keepdims=True)

    def inverse(self, raw):
        return softmax(np.asarray(raw, dtype=np.float64), axis=-1)

    @staticmethod
    def log_inverse(raw):
        """log softmax, stable (used by the losses, exposed for metrics)."""
        return log_softmax(np.asarray(raw, dtype=np.float64), axis=-1)
