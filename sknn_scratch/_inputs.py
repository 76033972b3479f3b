"""Checks of the estimators' inputs and parameters that sklearn's do not make.

Each names the parameter and what is wrong, as sklearn's own checks do.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_array


def hidden_sizes(sizes):
    """``hidden_layer_sizes`` as a list of positive ints, or a clear error.

    sklearn's parameter check lets through any array-like, and ``int()``
    would silently turn 5.7, "10" or True into a layer size.
    """
    given = sizes
    sizes = list(sizes) if np.ndim(sizes) == 1 else [sizes]
    if not all(_is_integer(k) for k in sizes):
        raise TypeError(
            "hidden_layer_sizes must be an int or a 1-D sequence of ints, got "
            f"{given!r}."
        )
    if any(k <= 0 for k in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {plain(list(sizes))}.")
    return [int(k) for k in sizes]


def dropout_rates(dropout):
    """``dropout`` as an array of rates in [0, 1), or a clear error."""
    if np.ndim(dropout) > 1:
        raise ValueError(
            f"dropout must be a float or a 1-D sequence of floats, got {dropout!r}."
        )
    values = list(dropout) if np.ndim(dropout) == 1 else [dropout]
    if not all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
        raise TypeError(
            f"dropout must be a float or a 1-D sequence of floats, got {dropout!r}."
        )
    rates = np.array(values, dtype=float)
    if np.any(~((rates >= 0) & (rates < 1))):
        raise ValueError(f"dropout rates must be in [0, 1), got {plain(values)}.")
    return rates


def validate_sample_weight(sample_weight, n_samples):
    """Return sample weights as a 1-D float64 array, or None.

    Negative, non-finite and all-zero weights are refused: sklearn's MLP
    accepts negative weights and crashes on a zero sum. The check is in
    float64 whatever X's dtype, so weights too small or too large for float32
    are judged by their own values.
    """
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
    )
    if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected ({n_samples},)!"
        )
    if np.any(sample_weight < 0):
        raise ValueError("Negative values in data passed to sample_weight.")
    if not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to zero: at least one sample needs a positive weight."
        )
    return sample_weight


def _is_integer(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_class_weight_values(class_weight):
    """Refuse class weights that ``sample_weight`` would refuse, naming them."""
    bad_type = {k: v for k, v in class_weight.items() if not isinstance(v, Real)}
    if bad_type:
        raise TypeError(
            f"class_weight values must be real numbers; got {plain(bad_type)}."
        )
    bad = {k: v for k, v in class_weight.items() if not (0 <= float(v) < math.inf)}
    if bad:
        raise ValueError(
            "class_weight values must be finite and non-negative, like "
            f"sample_weight; got {plain(bad)}."
        )


def plain(values):
    """``values`` with NumPy scalars as Python ones, for error messages."""
    if isinstance(values, dict):
        return {plain(k): plain(v) for k, v in values.items()}
    if isinstance(values, np.generic):
        return values.item()
    if isinstance(values, (list, tuple, np.ndarray)):
        return [plain(v) for v in values]
    return values
