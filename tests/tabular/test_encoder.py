"""The tabular encoder and the content-keyed validation split."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.tabular._encoder import TableEncoder, weighted_quantile
from sknn_scratch.tabular._split import content_split, row_keys

pd = pytest.importorskip("pandas")

TOL = 1e-12


def _clip(z):
    return z / np.sqrt(1 + (z / 3) ** 2)


def _column(values):
    """A one-column object array."""
    out = np.empty((len(values), 1), dtype=object)
    out[:, 0] = values
    return out


def _mixed_frame():
    return pd.DataFrame(
        {
            "age": [30.0, np.nan, 50.0, 41.0, 29.0, 33.0],
            "color": pd.Categorical(["red", "blue", None, "red", "green", "blue"]),
            "city": ["a", "b", "c", "d", "e", "f"],
            "smoker": [True, False, False, True, True, False],
            "income": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


# Numeric columns ------------------------------------------------------------


def test_robust_scaling_and_smooth_clip_by_hand():
    # Averaged inverted CDF on 5 values: q25 = x(2) = 2, median 3, q75 = x(4) = 4.
    X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    encoder = TableEncoder().fit(X)
    assert_allclose(encoder.medians_, [3.0], rtol=TOL)
    assert_allclose(encoder.scales_, [0.5], rtol=TOL)
    numeric, codes = encoder.transform(np.array([[1.0], [3.0], [100.0], [-1e300]]))
    expected = _clip(np.array([-1.0, 0.0, 48.5, -1e150]))
    assert_allclose(numeric[:, 0], expected, rtol=TOL)
    assert numeric[3, 0] == pytest.approx(-3.0)
    assert codes.shape == (4, 0) and codes.dtype == np.int64


def test_scale_falls_back_to_half_range_then_to_zero():
    # Quartiles 5 and 5: the scale is 1 / (0.5 * (10 - 0)).
    X = np.array([[0.0, 7.0], [5.0, 7.0], [5.0, 7.0], [5.0, 7.0], [10.0, 7.0]])
    encoder = TableEncoder().fit(X)
    assert_allclose(encoder.scales_, [0.2, 0.0], rtol=TOL)
    numeric, _ = encoder.transform(np.array([[10.0, 1e6], [5.0, -3.0]]))
    assert_allclose(numeric, [[_clip(1.0), 0.0], [0.0, 0.0]], rtol=TOL)


@pytest.mark.parametrize("seed", range(5))
def test_weighted_quantile_equals_quantile_of_repeated_values(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, 40).astype(float) + rng.normal(size=40) * (seed % 2)
    w = rng.integers(0, 4, 40)
    w[0] = 1
    q = np.r_[0.0, 0.25, 0.5, 0.75, 1.0, np.arange(1, w.sum()) / w.sum()]
    expected = np.quantile(np.repeat(x, w), q, method="averaged_inverted_cdf")
    assert_allclose(weighted_quantile(x, q, w), expected, rtol=TOL, atol=0)


def test_missing_values_fill_the_median_with_an_indicator():
    X = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 5.0],
            "b": [1.0, 2.0, 3.0, 4.0],
            "c": pd.array([1, None, 3, 3], dtype="Int64"),
        }
    )
    encoder = TableEncoder().fit(X)
    assert_array_equal(encoder.missing_indicator_columns_, [0, 2])
    numeric, _ = encoder.transform(X.assign(b=[np.nan, 2.0, 3.0, 4.0]))
    assert list(encoder.get_feature_names_out()) == [
        "a",
        "b",
        "c",
        "a_missing",
        "c_missing",
    ]
    assert_allclose(numeric[:, 3], [0, 1, 0, 0])
    assert_allclose(numeric[:, 4], [0, 1, 0, 0])
    # Missing values encode as the median; b had none in fit, so no indicator.
    assert numeric[1, 0] == 0.0 and numeric[0, 1] == 0.0 and numeric[1, 2] == 0.0


def test_a_value_missing_only_in_zero_weight_rows_gets_no_indicator():
    X = np.array([[1.0], [np.nan], [3.0], [4.0]])
    encoder = TableEncoder().fit(X, sample_weight=[1, 0, 1, 1])
    assert len(encoder.missing_indicator_columns_) == 0
    assert encoder.medians_[0] == 3.0


def test_none_and_pandas_na_in_an_object_array_are_missing():
    X = _column([1.0, None, 3.0, pd.NA, 5.0])
    numeric, _ = TableEncoder().fit_transform(X)
    assert_allclose(numeric[:, 1], [0, 1, 0, 1, 0])


# Categorical columns --------------------------------------------------------


def test_two_levels_give_one_plus_minus_one_column():
    X = _column(["no", "yes", "yes", "no"])
    encoder = TableEncoder().fit(X)
    numeric, codes = encoder.transform(_column(["yes", "no", "maybe", None]))
    assert_array_equal(numeric[:, 0], [1.0, -1.0, 0.0, 0.0])
    assert_array_equal(encoder.binary_columns_, [0])
    assert list(encoder.get_feature_names_out()) == ["x0=yes"]


def test_bool_columns_are_binary_categoricals():
    X = pd.DataFrame({"flag": [True, False, True], "v": [1.0, 2.0, 3.0]})
    encoder = TableEncoder().fit(X)
    assert_array_equal(encoder.categorical_columns_, [0])
    assert list(encoder.categories_[0]) == [False, True]
    numeric, _ = encoder.transform(X)
    assert_array_equal(numeric[:, 1], [1.0, -1.0, 1.0])
    numeric, _ = TableEncoder().fit_transform(np.array([[True], [False]]))
    assert_array_equal(numeric[:, 0], [1.0, -1.0])


def test_one_hot_with_a_missing_level_and_unknown_rows():
    X = _column(["b", "a", None, "c", "a"])
    encoder = TableEncoder().fit(X)
    assert list(encoder.categories_[0][:3]) == ["a", "b", "c"]
    assert np.isnan(encoder.categories_[0][3])
    numeric, _ = encoder.transform(_column(["a", np.nan, "zzz", "c"]))
    assert_array_equal(
        numeric, [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 1, 0]]
    )
    names = list(encoder.get_feature_names_out())
    assert names == ["x0=a", "x0=b", "x0=c", "x0=<missing>"]


def test_many_levels_become_embedding_codes_with_an_unknown_slot():
    levels = [f"v{k:02d}" for k in range(12)]
    encoder = TableEncoder(max_one_hot=9).fit(_column(levels[::-1]))
    assert encoder.embedding_cardinalities_ == [13]
    assert_array_equal(encoder.embedded_columns_, [0])
    assert encoder.n_numeric_out_ == 0
    numeric, codes = encoder.transform(_column(["v00", "v11", "new", None]))
    assert numeric.shape == (4, 0)
    assert_array_equal(codes[:, 0], [1, 12, 0, 0])
    wide = TableEncoder(max_one_hot=12).fit(_column(levels))
    assert wide.n_numeric_out_ == 12 and wide.embedding_cardinalities_ == []


def test_zero_weight_levels_are_unknown():
    X = _column(["a", "b", "c", "a"])
    encoder = TableEncoder().fit(X, sample_weight=[1.0, 1.0, 0.0, 1.0])
    assert list(encoder.categories_[0]) == ["a", "b"]
    assert_array_equal(encoder.transform(X)[0][:, 0], [-1.0, 1.0, 0.0, -1.0])


def test_output_order_continuous_indicators_then_categoricals_in_input_order():
    encoder = TableEncoder(max_one_hot=5).fit(_mixed_frame())
    names = list(encoder.get_feature_names_out())
    assert names == [
        "age",
        "income",
        "age_missing",
        "color=blue",
        "color=green",
        "color=red",
        "color=<missing>",
        "smoker=True",
    ]
    numeric, codes = encoder.transform(_mixed_frame())
    assert numeric.shape == (6, encoder.n_numeric_out_) == (6, len(names))
    assert encoder.n_continuous_ == 2
    assert_array_equal(encoder.numeric_columns_, [0, 4])
    assert_array_equal(encoder.categorical_columns_, [1, 2, 3])
    assert_array_equal(encoder.one_hot_columns_, [1])
    assert_array_equal(encoder.embedded_columns_, [2])
    assert encoder.embedding_cardinalities_ == [7]
    assert_array_equal(codes[:, 0], [1, 2, 3, 4, 5, 6])
    assert_array_equal(encoder.feature_names_in_, _mixed_frame().columns)


# categorical_features -------------------------------------------------------


def test_categorical_features_by_names_indices_and_mask_agree():
    X = pd.DataFrame({"a": [1.0, 2.0, 1.0], "b": [3.0, 4.0, 5.0]})
    specs = [["a"], [0], [True, False]]
    outputs = [TableEncoder(spec).fit_transform(X)[0] for spec in specs]
    for out in outputs:
        assert_array_equal(out, outputs[0])
    assert_array_equal(outputs[0][:, 1], [-1.0, 1.0, -1.0])
    numeric, _ = TableEncoder(None).fit_transform(pd.DataFrame({"s": [True, False]}))
    # As numbers, [1, 0] has median 0.5 and quartiles 0 and 1.
    assert_array_equal(numeric[:, 0], [_clip(0.5), _clip(-0.5)])


@pytest.mark.parametrize(
    "spec, match",
    [
        (["a", "nope"], "nope"),
        ([2], r"\[2\]"),
        ([True], "length 1"),
        ("numeric", "from_dtype"),
        ([1.5], "names, ints or bools"),
    ],
)
def test_categorical_features_errors_name_the_bad_entry(spec, match):
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(ValueError, match=match):
        TableEncoder(spec).fit(X)


def test_categorical_names_need_column_names():
    with pytest.raises(ValueError, match="no string column names"):
        TableEncoder(["a"]).fit(np.ones((3, 2)))


def test_max_one_hot_is_checked():
    with pytest.raises(ValueError, match="max_one_hot"):
        TableEncoder(max_one_hot=1).fit(np.ones((3, 2)))


# Containers and dtypes ------------------------------------------------------


def test_pandas_dtypes_give_the_same_output_as_an_object_array():
    frame = pd.DataFrame(
        {
            "cat": pd.Categorical(["x", "y", "z", "x"]),
            "obj": pd.Series(["p", None, "q", "p"], dtype=object),
            "str": pd.Series(["u", "v", None, "u"], dtype="string"),
            "num": [0.5, 1.5, 2.5, 3.5],
        }
    )
    encoder = TableEncoder().fit(frame)
    assert_array_equal(encoder.categorical_columns_, [0, 1, 2])
    array = frame.astype(object).to_numpy()
    numeric, codes = encoder.transform(frame)
    assert_array_equal(encoder.transform(array)[0], numeric)
    assert_array_equal(TableEncoder().fit(array).transform(array)[0], numeric)


def test_polars_frame_gives_the_same_output_as_pandas():
    pl = pytest.importorskip("polars")
    frame = _mixed_frame()
    polars_frame = pl.DataFrame(
        {
            "age": frame["age"].to_numpy(),
            "color": pl.Series(
                ["red", "blue", None, "red", "green", "blue"], dtype=pl.Categorical
            ),
            "city": frame["city"].tolist(),
            "smoker": frame["smoker"].tolist(),
            "income": frame["income"].to_numpy(),
        }
    )
    expected = TableEncoder().fit(frame)
    encoder = TableEncoder().fit(polars_frame)
    assert_array_equal(encoder.feature_names_in_, expected.feature_names_in_)
    assert_array_equal(encoder.categorical_columns_, expected.categorical_columns_)
    for got, want in zip(
        encoder.transform(polars_frame), expected.transform(frame), strict=True
    ):
        assert_array_equal(got, want)


def test_a_frame_at_fit_and_an_array_at_transform_is_accepted():
    frame = _mixed_frame()
    encoder = TableEncoder().fit(frame)
    for got, want in zip(
        encoder.transform(frame.astype(object).to_numpy()),
        encoder.transform(frame),
        strict=True,
    ):
        assert_array_equal(got, want)


def test_pickle_round_trip():
    encoder = TableEncoder().fit(_mixed_frame())
    loaded = pickle.loads(pickle.dumps(encoder))
    for got, want in zip(
        loaded.transform(_mixed_frame()), encoder.transform(_mixed_frame()), strict=True
    ):
        assert_array_equal(got, want)


# Errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1.0, np.nan], [2.0, np.nan]]), "Column 1 has no value"),
        (np.array([[1.0, np.inf], [2.0, 0.0]]), "Column 1 holds an infinite"),
        (np.empty((0, 3)), "at least 1 sample"),
        (np.empty((3, 0)), "at least 1 feature"),
        (np.array([1.0, 2.0]), "reshape"),
        (np.ones((2, 2, 2)), "dim 3"),
        (np.array([[1 + 1j], [2.0]]), "Complex"),
    ],
)
def test_fit_errors(X, match):
    with pytest.raises(ValueError, match=match):
        TableEncoder().fit(X)


def test_all_missing_only_counts_rows_of_positive_weight():
    X = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 2.0]})
    with pytest.raises(ValueError, match="Column 'b' has no value"):
        TableEncoder().fit(X, sample_weight=[1.0, 0.0])


def test_transform_errors():
    encoder = TableEncoder().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}))
    with pytest.raises(ValueError, match="X has 3 features, but TableEncoder is "):
        encoder.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Unseen at fit time: \['c'\]"):
        encoder.transform(pd.DataFrame({"a": [1.0], "c": [2.0]}))
    with pytest.raises(ValueError, match="column 0 is 'b', but it was 'a'"):
        encoder.transform(pd.DataFrame({"b": [1.0], "a": [2.0]}))
    with pytest.raises(ValueError, match="Column 'b' holds an infinite"):
        encoder.transform(pd.DataFrame({"a": [1.0], "b": [-np.inf]}))
    with pytest.raises(ValueError, match="Column 'a' is numeric but holds a value"):
        encoder.transform(pd.DataFrame({"a": ["oops"], "b": [2.0]}))


# Frequency-exact weights ----------------------------------------------------


def _random_table(rng, n):
    X = np.empty((n, 4), dtype=object)
    X[:, 0] = np.round(rng.normal(size=n), 1)
    X[rng.random(n) < 0.2, 0] = np.nan
    X[:, 1] = rng.integers(0, 5, n).astype(float)
    X[:, 2] = rng.choice(list("abcde"), n)
    X[:, 3] = rng.choice([f"k{k}" for k in range(15)], n)
    return X


FITTED = ["medians_", "scales_", "missing_indicator_columns_", "n_numeric_out_"]


@pytest.mark.parametrize("seed", range(4))
def test_integer_weights_equal_repeated_rows(seed):
    rng = np.random.default_rng(seed)
    X = _random_table(rng, 30)
    # Some rows only exist with weight zero: a NaN and an extra level.
    X[:2, 0], X[:2, 2], X[:2, 3] = np.nan, "only-in-zero", "only-in-zero"
    w = rng.integers(0, 4, 30)
    w[:2] = 0
    w[2:4] = 1
    weighted = TableEncoder().fit(X, sample_weight=w)
    repeated = TableEncoder().fit(np.repeat(X, w, axis=0))
    for name in FITTED:
        assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=TOL)
    for got, want in zip(weighted.categories_, repeated.categories_, strict=True):
        assert got.tolist() == want.tolist()
    assert weighted.embedding_cardinalities_ == repeated.embedding_cardinalities_
    for got, want in zip(weighted.transform(X), repeated.transform(X), strict=True):
        assert_allclose(got, want, rtol=TOL, atol=TOL)


# Row keys and the validation split ------------------------------------------


def test_row_keys_follow_content_target_and_seed():
    numeric = np.array([[1.0, 0.0], [1.0, -0.0], [1.0, 2.0], [1.0, 0.0]])
    codes = np.array([[3], [3], [3], [4]])
    keys = row_keys(numeric, codes)
    assert keys.dtype == np.uint64
    assert keys[0] == keys[1] and len(set(keys[[0, 2, 3]].tolist())) == 3
    with_y = row_keys(numeric, codes, y=np.array([0, 1, 0, 0]))
    assert with_y[0] != with_y[1]
    reseeded = row_keys(numeric, codes, seed=1)
    assert reseeded[0] == reseeded[1] and not set(reseeded) & set(keys)
    many = row_keys(
        np.random.default_rng(0).normal(size=(10000, 3)), np.zeros((10000, 0))
    )
    assert len(np.unique(many)) == 10000


def test_split_takes_the_requested_fraction():
    rng = np.random.default_rng(0)
    keys = row_keys(rng.normal(size=(1000, 3)), np.zeros((1000, 0)), seed=7)
    assert content_split(keys, None, 0.2).sum() == 200
    w = rng.random(1000)
    share = w[content_split(keys, w, 0.2)].sum() / w.sum()
    assert abs(share - 0.2) <= w.max() / w.sum()


def test_split_is_deterministic_and_changes_with_the_seed():
    rng = np.random.default_rng(1)
    numeric = rng.normal(size=(500, 2))
    split = [
        content_split(row_keys(numeric, np.zeros((500, 0)), seed=s), None, 0.3)
        for s in (0, 0, 1)
    ]
    assert_array_equal(split[0], split[1])
    assert (split[0] != split[2]).sum() > 100


def test_split_respects_strata():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1, 2], [600, 300, 100])
    keys = row_keys(rng.normal(size=(1000, 2)), np.zeros((1000, 0)), y=y)
    validation = content_split(keys, None, 0.2, strata=y)
    assert_array_equal([validation[y == k].sum() for k in range(3)], [120, 60, 20])


def test_split_keeps_duplicates_together_takes_one_and_never_all():
    numeric = np.repeat([[1.0], [2.0], [3.0]], [5, 1, 1], axis=0)
    keys = row_keys(numeric, np.zeros((7, 0)))
    for fraction in (0.01, 0.5, 0.99):
        validation = content_split(keys, None, fraction)
        groups = [set(validation[numeric[:, 0] == v]) for v in (1.0, 2.0, 3.0)]
        assert all(len(g) == 1 for g in groups)
        assert 0 < validation.sum() < 7
    single = content_split(keys[:5], None, 0.5)
    assert not single.any()


@pytest.mark.parametrize("seed", range(4))
def test_split_of_weighted_rows_equals_split_of_repeated_rows(seed):
    rng = np.random.default_rng(seed)
    numeric = rng.integers(0, 4, size=(200, 2)).astype(float)
    y = rng.integers(0, 3, 200)
    w = rng.integers(0, 4, 200)
    keys = row_keys(numeric, np.zeros((200, 0)), y=y, seed=seed)
    weighted = content_split(keys, w, 0.2, strata=y)
    repeated = content_split(np.repeat(keys, w), None, 0.2, strata=np.repeat(y, w))
    assert_array_equal(np.repeat(weighted, w), repeated)
    assert weighted.any() and not weighted[w > 0].all()


def test_split_refuses_a_bad_fraction():
    with pytest.raises(ValueError, match="fraction"):
        content_split(np.zeros(3, dtype=np.uint64), None, 1.0)
