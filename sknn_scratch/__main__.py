"""Side-by-side demo of sknn_scratch and scikit-learn's MLP.

Run it with::

    python -m sknn_scratch

The demo fits :class:`~sknn_scratch.ScratchMLPClassifier` and
:class:`~sknn_scratch.ScratchMLPRegressor` next to scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` and
:class:`~sklearn.neural_network.MLPRegressor` on three datasets bundled with
scikit-learn: digits and breast cancer (classification) and diabetes
(regression). Both sides get the same parameters, the same ``random_state``,
the same ``StandardScaler`` pipeline and the same train/test split.

For each dataset it prints the test score (accuracy or :math:`R^2`), the
wall-clock fit time, and how far sknn_scratch's test outputs are from
scikit-learn's: the largest absolute difference of ``predict_proba`` for the
classifiers, of ``predict`` for the regressor.

Notes
-----
Some fits stop at ``max_iter`` before the optimizer has converged. That is
fine for a comparison, so the demo silences
:class:`~sklearn.exceptions.ConvergenceWarning`. It does so inside
:func:`main` only; importing this module runs nothing.

The diabetes target is standardized with a
:class:`~sklearn.compose.TransformedTargetRegressor`: its raw values are in
the hundreds, too far from the network's initial outputs for 200 epochs of
Adam at the default step size.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor, __version__

# Shared by both sides; keyword-only because MLPRegressor's first positional
# parameter is ``loss``.
MLP_PARAMS: dict[str, Any] = {
    "hidden_layer_sizes": (64,),
    "max_iter": 200,
    "early_stopping": False,
    "random_state": 0,
}
TEST_SIZE = 0.25
SPLIT_SEED = 0

# (name, loader, is_classification)
DATASETS: tuple[tuple[str, Callable[..., Any], bool], ...] = (
    ("digits", load_digits, True),
    ("breast_cancer", load_breast_cancer, True),
    ("diabetes", load_diabetes, False),
)

HEADER = ("dataset", "estimator", "metric", "score", "fit (s)", "vs sklearn")


def make_model(mlp: Any, is_classification: bool) -> Any:
    """Wrap an MLP in the demo's preprocessing.

    Parameters
    ----------
    mlp : estimator
        An unfitted classifier or regressor.
    is_classification : bool
        If False, the target is standardized as well as the features.

    Returns
    -------
    model : estimator
        A pipeline ``StandardScaler -> mlp``, wrapped in a
        ``TransformedTargetRegressor`` for regression.
    """
    pipeline = make_pipeline(StandardScaler(), mlp)
    if is_classification:
        return pipeline
    return TransformedTargetRegressor(regressor=pipeline, transformer=StandardScaler())


def timed_fit(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    """Fit ``model`` on ``(X, y)`` and return the wall-clock seconds taken."""
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def describe_difference(
    ours: Any, reference: Any, X: np.ndarray, is_classification: bool
) -> str:
    """Say how far ``ours`` is from ``reference`` on ``X``.

    Parameters
    ----------
    ours, reference : estimator
        Two fitted models of the same kind.
    X : ndarray of shape (n_samples, n_features)
        The inputs to compare the models on.
    is_classification : bool
        Compare ``predict_proba`` and labels if True, ``predict`` otherwise.

    Returns
    -------
    text : str
        For example ``"proba identical, labels identical"`` or
        ``"pred max|diff| 3.1e-14"``.
    """
    if is_classification:
        parts = [
            _array_difference(
                "proba", ours.predict_proba(X), reference.predict_proba(X)
            )
        ]
        n_differ = int(np.sum(ours.predict(X) != reference.predict(X)))
        parts.append(
            "labels identical" if n_differ == 0 else f"{n_differ} labels differ"
        )
        return ", ".join(parts)
    return _array_difference("pred", ours.predict(X), reference.predict(X))


def _array_difference(name: str, a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"{name} shapes differ {a.shape} vs {b.shape}"
    if np.array_equal(a, b):
        return f"{name} identical"
    return f"{name} max|diff| {np.max(np.abs(a - b)):.1e}"


def run_dataset(
    name: str, loader: Callable[..., Any], is_classification: bool
) -> list[tuple[str, ...]]:
    """Fit both implementations on one dataset and return two table rows."""
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=TEST_SIZE,
        random_state=SPLIT_SEED,
        stratify=y if is_classification else None,
    )
    if is_classification:
        reference = make_model(MLPClassifier(**MLP_PARAMS), True)
        ours = make_model(ScratchMLPClassifier(**MLP_PARAMS), True)
        metric = "accuracy"
    else:
        reference = make_model(MLPRegressor(**MLP_PARAMS), False)
        ours = make_model(ScratchMLPRegressor(**MLP_PARAMS), False)
        metric = "R^2"

    rows = []
    for label, model in (("sklearn", reference), ("sknn_scratch", ours)):
        seconds = timed_fit(model, X_train, y_train)
        score = model.score(X_test, y_test)
        rows.append([name, label, metric, f"{score:.4f}", f"{seconds:.2f}", "-"])
    rows[1][-1] = describe_difference(ours, reference, X_test, is_classification)
    return [tuple(row) for row in rows]


def format_table(rows: list[tuple[str, ...]]) -> str:
    """Left-align ``rows`` under :data:`HEADER` in plain-text columns.

    Examples
    --------
    >>> print(format_table([("iris", "sklearn", "accuracy", "0.9", "0.01", "-")]))
    dataset  estimator  metric    score  fit (s)  vs sklearn
    iris     sklearn    accuracy  0.9    0.01     -
    """
    table = [HEADER, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in table
    )


def main() -> None:
    """Fit both implementations on every dataset and print the comparison."""
    params = ", ".join(f"{key}={value!r}" for key, value in MLP_PARAMS.items())
    print(f"sknn_scratch {__version__} vs scikit-learn {sklearn.__version__}")
    print(f"parameters: {params}")
    print(f"split: test_size={TEST_SIZE}, random_state={SPLIT_SEED}\n")

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        for name, loader, is_classification in DATASETS:
            rows.extend(run_dataset(name, loader, is_classification))
    print(format_table(rows))


if __name__ == "__main__":
    main()
