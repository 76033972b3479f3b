"""Scaling out with Dask: a grid search on a cluster, and out-of-core training.

The cluster is two single-threaded worker processes on the loopback interface,
with no dashboard, started once for the module and shut down by its context
managers.
"""

import logging

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_grid_search_on_a_dask_cluster_matches_the_local_one(client):
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    search = GridSearchCV(
        make_pipeline(
            StandardScaler(),
            ScratchMLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0),
        ),
        {"scratchmlpclassifier__solver": ["adam", "lbfgs"]},
        cv=KFold(3),
        scoring="neg_log_loss",
        n_jobs=-1,
    )
    with (
        joblib.parallel_config(backend="dask"),
        distributed.get_task_stream(client) as tasks,
    ):
        remote = search.fit(X, y).cv_results_
    local = search.set_params(n_jobs=1).fit(X, y).cv_results_

    # the 6 fits ran on the cluster's workers
    assert {task["worker"] for task in tasks.data} <= set(
        client.scheduler_info()["workers"]
    )
    assert len(tasks.data) >= 6
    for key in local:
        if key.startswith(("split", "mean_test", "std_test", "rank", "param")):
            assert_array_equal(remote[key], local[key], err_msg=key)


def _stream(make_blocks, model, classes=None):
    """Feed ``make_blocks()``'s (X, y) pairs to partial_fit, one at a time."""
    for X_block, y_block in make_blocks():
        kwargs = {} if classes is None else {"classes": classes}
        model.partial_fit(X_block, y_block, **kwargs)
    return model


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_out_of_core_partial_fit_matches_in_memory_blocks(Estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5)).astype(np.float32)
    if Estimator is ScratchMLPClassifier:
        y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64) + (X[:, 2] > 0.5)
        classes = np.unique(y)
    else:
        y = (X @ np.arange(1.0, 6.0) + np.sin(X[:, 0])).astype(np.float32)
        classes = None
    chunk = 128  # the last block is smaller: 600 = 4 * 128 + 88
    X_dask = da.from_array(X, chunks=(chunk, -1))
    y_dask = da.from_array(y, chunks=chunk)
    assert X_dask.numblocks == (5, 1)

    def dask_blocks():
        # one (X, y) block pair in memory at a time
        pairs = zip(X_dask.to_delayed().ravel(), y_dask.to_delayed(), strict=True)
        for X_block, y_block in pairs:
            yield dask.compute(X_block, y_block, scheduler="synchronous")

    def numpy_blocks():
        for start in range(0, len(X), chunk):
            yield X[start : start + chunk], y[start : start + chunk]

    params = {"hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}
    streamed, in_memory = Estimator(**params), Estimator(**params)
    for _ in range(3):  # epochs over the stream
        _stream(dask_blocks, streamed, classes)
        _stream(numpy_blocks, in_memory, classes)

    assert streamed.t_ == in_memory.t_ == 3 * len(X)
    assert streamed.coefs_[0].dtype == np.float32
    for got, expected in zip(
        streamed.coefs_ + streamed.intercepts_,
        in_memory.coefs_ + in_memory.intercepts_,
        strict=True,
    ):
        assert_array_equal(got, expected)
    assert streamed.loss_curve_ == in_memory.loss_curve_
    assert_array_equal(streamed.predict(X), in_memory.predict(X))
