"""The tabular encoder: a raw table in, the network's two inputs out.

Numeric columns are centred on their median, scaled by their interquartile
range and smooth-clipped; missing values become the median plus an indicator
column. Categorical columns become one ±1 column (two levels), one-hot
columns (up to ``max_one_hot`` levels) or embedding indices (more levels),
with an "unknown" slot for levels never seen in training.

Every statistic is frequency-exact: an integer sample weight ``w`` acts
exactly like ``w`` repeated rows, and a zero weight like a removed row, so the
estimators built on the encoder pass sklearn's sample-weight equivalence
check.
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.exceptions import NotFittedError

from sknn_scratch._inputs import validate_sample_weight

CLIP = 3.0
"""Smooth clipping maps z to ``z / sqrt(1 + (z / CLIP)**2)``, inside ±CLIP."""
_BIG = 1e150
"""Scaled values are clipped here first, so that squaring them cannot overflow."""
MISSING_NAME = "<missing>"
"""How the missing level is spelled in output feature names."""


def weighted_quantile(x, q, sample_weight=None):
    """Quantiles of ``x`` by the averaged inverted CDF, with sample weights.

    This is NumPy's ``method="averaged_inverted_cdf"`` (Hyndman and Fan's
    type 2) with weights: for integer weights it equals the unweighted
    quantile of ``np.repeat(x, sample_weight)``, and a zero weight removes its
    value. With ``W_k`` the cumulative weight of the sorted values and ``T``
    the total, the quantile is the first ``x_k`` with ``W_k >= qT``, averaged
    with the next value when ``W_k = qT`` exactly:

    .. math::

        Q(q) = \\begin{cases}
            \\tfrac12 (x_k + x_{k+1}) & W_k = qT \\\\
            x_k & W_{k-1} < qT < W_k
        \\end{cases}

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Finite values, at least one with a positive weight.
    q : float or array-like of float
        Probabilities in [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; None means all ones.

    Returns
    -------
    quantiles : float or ndarray
        One quantile per probability, in the shape of ``q``.

    Examples
    --------
    >>> weighted_quantile([1.0, 2.0, 3.0], 0.5, sample_weight=[1, 0, 3])
    3.0
    >>> weighted_quantile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.5
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if sample_weight is None else np.asarray(sample_weight, float)
    keep = w > 0
    order = np.argsort(x[keep], kind="stable")
    x, cumulative = x[keep][order], np.cumsum(w[keep][order])
    target = np.asarray(q, dtype=np.float64) * cumulative[-1]
    k = np.minimum(np.searchsorted(cumulative, target, side="left"), len(x) - 1)
    after = np.minimum(k + 1, len(x) - 1)
    tie = cumulative[k] == target
    result = np.where(tie, 0.5 * (x[k] + x[after]), x[k])
    return float(result) if result.ndim == 0 else result


class _Table(NamedTuple):
    """A table read column by column, whatever container it came in."""

    names: list | None
    """Column names when they are all strings, else None."""
    columns: list
    """One 1-D NumPy array per column."""
    by_dtype: list
    """Whether each column's dtype makes it categorical."""
    n_samples: int


def _read_table(X):
    """Read a NumPy array, array-like, pandas or polars DataFrame into columns."""
    if sparse.issparse(X):
        raise TypeError(
            "TableEncoder does not accept sparse input; convert it with "
            "X.toarray() or pass a DataFrame."
        )
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return _read_pandas(X)
    if type(X).__module__.startswith("polars") and hasattr(X, "columns"):
        return _read_polars(X)
    return _read_array(X)


def _string_names(columns):
    names = [name for name in columns]
    return names if all(isinstance(name, str) for name in names) else None


def _read_pandas(X):
    columns = [X.iloc[:, j].to_numpy() for j in range(X.shape[1])]
    # category, string, object and (nullable) boolean dtypes have kind O or b.
    by_dtype = [dtype.kind in "OSUb" for dtype in X.dtypes]
    return _Table(_string_names(X.columns), columns, by_dtype, X.shape[0])


def _read_polars(X):
    import polars as pl

    columns = [X[name].to_numpy() for name in X.columns]
    textual = (pl.String, pl.Boolean, pl.Categorical, pl.Object)
    by_dtype = [isinstance(dtype, pl.Enum) or dtype in textual for dtype in X.dtypes]
    return _Table(list(X.columns), columns, by_dtype, X.height)


def _read_array(X):
    given = X
    X = np.asarray(X)
    if not isinstance(given, np.ndarray) and X.dtype.kind in "US":
        # A list mixing numbers and strings: keep the numbers as numbers.
        X = np.asarray(given, dtype=object)
    if X.ndim == 1:
        raise ValueError(
            f"Expected a 2D array, got a 1D array instead: array={X!r}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data "
            "has a single feature or array.reshape(1, -1) if it contains a "
            "single sample."
        )
    if X.ndim != 2:
        raise ValueError(f"Found array with dim {X.ndim}. TableEncoder expected 2.")
    columns = [X[:, j] for j in range(X.shape[1])]
    return _Table(None, columns, [_holds_text(col) for col in columns], X.shape[0])


def _holds_text(column):
    """Whether a NumPy column is categorical by its dtype or contents."""
    if column.dtype.kind == "O":
        return bool(np.frompyfunc(_is_text, 1, 1)(column).any())
    return column.dtype.kind in "USb"


def _is_text(value):
    return isinstance(value, (str, bytes))


def _is_missing(value):
    """Whether one cell is missing: None, NaN, pandas' NA or NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, (float, np.floating)) and value != value


def _missing_mask(column):
    if column.dtype.kind == "f":
        return np.isnan(column)
    if column.dtype.kind == "O":
        return np.frompyfunc(_is_missing, 1, 1)(column).astype(bool)
    return np.zeros(column.shape, dtype=bool)


def _as_float(column, label):
    """A numeric column as float64 with NaN for missing, or a clear error."""
    if column.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {label} is complex.")
    if column.dtype.kind == "O":
        missing = _missing_mask(column)
        values = np.full(column.shape, np.nan)
        try:
            values[~missing] = column[~missing].astype(np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{label} is numeric but holds a value that is not a number "
                f"({error}). Declare it in categorical_features or fix the value."
            ) from None
    else:
        values = column.astype(np.float64)
    if np.isinf(values).any():
        raise ValueError(f"{label} holds an infinite value; only NaN may be missing.")
    return values


def _sorted_levels(values):
    """Distinct values, sorted; by their text when the types do not compare."""
    distinct = list(set(values.tolist()))
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=lambda v: (str(v), type(v).__name__))


def _object_array(values):
    return np.fromiter(values, dtype=object, count=len(values))


def _has_missing_level(levels):
    return len(levels) > 0 and _is_missing(levels[-1])


def _level_index(column, levels):
    """Each row's level in ``levels`` (0, 1, ...), or -1 when unknown."""
    missing = _missing_mask(column)
    with_missing = _has_missing_level(levels)
    known = levels[:-1] if with_missing else levels
    lookup = {value: i for i, value in enumerate(known)}
    index = np.frompyfunc(lookup.get, 2, 1)(column, -1).astype(np.int64)
    index[missing] = len(known) if with_missing else -1
    return index


def _stack(blocks, n_samples, dtype=np.float64):
    if not blocks:
        return np.empty((n_samples, 0), dtype=dtype)
    return np.column_stack(blocks).astype(dtype, copy=False)


def _one_hot(index, n_levels):
    out = np.zeros((len(index), n_levels))
    rows = np.flatnonzero(index >= 0)
    out[rows, index[rows]] = 1.0
    return out


def _level_name(value):
    return MISSING_NAME if _is_missing(value) else str(value)


def _smooth_clip(Z):
    return Z / np.sqrt(1.0 + (Z / CLIP) ** 2)


def _robust_scale(x, w):
    """The median and robust scale of the values ``x`` (weights ``w > 0``).

    The scale is 1 / IQR, or 1 / half the range when the IQR is zero (as in
    RealMLP), or 0 for a constant column, which then encodes to 0 everywhere.
    """
    q25, median, q75 = weighted_quantile(x, [0.25, 0.5, 0.75], w)
    spread = q75 - q25
    if not spread > 0:
        spread = 0.5 * (x.max() - x.min())
    return median, (1.0 / spread if spread > 0 else 0.0)


def _standard_scale(x, w):
    """The weighted mean and 1 / standard deviation (0 for a constant column)."""
    mean = float(np.average(x, weights=w))
    std = float(np.sqrt(np.average((x - mean) ** 2, weights=w)))
    return mean, (1.0 / std if std > 0 else 0.0)


def _mask_from_names(spec, names, n_features):
    if names is None:
        raise ValueError(
            f"categorical_features names {list(spec)} were given, but X has no "
            "string column names; pass integer indices or a boolean mask."
        )
    unknown = [name for name in spec if name not in names]
    if unknown:
        raise ValueError(
            f"categorical_features names {unknown} are not columns of X; "
            f"its columns are {names}."
        )
    return np.isin(np.arange(n_features), [names.index(name) for name in spec])


def _mask_from_indices(spec, n_features):
    bad = [int(j) for j in spec if not 0 <= j < n_features]
    if bad:
        raise ValueError(
            f"categorical_features indices {bad} are out of range: X has "
            f"{n_features} features, so indices must be in [0, {n_features - 1}]."
        )
    return np.isin(np.arange(n_features), spec)


def _mask_from_bools(spec, n_features):
    if len(spec) != n_features:
        raise ValueError(
            f"categorical_features as a boolean mask has length {len(spec)}, "
            f"but X has {n_features} features."
        )
    return spec.astype(bool)


def _categorical_mask(spec, table):
    """Resolve ``categorical_features`` to one boolean per column of X."""
    n_features = len(table.columns)
    if isinstance(spec, str) and spec == "from_dtype":
        return np.array(table.by_dtype, dtype=bool).reshape(n_features)
    if spec is None:
        return np.zeros(n_features, dtype=bool)
    array = np.asarray(spec) if not isinstance(spec, str) else np.asarray(None)
    if array.ndim != 1:
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or a 1-D array-like "
            f"of column names, indices or booleans; got {spec!r}."
        )
    if array.dtype.kind == "b":
        return _mask_from_bools(array, n_features)
    if array.size == 0 or array.dtype.kind in "iu":
        return _mask_from_indices(array.astype(np.int64), n_features)
    if all(isinstance(name, str) for name in array.tolist()):
        return _mask_from_names(array.tolist(), table.names, n_features)
    raise ValueError(
        f"categorical_features entries must all be names, ints or bools; got {spec!r}."
    )


def _name_difference(fitted, given):
    """Say how the column names ``given`` differ from ``fitted``."""
    unexpected = [name for name in given if name not in fitted]
    absent = [name for name in fitted if name not in given]
    if unexpected or absent:
        return (
            f"Unseen at fit time: {unexpected}. Seen at fit time, yet now "
            f"missing: {absent}."
        )
    position = next(
        i for i, (a, b) in enumerate(zip(fitted, given, strict=True)) if a != b
    )
    return (
        f"The names are the same but in another order: column {position} is "
        f"{given[position]!r}, but it was {fitted[position]!r} at fit time."
    )


class TableEncoder:
    """Encode a raw table into the inputs of a tabular network.

    Numeric columns are median-centred, scaled by the inverse interquartile
    range and smooth-clipped,

    .. math::

        z = (x - \\operatorname{median}) \\, s, \\qquad
        s = \\frac{1}{q_{75} - q_{25}}, \\qquad
        \\tilde z = \\frac{z}{\\sqrt{1 + (z / 3)^2}},

    with the scale falling back to one over half the range when the quartiles
    coincide (RealMLP's choice) and to 0 for a constant column. A missing value
    encodes as the median (0), plus an indicator column for each numeric column
    that had missing values in training.

    A categorical column has ``c`` levels: its distinct values, sorted, plus a
    missing level when values were missing in training. Two levels or fewer
    give one column of -1/+1; up to ``max_one_hot`` levels give ``c`` one-hot
    columns; more give an embedding index in 1..c. A level never seen in
    training encodes as 0, all zeros, or index 0.

    Every statistic treats an integer sample weight ``w`` exactly like ``w``
    repeated rows, and a zero weight like a removed row.

    Parameters
    ----------
    categorical_features : 'from_dtype', None or array-like, default='from_dtype'
        Which columns are categorical. ``'from_dtype'``: pandas ``category``,
        object, string and boolean columns, polars Categorical, Enum, String
        and Boolean columns, NumPy string or boolean arrays, and columns of a
        NumPy object array that hold a string. None: no column. Otherwise, as
        in ``HistGradientBoostingClassifier``: column names, integer indices,
        or a boolean mask with one entry per column.
    max_one_hot : int, default=9
        The most levels (the missing level included) a categorical column may
        have and still be one-hot encoded; columns with more are embedded.
    scaling : {'robust', 'standard'}, default='robust'
        ``'robust'``: centre on the median, divide by the interquartile range,
        then smooth-clip. ``'standard'``: centre on the mean and divide by the
        standard deviation, without clipping (for comparison).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during fit, when they are all strings.
    numeric_columns_ : ndarray of int
        Indices of the numeric columns of X.
    categorical_columns_ : ndarray of int
        Indices of the categorical columns of X.
    medians_ : ndarray of shape (n_numeric,)
        Weighted median of each numeric column.
    scales_ : ndarray of shape (n_numeric,)
        Robust scale of each numeric column.
    missing_indicator_columns_ : ndarray of int
        Positions in ``numeric_columns_`` of the columns that get a missing
        indicator.
    categories_ : list of ndarray
        Levels of each categorical column, sorted, with NaN last for the
        missing level when it occurred in training.
    binary_columns_, one_hot_columns_, embedded_columns_ : ndarray of int
        Indices of the categorical columns of X encoded as ±1, one-hot, and
        embedding indices.
    n_continuous_ : int
        Number of leading continuous columns of the numeric output.
    n_numeric_out_ : int
        Number of columns of the numeric output.
    embedding_cardinalities_ : list of int
        For each embedded column, its number of levels plus one: index 0 is
        the unknown level.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, "a"], [2.0, "b"], [np.nan, "a"], [4.0, "c"]], dtype=object)
    >>> encoder = TableEncoder().fit(X)
    >>> numeric, codes = encoder.transform(X)
    >>> encoder.get_feature_names_out().tolist()
    ['x0', 'x0_missing', 'x1=a', 'x1=b', 'x1=c']
    >>> numeric[:, 1].tolist(), codes.shape
    ([0.0, 0.0, 1.0, 0.0], (4, 0))
    """

    def __init__(
        self, categorical_features="from_dtype", max_one_hot=9, scaling="robust"
    ):
        self.categorical_features = categorical_features
        self.max_one_hot = max_one_hot
        self.scaling = scaling

    def fit(self, X, sample_weight=None):
        """Learn the columns' kinds, scalings and levels from training data.

        Parameters
        ----------
        X : array-like, pandas DataFrame or polars DataFrame of shape \
(n_samples, n_features)
            Training data. Missing values are NaN, None or ``pd.NA``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; None means all ones.

        Returns
        -------
        self : TableEncoder
            The fitted encoder.
        """
        self._check_max_one_hot()
        table = _read_table(X)
        _check_not_empty(table)
        w = validate_sample_weight(sample_weight, table.n_samples)
        w = np.ones(table.n_samples) if w is None else w
        self._fit_columns(table)
        self._fit_numeric(table, w)
        self._fit_categorical(table, w)
        return self

    def transform(self, X):
        """Encode X into the numeric block and the embedding codes.

        Parameters
        ----------
        X : array-like, pandas DataFrame or polars DataFrame of shape \
(n_samples, `n_features_in_`)
            Data with the columns seen in fit. Unseen levels never raise.

        Returns
        -------
        numeric : ndarray of shape (n_samples, `n_numeric_out_`)
            float64 columns: the ``n_continuous_`` smooth-clipped numeric
            columns, then the missing indicators, then the ±1 and one-hot
            columns in input order.
        codes : ndarray of shape (n_samples, len(`embedded_columns_`))
            int64 embedding indices; 0 is the unknown level.
        """
        self._check_fitted()
        table = _read_table(X)
        self._check_columns(table)
        continuous, indicators = self._transform_numeric(table)
        categorical, codes = self._transform_categorical(table)
        numeric = np.hstack([continuous, indicators, categorical])
        return numeric, codes

    def fit_transform(self, X, sample_weight=None):
        """Fit to X, then encode it; see :meth:`fit` and :meth:`transform`.

        Parameters
        ----------
        X : array-like, pandas DataFrame or polars DataFrame
            Training data.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; None means all ones.

        Returns
        -------
        numeric, codes : ndarray
            As returned by :meth:`transform`.
        """
        return self.fit(X, sample_weight).transform(X)

    def get_feature_names_out(self):
        """Names of the numeric output's columns, for reading and debugging.

        Continuous columns keep their name, indicators are ``name_missing``,
        one-hot columns ``name=level``, and ±1 columns ``name=level`` after
        the level that encodes as +1 (the last one).

        Returns
        -------
        names : ndarray of str, shape (`n_numeric_out_`,)
            One name per column of the ``numeric`` output.
        """
        self._check_fitted()
        names = self._input_names()
        out = [names[j] for j in self.numeric_columns_]
        out += [f"{out[k]}_missing" for k in self.missing_indicator_columns_]
        for j, levels in zip(self.categorical_columns_, self.categories_, strict=True):
            if j in self.binary_columns_:
                out.append(f"{names[j]}={_level_name(levels[-1])}")
            elif j in self.one_hot_columns_:
                out += [f"{names[j]}={_level_name(level)}" for level in levels]
        return np.asarray(out, dtype=object)

    def _check_max_one_hot(self):
        value = self.max_one_hot
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 2:
            raise ValueError(f"max_one_hot must be an int >= 2, got {value!r}.")

    def _check_fitted(self):
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                "This TableEncoder instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this encoder."
            )

    def _input_names(self):
        if hasattr(self, "feature_names_in_"):
            return list(self.feature_names_in_)
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _label(self, j):
        """How error messages name column ``j`` of X."""
        if hasattr(self, "feature_names_in_"):
            return f"Column {self.feature_names_in_[j]!r}"
        return f"Column {j}"

    def _fit_columns(self, table):
        """Record the input's width, names, and which columns are categorical."""
        self.__dict__.pop("feature_names_in_", None)
        self.n_features_in_ = len(table.columns)
        if table.names is not None:
            self.feature_names_in_ = np.asarray(table.names, dtype=object)
        categorical = _categorical_mask(self.categorical_features, table)
        self.numeric_columns_ = np.flatnonzero(~categorical)
        self.categorical_columns_ = np.flatnonzero(categorical)

    def _numeric_block(self, table):
        """The numeric columns as float64, NaN where missing."""
        columns = [
            _as_float(table.columns[j], self._label(j)) for j in self.numeric_columns_
        ]
        return _stack(columns, table.n_samples)

    def _fit_numeric(self, table, w):
        """Fit the medians, scales and missing indicators of numeric columns."""
        X = self._numeric_block(table)
        counted = np.isfinite(X) & (w > 0)[:, None]
        stats = []
        for k, j in enumerate(self.numeric_columns_):
            if not counted[:, k].any():
                raise ValueError(
                    f"{self._label(j)} has no value in the training data: it is "
                    "missing in every row with a positive weight."
                )
            stats.append(self._scale(X[counted[:, k], k], w[counted[:, k]]))
        self.medians_ = np.array([m for m, _ in stats], dtype=np.float64)
        self.scales_ = np.array([s for _, s in stats], dtype=np.float64)
        missed = np.isnan(X) & (w > 0)[:, None]
        self.missing_indicator_columns_ = np.flatnonzero(missed.any(axis=0))
        self.n_continuous_ = len(self.numeric_columns_)

    def _fit_categorical(self, table, w):
        """Fit each categorical column's levels and choose its encoding."""
        self.categories_ = [
            _fit_levels(table.columns[j], w) for j in self.categorical_columns_
        ]
        sizes = np.array([len(levels) for levels in self.categories_], dtype=int)
        embedded = sizes > self.max_one_hot
        one_hot = (sizes > 2) & ~embedded
        self.binary_columns_ = self.categorical_columns_[sizes <= 2]
        self.one_hot_columns_ = self.categorical_columns_[one_hot]
        self.embedded_columns_ = self.categorical_columns_[embedded]
        self.embedding_cardinalities_ = [int(c) + 1 for c in sizes[embedded]]
        self.n_numeric_out_ = (
            self.n_continuous_
            + len(self.missing_indicator_columns_)
            + len(self.binary_columns_)
            + int(sizes[one_hot].sum())
        )

    def _check_columns(self, table):
        """Refuse an X whose width or column names differ from fit's."""
        if len(table.columns) != self.n_features_in_:
            raise ValueError(
                f"X has {len(table.columns)} features, but TableEncoder is "
                f"expecting {self.n_features_in_} features as input."
            )
        fitted = self.__dict__.get("feature_names_in_")
        if fitted is None or table.names is None or list(fitted) == table.names:
            return
        raise ValueError(
            "The feature names should match those that were passed during fit. "
            + _name_difference(list(fitted), table.names)
        )

    def _transform_numeric(self, table):
        """Smooth-clipped robust scaling, and the missing indicators."""
        X = self._numeric_block(table)
        missing = np.isnan(X)
        with np.errstate(over="ignore", invalid="ignore"):
            Z = (X - self.medians_) * self.scales_
        # NaN (missing, or 0 * inf in a constant column) becomes the median.
        Z = np.clip(np.nan_to_num(Z, nan=0.0), -_BIG, _BIG)
        indicators = missing[:, self.missing_indicator_columns_]
        if self.scaling == "robust":
            Z = _smooth_clip(Z)
        return Z, indicators.astype(np.float64)

    def _scale(self, x, w):
        """The centre and scale of one column, by ``scaling``."""
        if self.scaling == "robust":
            return _robust_scale(x, w)
        if self.scaling != "standard":
            raise ValueError(
                f"scaling must be 'robust' or 'standard', got {self.scaling!r}."
            )
        return _standard_scale(x, w)

    def _transform_categorical(self, table):
        """The ±1 and one-hot block, and the embedding codes."""
        blocks, codes = [], []
        for j, levels in zip(self.categorical_columns_, self.categories_, strict=True):
            index = _level_index(table.columns[j], levels)
            if j in self.binary_columns_:
                blocks.append(np.where(index < 0, 0.0, 2.0 * index - 1.0))
            elif j in self.one_hot_columns_:
                blocks.append(_one_hot(index, len(levels)))
            else:
                codes.append(index + 1)
        n_samples = table.n_samples
        return _stack(blocks, n_samples), _stack(codes, n_samples, np.int64)


def _fit_levels(column, w):
    """The sorted levels of a categorical column among rows of positive weight.

    NaN is appended as the missing level when a counted row was missing.
    """
    missing = _missing_mask(column)
    levels = _sorted_levels(column[~missing & (w > 0)])
    if np.any(missing & (w > 0)):
        levels.append(np.nan)
    return _object_array(levels)


def _check_not_empty(table):
    shape = (table.n_samples, len(table.columns))
    if table.n_samples == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 "
            "is required by TableEncoder: it needs at least 1 sample."
        )
    if not table.columns:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={shape}) while a minimum of 1 "
            "is required by TableEncoder: it needs at least 1 feature."
        )
