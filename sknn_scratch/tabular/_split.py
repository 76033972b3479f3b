"""Row keys and the content-keyed validation split.

All per-row randomness of the tabular estimators is keyed by the row's
content, so that identical rows always land on the same side of the
validation split. This makes the split frequency-exact (an integer sample
weight ``w`` acts exactly like ``w`` repeated rows), and it keeps exact
duplicate rows from straddling training and validation.
"""

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(z):
    """The splitmix64 step: a bijection of uint64 with good avalanche."""
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def _words(values):
    """Each row's values as uint64 words: float64 bit patterns or int64 values."""
    values = np.asarray(values)
    values = values[:, None] if values.ndim == 1 else values
    if values.dtype.kind == "f":
        # +0.0 makes -0.0 positive; one NaN bit pattern for every NaN.
        values = values.astype(np.float64) + 0.0
        values[np.isnan(values)] = np.nan
    else:
        values = values.astype(np.int64)
    return np.ascontiguousarray(values).view(np.uint64)


def row_keys(numeric, codes, y=None, seed=0):
    """One pseudo-random 64-bit key per row, determined by the row's content.

    Identical rows get identical keys, different rows different keys with
    overwhelming probability, and another seed gives unrelated keys. The row's
    words (the float64 bit patterns of ``numeric``, the ``codes`` and the
    target) are folded into the seed's hash with splitmix64:
    :math:`h \\leftarrow \\mathrm{mix}(h \\oplus w_j)`.

    Parameters
    ----------
    numeric : ndarray of shape (n_samples, n_numeric)
        The encoder's numeric output.
    codes : ndarray of shape (n_samples, n_embedded)
        The encoder's embedding codes.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs), default=None
        The targets: integer-encoded classes, or float regression targets.
    seed : int, default=0
        Mixed into every key.

    Returns
    -------
    keys : ndarray of uint64, shape (n_samples,)
        One key per row.

    Examples
    --------
    >>> import numpy as np
    >>> keys = row_keys(np.array([[1.0], [-0.0], [1.0], [0.0]]), np.zeros((4, 0)))
    >>> bool(keys[0] == keys[2]), bool(keys[1] == keys[3]), bool(keys[0] == keys[1])
    (True, True, False)
    """
    n_samples = len(numeric)
    parts = [_words(numeric), _words(codes)]
    if y is not None:
        parts.append(_words(y))
    words = np.hstack(parts)
    keys = np.full(
        n_samples, _splitmix64(np.uint64(int(seed) % 2**64)), dtype=np.uint64
    )
    for j in range(words.shape[1]):
        keys = _splitmix64(keys ^ words[:, j])
    return keys


def _take_groups(keys, weights, fraction):
    """Validation rows of one stratum, given sorted keys and their weights.

    Whole groups of equal keys are taken in key order; the count of groups
    with positive weight is the one whose cumulative weight is nearest to
    ``fraction`` of the total, but at least one and never all of them.
    """
    first = np.r_[True, keys[1:] != keys[:-1]]
    group_weights = np.bincount(np.cumsum(first) - 1, weights=weights)
    counted = group_weights > 0
    cumulative = np.cumsum(group_weights[counted])
    n_groups = len(cumulative)
    if n_groups < 2:
        return np.zeros(len(keys), dtype=bool)
    boundaries = np.r_[0.0, cumulative]
    n_taken = int(np.argmin(np.abs(boundaries - fraction * cumulative[-1])))
    n_taken = min(max(n_taken, 1), n_groups - 1)
    # Zero-weight groups follow their key: in if at or below the last taken key.
    last_key = keys[first][counted][n_taken - 1]
    return keys <= last_key


def content_split(keys, sample_weight, fraction, strata=None):
    """Split rows into training and validation by their content keys.

    Within each stratum, rows are grouped by key, and whole groups are taken
    in key order (a random order fixed by the seed of :func:`row_keys`) until
    the validation weight is nearest to ``fraction`` of the stratum's weight.
    At least one group is taken from a stratum of two or more groups, and
    never all of them. Zero-weight rows follow their key but do not count, so
    the split of weighted rows equals that of their ``np.repeat``-ed rows.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_samples,)
        Row keys from :func:`row_keys`.
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative weights; None means all ones.
    fraction : float
        Target share of each stratum's weight in validation, in (0, 1).
    strata : array-like of shape (n_samples,), default=None
        Stratum of each row, for example the class; None is one stratum.

    Returns
    -------
    validation : ndarray of bool, shape (n_samples,)
        True for validation rows.

    Examples
    --------
    >>> import numpy as np
    >>> keys = row_keys(np.arange(10.0).reshape(-1, 1), np.zeros((10, 0)))
    >>> int(content_split(keys, None, 0.2).sum())
    2
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}.")
    keys = np.asarray(keys, dtype=np.uint64)
    n_samples = len(keys)
    if n_samples == 0:
        return np.zeros(0, dtype=bool)
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    weights = np.asarray(weights, dtype=np.float64)
    strata = np.zeros(n_samples) if strata is None else np.asarray(strata)
    _, stratum = np.unique(strata, return_inverse=True)
    order = np.lexsort((keys, stratum.reshape(-1)))
    ends = np.searchsorted(stratum.reshape(-1)[order], np.arange(stratum.max() + 1))
    validation = np.zeros(n_samples, dtype=bool)
    for rows in np.split(order, ends[1:]):
        validation[rows] = _take_groups(keys[rows], weights[rows], fraction)
    return validation
