"""``scoring``: what early stopping scores the validation set by, and keeps."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris
from sklearn.metrics import log_loss

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_CLF, Y_CLF = load_iris(return_X_y=True)
X_REG, Y_REG = load_diabetes(return_X_y=True)
Y_REG = Y_REG / 100
ES = dict(early_stopping=True, max_iter=25, n_iter_no_change=100, random_state=0)


def test_loss_scores_minus_the_validation_loss():
    clf = ScratchMLPClassifier(scoring="loss", **ES).fit(X_CLF, Y_CLF)
    assert clf.validation_scores_ == [-v for v in clf.validation_loss_curve_]
    assert clf.best_validation_score_ == -min(clf.validation_loss_curve_)


def test_a_scorer_name_is_sklearns_scorer_on_the_validation_set():
    clf = ScratchMLPClassifier(scoring="neg_log_loss", **ES).fit(X_CLF, Y_CLF)
    # sklearn's log-loss of the validation set is our validation loss
    assert_allclose(clf.validation_scores_, -np.array(clf.validation_loss_curve_))
    reg = ScratchMLPRegressor(scoring="neg_mean_squared_error", **ES)
    reg.fit(X_REG, Y_REG)
    # our squared error is half the mean squared error
    expected = -2 * np.array(reg.validation_loss_curve_)
    assert_allclose(reg.validation_scores_, expected, rtol=1e-10)


def test_the_epoch_kept_is_the_best_by_scoring():
    seen = []

    def scorer(est, X, y):
        seen.append(([W.copy() for W in est.coefs_], X.shape))
        return -log_loss(y, est.predict_proba(X), labels=est.classes_)

    clf = ScratchMLPClassifier(scoring=scorer, **ES).fit(X_CLF, Y_CLF)
    assert len(seen) == clf.n_iter_ and seen[0][1] == (15, 4)  # 10% of 150
    best = int(np.argmax(clf.validation_scores_))
    for kept, at_best in zip(clf.coefs_, seen[best][0], strict=True):
        assert_array_equal(kept, at_best)
    # by accuracy (the default) another epoch is kept on this data
    default = ScratchMLPClassifier(**ES).fit(X_CLF, Y_CLF)
    assert not np.array_equal(default.coefs_[0], clf.coefs_[0])


@pytest.mark.parametrize("scoring", ["loss", "r2", None])
def test_without_early_stopping_scoring_changes_nothing(scoring):
    params = dict(max_iter=10, random_state=0)
    reg = ScratchMLPRegressor(scoring=scoring, **params).fit(X_REG, Y_REG)
    plain = ScratchMLPRegressor(**params).fit(X_REG, Y_REG)
    assert_array_equal(reg.coefs_[0], plain.coefs_[0])
    assert reg.validation_scores_ is None


@pytest.mark.parametrize("scoring, error", [("nope", ValueError), (3, ValueError)])
def test_an_unknown_scoring_is_refused_before_training(scoring, error):
    clf = ScratchMLPClassifier(**ES).fit(X_CLF, Y_CLF)
    W = clf.coefs_[0].copy()
    clf.set_params(scoring=scoring, warm_start=True)
    with pytest.raises(error, match="scoring"):
        clf.fit(X_CLF, Y_CLF)
    assert_array_equal(clf.coefs_[0], W)


def test_feature_names_reach_no_warning_through_the_scorer():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_CLF, columns=["a", "b", "c", "d"])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "X does not have valid feature names")
        ScratchMLPClassifier(scoring="accuracy", **ES).fit(frame, Y_CLF)
