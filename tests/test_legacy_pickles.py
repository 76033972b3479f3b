"""Models pickled by sknn_scratch 0.1.0 load, predict identically and train on.

The fixtures in ``tests/fixtures`` were made by ``make_fixtures.py`` there,
from the 0.1.0 code: a plain regressor, a batch-norm classifier with two
hidden layers, a dropout classifier and a float32 batch-norm regressor.
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknn_scratch import ScratchMLPClassifier

FIXTURES = Path(__file__).parent / "fixtures"

# The fixtures hold NumPy 2 arrays, which NumPy 1 cannot unpickle (numpy._core)
# whatever the package: the oldest-dependencies job skips them.
pytestmark = pytest.mark.skipif(
    int(np.__version__.split(".")[0]) < 2,
    reason="fixtures pickled with NumPy 2 do not load in NumPy 1",
)
NAMES = ["plain", "batch_norm", "dropout", "float32"]


def _load(name):
    return pickle.loads((FIXTURES / f"{name}.pkl").read_bytes())


def _output(est, X):
    if isinstance(est, ScratchMLPClassifier):
        return est.predict_proba(X)
    return est.predict(X)


@pytest.mark.parametrize("name", NAMES)
def test_legacy_pickle_predicts_identically(name):
    expected = np.load(FIXTURES / "expected.npz")
    X = expected["X"].astype(np.float32 if name == "float32" else np.float64)
    est = _load(name)
    assert_array_equal(_output(est, X), expected[name])
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(_output(again, X), expected[name])


@pytest.mark.parametrize("name", NAMES)
def test_legacy_pickle_trains_on(name):
    expected = np.load(FIXTURES / "expected.npz")
    X = expected["X"].astype(np.float32 if name == "float32" else np.float64)
    est = _load(name)
    y = est.predict(X)
    n_iter = len(est.loss_curve_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y)
    assert len(est.loss_curve_) == n_iter + 1
    assert np.isfinite(_output(est, X)).all()


@pytest.mark.parametrize("name", NAMES)
def test_parameters_added_since_take_their_defaults(name):
    est = _load(name)
    assert est.scoring is None  # added after 0.1.0
    assert type(est)().get_params().keys() == est.get_params().keys()
