"""The loss contract every registered loss follows, and the checks that guard it.

Layering (as in scikit-learn's ``sklearn._loss``): public methods validate and convert the
inputs once, then call private methods that only compute on clean float64 arrays:

=================================  ==========================================================
public (validates)                 private (computes; subclasses implement these)
=================================  ==========================================================
``loss(y, raw, w)``                ``_loss(y, raw) -> (n,)``
``loss.grad_hess(y, raw, w)``      ``_grad_hess(y, raw) -> (grad, hess)`` shaped like raw
``loss.metric(y, raw, w)``         ``_loss`` (weighted mean of it)
``loss.init_score(y, w)``          ``_init_score(y, w)``
``loss.transform(raw)``            ``link.inverse(raw)``
``loss.validate_labels(y)``        ``_check_labels(y) -> internal labels``
=================================  ==========================================================

The adapters validate labels and weights once per dataset (``validate_labels``,
``check_sample_weight``) and then call ``_weighted_grad_hess`` every boosting round.

Conventions (see DESIGN.md): ``grad`` is d loss / d raw (not the negative gradient); sample
weights multiply loss, grad and hess; ``hess`` is finite and strictly positive for every
finite input, where a loss's true second derivative is zero, negative or underflows the
loss returns a documented positive surrogate. As a last guard every Hessian is bounded below
by ``MIN_HESSIAN`` (the smallest positive normal float64), which only ever replaces values
that underflowed to 0 (also after multiplying a positive sample weight in; a zero weight
gives a zero Hessian, since weights multiply grad and hess).

Outputs of the public methods are finite or the call raises: where a finite input is so
extreme that the loss, a gradient or a Hessian is not representable in float64 (e.g.
squared error of a residual of 1e200, or Tweedie at raw = -1500, outside the documented
range), ``loss(...)``, ``grad_hess``, ``metric`` and ``init_score`` raise ValueError
naming the first such row, never return NaN or inf. Weighted means (``metric``, the mean in
``init_score``) are computed so that large weights or values do not overflow the sums.

Losses are immutable: parameters are validated once, in ``__init__``, so setting an
attribute afterwards (``loss.delta = -5``) raises AttributeError; build a new loss instead
(``type(loss)(**{**loss.get_params(), "delta": 2.0})``). ``clone``, ``copy`` and pickling
work as usual.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from .._validation import as_float_array, check_sample_weight
from ..links import IdentityLink, Link
from . import _compiled
from ._constant import weighted_mean

__all__ = ["Loss", "MIN_HESSIAN"]

MIN_HESSIAN = float(np.finfo(np.float64).tiny)
# Block size of the numpy reference in engine rounds: 32768 float64 = 256 KiB per temporary.
_BLOCK_ELEMENTS = 32768


def _brief(value) -> str:
    """A row of y or raw for an error message (a few numbers at most)."""
    flat = np.ravel(value)
    text = ", ".join(f"{float(v):.6g}" for v in flat[:4])
    return text if flat.size == 1 else f"[{text}{', ...' if flat.size > 4 else ''}]"


class _Immutable(type):
    """Metaclass that marks a loss frozen once its ``__init__`` has returned."""

    def __call__(cls, *args, **kwargs):
        instance = super().__call__(*args, **kwargs)
        object.__setattr__(instance, "_frozen", True)
        return instance


class Loss(metaclass=_Immutable):
    """Base class of all losses.

    Class-level facts (read by the tests, the adapters and the estimators):

    - ``name``: canonical registry name.
    - ``task``: "regression", "binary", "multiclass" or "multilabel".
    - ``output_kind``: "single" (raw is (n,)), "multiclass" (y (n,), raw (n, k)),
      "multi_quantile" (y (n,), raw (n, q)) or "multilabel" (y and raw (n, k)).
    - ``separable``: False for batch losses (dice, tversky) whose value depends on all rows.
    - ``batch_weighted``: per-row values reweighted by batch statistics (GHM): not separable,
      yet ``loss(...)`` is a per-row value rather than one batch value.
    - ``hessian_type``: "exact", "surrogate" (a documented replacement in some region) or
      "constant".
    - ``has_probabilities``: ``transform`` returns probabilities.
    - ``label_domain``: human-readable description of valid labels.
    """

    name: ClassVar[str] = "loss"
    task: ClassVar[str] = "regression"
    output_kind: ClassVar[str] = "single"
    separable: ClassVar[bool] = True
    batch_weighted: ClassVar[bool] = False
    hessian_type: ClassVar[str] = "exact"
    has_probabilities: ClassVar[bool] = False
    label_domain: ClassVar[str] = "finite real numbers"

    link: Link = IdentityLink()

    _frozen: bool = False

    def __setattr__(self, name: str, value) -> None:
        if self._frozen:
            raise AttributeError(
                f"{type(self).__name__} is immutable (its parameters were validated when it was "
                f"built), so {name!r} cannot be set. Build a new loss instead: "
                f"{type(self).__name__}(**{{**loss.get_params(), {name!r}: ...}})."
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is immutable; {name!r} cannot be deleted.")
        object.__delattr__(self, name)

    # ------------------------------------------------------------------ parameters
    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the keyword-only hyper-parameters of this loss."""
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        signature = inspect.signature(cls.__init__)
        return {
            p.name: p.default for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY
        }

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyper-parameters as given to the constructor (after validation).

        ``deep`` is accepted for scikit-learn's ``clone``, which rebuilds a loss passed as an
        estimator parameter with ``type(loss)(**loss.get_params(deep=False))``.
        """
        return {name: getattr(self, name) for name in self.param_names()}

    def __sklearn_clone__(self) -> Loss:
        """scikit-learn's ``clone`` protocol: a fresh, equal loss (losses are immutable)."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        mine, theirs = self.get_params(), other.get_params()
        return all(np.array_equal(np.asarray(mine[k]), np.asarray(theirs[k])) for k in mine)

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))

    # ------------------------------------------------------------------ shapes
    @property
    def n_outputs(self) -> int | None:
        """Number of raw columns if fixed by the parameters, else None (single output,
        or multiclass with the class count taken from the data)."""
        return None

    @property
    def is_multi_output(self) -> bool:
        return self.output_kind != "single"

    def n_outputs_for(self, y_true) -> int:
        """Number of raw columns needed for these labels (1 for single-output losses)."""
        return 1

    # ------------------------------------------------------------------ validation
    def validate_labels(self, y_true) -> np.ndarray:
        """Check labels against the loss's domain and return them in internal form.

        Raises ValueError for NaN/inf, out-of-domain values and wrong dimensionality.
        """
        y = as_float_array("y_true", y_true)
        expected_ndim = 2 if self.output_kind == "multilabel" else 1
        if y.ndim != expected_ndim:
            shape = "(n_samples, n_labels)" if expected_ndim == 2 else "(n_samples,)"
            raise ValueError(
                f"{self.name}: y_true must have shape {shape}, got shape {y.shape}."
                + (" Use y.ravel() for a column vector." if y.ndim == 2 and y.shape[1] == 1 else "")
            )
        return self._check_labels(y)

    def _check_labels(self, y: np.ndarray) -> np.ndarray:
        return y

    def _check_raw_shape(self, y: np.ndarray, raw: np.ndarray) -> None:
        n = y.shape[0]
        if self.output_kind == "single":
            if not (raw.shape == (n,) or raw.shape == (n, 1)):
                raise ValueError(
                    f"{self.name}: raw must have shape ({n},) to match y_true, got {raw.shape}."
                )
            return
        if raw.ndim != 2 or raw.shape[0] != n:
            raise ValueError(
                f"{self.name}: raw must have shape ({n}, n_outputs) to match y_true, "
                f"got {raw.shape}."
            )
        expected = self.n_outputs
        if expected is not None and raw.shape[1] != expected:
            raise ValueError(
                f"{self.name}: raw must have {expected} columns for these parameters, "
                f"got {raw.shape[1]}."
            )

    def _validate(self, y_true, raw, sample_weight):
        y = self.validate_labels(y_true)
        raw = as_float_array("raw", raw)
        self._check_raw_shape(y, raw)
        weight = check_sample_weight(sample_weight, y.shape[0])
        return y, raw, weight

    # ------------------------------------------------------------------ public API
    def __call__(self, y_true, raw, sample_weight=None) -> np.ndarray:
        """Per-sample loss, float64 of shape (n,), multiplied by the sample weights."""
        y, raw, weight = self._validate(y_true, raw, sample_weight)
        values = self._weighted_loss(y, raw, weight)
        self._check_finite_output("loss", values, y, raw)
        return values

    def grad_hess(self, y_true, raw, sample_weight=None) -> tuple[np.ndarray, np.ndarray]:
        """(grad, hess) of the per-sample loss w.r.t. raw, each shaped like raw, weights in."""
        y, raw, weight = self._validate(y_true, raw, sample_weight)
        grad, hess = self._weighted_grad_hess(y, raw, weight)
        self._check_finite_output("gradient", grad, y, raw)
        self._check_finite_output("Hessian", hess, y, raw)
        return grad, hess

    def metric(self, y_true, raw, sample_weight=None) -> float:
        """Sample-weighted mean of ``loss(...)``."""
        y, raw, weight = self._validate(y_true, raw, sample_weight)
        if y.shape[0] == 0:
            raise ValueError(f"{self.name}: metric needs at least one sample, got none.")
        value = self._metric(y, raw, weight)
        if not np.isfinite(value):
            self._check_finite_output("loss", self._weighted_loss(y, raw, None), y, raw)
            raise ValueError(
                f"{self.name}: the weighted mean loss overflows float64 ({value!r}); the "
                "losses or weights are too large to average. Rescale the labels or weights."
            )
        return value

    def init_score(self, y_true, sample_weight=None):
        """The constant raw score minimising ``metric`` (float, or (k,) for multi-output)."""
        y = self.validate_labels(y_true)
        if y.shape[0] == 0:
            raise ValueError(f"{self.name}: init_score needs at least one sample, got none.")
        weight = check_sample_weight(sample_weight, y.shape[0])
        score = self._init_score(y, weight)
        if not np.all(np.isfinite(score)):
            raise ValueError(
                f"{self.name}: the best constant is not finite ({score!r}) for these labels "
                "and weights (they are too large for float64 arithmetic). Rescale the labels."
            )
        return float(score) if np.ndim(score) == 0 else score

    def transform(self, raw):
        """raw -> prediction on the response scale (``link.inverse``).

        A scalar raw score gives a float (``base_score=loss.transform(loss.init_score(y))``
        for an engine objective that reads base_score on the response scale); an array gives
        an array of the same shape."""
        if np.ndim(raw) == 0 and not self.is_multi_output:
            return float(self.link.inverse(as_float_array("raw", [raw]))[0])
        return self.link.inverse(as_float_array("raw", raw))

    def _check_finite_output(self, what: str, values: np.ndarray, y, raw) -> None:
        """Raise ValueError naming the first row where ``values`` is NaN or inf."""
        if np.all(np.isfinite(values)):
            return
        flat = np.flatnonzero(~np.isfinite(values.ravel()))
        row = int(flat[0] // (values.shape[1] if values.ndim == 2 else 1))
        hint = (
            "raw must stay within about +-700 for a log link"
            if self.link.name == "log"
            else "rescale the labels (or the weights) so that residuals stay far below 1e150"
        )
        raise ValueError(
            f"{self.name}: the {what} is not representable in float64 (NaN or inf) at "
            f"{flat.size:,} of {values.size:,} entries, first in row {row} "
            f"(y_true = {_brief(y[row])}, raw = {_brief(raw[row])}). These inputs lie outside "
            f"the range where {self.name} is computable: {hint}."
        )

    # ------------------------------------------------------------------ weighted cores
    def _weighted_loss(self, y, raw, weight) -> np.ndarray:
        values = self._loss(y, raw if raw.ndim == 1 or self.is_multi_output else raw[:, 0])
        return values if weight is None else values * weight

    def _weighted_grad_hess(self, y, raw, weight, dtype=np.float64, order="C"):
        """(grad, hess) on validated labels, weights multiplied in, as arrays of ``dtype``.

        Runs the compiled kernel (``boostloss.losses._compiled``, vectorised C) when the loss has
        one (the default), and the numpy reference otherwise; both compute in float64 and
        round once to ``dtype`` (float32 for both engines, which store gradients in float32; a value
        beyond float32's range becomes inf, which the adapters report). ``order`` is the
        memory layout of 2-D outputs ("F" for LightGBM's class-major buffers).

        For separable losses the numpy reference runs in blocks of about
        ``_BLOCK_ELEMENTS`` elements written straight into the output arrays: its
        temporaries then stay in cache instead of streaming through memory once per
        operation (measured 1.4-1.8x faster at 1M rows, see benchmarks/bench_kernels.py),
        and peak memory is the outputs plus one block.
        """
        if _compiled.enabled():
            compiled = _compiled.grad_hess(self, y, raw, weight, dtype, order)
            if compiled is not None:
                return compiled
        columns = raw.shape[1] if raw.ndim == 2 else 1
        rows_per_block = max(1, _BLOCK_ELEMENTS // max(1, columns))
        if not self.separable or raw.shape[0] <= rows_per_block:
            grad, hess = self._reference_grad_hess(y, raw, weight)
            # one layout and the engine's dtype (softmax computes class-major); no copy if so
            with np.errstate(over="ignore"):
                return (np.asarray(grad, dtype=dtype, order=order),
                        np.asarray(hess, dtype=dtype, order=order))
        grad = np.empty(raw.shape, dtype=dtype, order=order)
        hess = np.empty(raw.shape, dtype=dtype, order=order)
        with np.errstate(over="ignore"):  # float32 overflow -> inf, reported by the adapters
            for start in range(0, raw.shape[0], rows_per_block):
                rows = slice(start, start + rows_per_block)
                block_weight = None if weight is None else weight[rows]
                grad[rows], hess[rows] = self._reference_grad_hess(y[rows], raw[rows], block_weight)
        return grad, hess

    def _reference_grad_hess(self, y, raw, weight):
        """The numpy reference implementation of ``_weighted_grad_hess`` (float64)."""
        raw = np.asarray(raw, dtype=np.float64)  # engines hand float32; math is float64
        if raw.ndim == 2 and not self.is_multi_output:  # (n, 1) single output
            grad, hess = self._grad_hess(y, raw[:, 0])
            grad, hess = grad[:, None], hess[:, None]
        else:
            grad, hess = self._grad_hess(y, raw)
        np.maximum(hess, MIN_HESSIAN, out=hess)
        if weight is not None:
            column = weight if grad.ndim == 1 else weight[:, None]
            grad *= column
            hess *= column
            # a tiny positive weight times a tiny Hessian underflows: keep such rows positive
            # (the masked pass runs only when some product is 0: one reduction otherwise)
            if not hess.min() > 0:
                np.maximum(hess, MIN_HESSIAN, out=hess, where=column > 0)
        return grad, hess

    def _metric(self, y, raw, weight) -> float:
        return weighted_mean(self._weighted_loss(y, raw, None), weight)

    # ------------------------------------------------------------------ to implement
    def _loss(self, y: np.ndarray, raw: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad_hess(self, y: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _init_score(self, y: np.ndarray, weight: np.ndarray | None):
        raise NotImplementedError
