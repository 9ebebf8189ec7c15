"""Labels of every kind the engine parity tests need, from one shared signal.

Both parity suites (XGBoost and LightGBM) draw their data here, so a native-vs-custom
comparison on either engine sees the same kinds of targets.
"""

from __future__ import annotations

import numpy as np


def parity_labels(kind: str, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Targets for label ``kind``: real, binary, probability (soft labels in [0, 1]),
    positive, counts, tweedie, classes, multilabel."""
    signal = X[:, 0] + 0.5 * np.sin(2 * X[:, 1]) + 0.3 * X[:, 2] * X[:, 3]
    n = X.shape[0]
    if kind == "real":
        return 5.0 + 2.0 * signal + rng.standard_t(3, size=n)
    if kind == "binary":
        return (rng.random(n) < 1.0 / (1.0 + np.exp(-signal))).astype(float)
    if kind == "probability":  # a teacher's probabilities, hard 0/1 rows included
        soft = 1.0 / (1.0 + np.exp(-(signal + 0.5 * rng.normal(size=n))))
        soft[:20] = np.round(soft[:20])
        return soft
    if kind == "positive":
        return rng.gamma(2.0, np.exp(0.5 * signal) / 2.0)
    if kind == "counts":
        return rng.poisson(np.exp(0.5 * signal)).astype(float)
    if kind == "tweedie":
        counts = rng.poisson(np.exp(0.4 * signal))
        return np.array([rng.gamma(2.0, 1.0, size=c).sum() for c in counts])
    if kind == "classes":
        scores = np.column_stack([signal, -signal, 0.5 * X[:, 4]])
        return np.argmax(scores + rng.gumbel(size=scores.shape), axis=1).astype(float)
    if kind == "multilabel":
        logits = np.column_stack([signal, -signal + X[:, 4], X[:, 5]])
        return (rng.random(logits.shape) < 1.0 / (1.0 + np.exp(-logits))).astype(float)
    raise AssertionError(kind)
