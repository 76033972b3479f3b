"""
==============================================
Tabular data: a raw DataFrame in, no pipeline
==============================================

:class:`~sknn_scratch.TabularMLPClassifier` and
:class:`~sknn_scratch.TabularMLPRegressor` take a table as it comes: numeric
and categorical columns side by side, with missing values. This example
predicts the species of the Palmer penguins (344 birds, two categorical
columns, missing values in five columns) from the raw DataFrame, and compares
it with two models a scikit-learn user would write:

* :class:`~sknn_scratch.ScratchMLPClassifier` behind the usual
  :class:`~sklearn.compose.ColumnTransformer` (impute, scale, one-hot);
* :class:`~sklearn.ensemble.HistGradientBoostingClassifier` with
  ``categorical_features="from_dtype"``, which also takes the table as it is.

A second part predicts each penguin's body mass with
:class:`~sknn_scratch.TabularMLPRegressor`. :doc:`/user_guide/tabular`
explains every ingredient of the tabular recipe.

This example needs the ``palmerpenguins`` package (``pip install
palmerpenguins``), which ships the data: nothing is downloaded. The timings
are measured when the example runs (for the published page, on the machine
that built the documentation, with one BLAS thread).
"""

# %%
# The data
# --------
# ``island`` and ``sex`` are text columns; ``sex`` and the four measurements
# have missing values. We make the text columns ``category`` columns because
# :class:`~sklearn.ensemble.HistGradientBoostingClassifier` finds categorical
# columns by that dtype only; the tabular estimators would also take the text
# columns as they are. ``year`` stays numeric.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from palmerpenguins import load_penguins
from sklearn.compose import (
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from sknn_scratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
)

penguins = load_penguins()
penguins[["island", "sex"]] = penguins[["island", "sex"]].astype("category")
X, y = penguins.drop(columns="species"), penguins["species"]
print(f"{X.shape[0]} rows; missing values per column:")
print(X.isna().sum().to_string())
print("species:", y.value_counts().to_dict())

# %%
# Three models
# ------------
# The tabular classifier gets the DataFrame itself, with its default
# parameters: it trains for a fixed budget of ``max_epochs`` epochs and keeps
# the weights of its best epoch (see the last figure).
#
# The ScratchMLP pipeline is what one writes for any scikit-learn neural
# network: median imputation and standardization for the numeric columns,
# most-frequent imputation and one-hot encoding for the categorical ones.


def one_hot_pipeline(model):
    """``model`` behind imputation, scaling and one-hot encoding."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    numbers = make_column_selector(dtype_include="number")
    categories = make_column_selector(dtype_include="category")
    columns = ColumnTransformer(
        [("numeric", numeric, numbers), ("categorical", categorical, categories)]
    )
    return make_pipeline(columns, model)


classifiers = {
    "TabularMLP": TabularMLPClassifier(random_state=0),
    "ScratchMLP + one-hot": one_hot_pipeline(ScratchMLPClassifier(random_state=0)),
    "HistGradientBoosting": HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=0
    ),
}

# %%
# Five-fold cross-validation
# --------------------------
# The same stratified folds for every model. Every library runs on one
# thread (BLAS for the networks, OpenMP for the boosted trees), so that the fit
# times compare the algorithms rather than the thread pools. The ScratchMLP
# pipeline's Adam may stop at its ``max_iter`` before its tolerance is met;
# the convergence warnings are silenced.
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = {}
start = time.perf_counter()
with threadpool_limits(limits=1), warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in classifiers.items():
        scores[name] = cross_validate(
            model, X, y, cv=folds, scoring=["accuracy", "neg_log_loss"],
            return_estimator=True,
        )  # fmt: skip
print(f"cross-validation took {time.perf_counter() - start:.1f} s\n")

print(f"{'model':22s} {'accuracy':>16s} {'log-loss':>16s} {'fit time':>10s}")
for name, result in scores.items():
    accuracy, loss = result["test_accuracy"], -result["test_neg_log_loss"]
    print(
        f"{name:22s} {accuracy.mean():7.3f} ± {accuracy.std():.3f}"
        f"  {loss.mean():7.3f} ± {loss.std():.3f}"
        f"  {result['fit_time'].mean():7.2f} s"
    )

# %%
# The penguins are easy to tell apart, so the three accuracies differ by a
# row or two per fold; the log-loss, which also scores how sure each
# prediction is, is the finer measure. On a table this small and this clean,
# a plain network on one-hot columns is hard to beat, and it fits in a
# fraction of the time. The tabular recipe is built for larger and harder tables
# (the benchmark in :doc:`/user_guide/tabular` measures it on fifteen); what
# it saves here is the preprocessing pipeline.
names = list(scores)
colors = ["tab:blue", "tab:orange", "tab:green"]
panels = [
    ("log-loss (lower is better)", lambda r: -r["test_neg_log_loss"]),
    ("accuracy", lambda r: r["test_accuracy"]),
    ("fit time per fold (s)", lambda r: r["fit_time"]),
]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
for ax, (title, metric) in zip(axes, panels, strict=True):
    values = [metric(scores[name]) for name in names]
    ax.bar(
        range(len(names)), [v.mean() for v in values],
        yerr=[v.std() for v in values], color=colors, capsize=4,
    )  # fmt: skip
    ax.set_xticks(range(len(names)), names, rotation=15)
    ax.set_title(title)
lowest = min(scores[name]["test_accuracy"].min() for name in names)
axes[1].set_ylim(min(0.9, lowest - 0.02), 1.0)
fig.suptitle("Palmer penguins' species, 5-fold cross-validation (mean ± std)")
fig.tight_layout()

# %%
# What the tabular model learned from the table
# ---------------------------------------------
# Each fitted model keeps its encoder (``encoder_``). It found the categorical
# columns by their dtype, one-hot encoded ``island`` and ``sex`` (``sex`` with a
# level for its missing values), and gave a missing indicator to each
# measurement that had missing values among its training rows. The two birds
# without measurements fall in one test fold, whose model has no indicators;
# we show a model that saw them.
tabular_models = scores["TabularMLP"]["estimator"]
widest = max(tabular_models, key=lambda m: m.encoder_.n_numeric_out_)
print(list(widest.encoder_.get_feature_names_out()))

# %%
# Regression: body mass
# ---------------------
# The same table, now predicting ``body_mass_g`` from the other columns,
# ``species`` included as a third categorical column. The two rows without a
# body mass are dropped. The ScratchMLP pipeline standardizes the target with
# :class:`~sklearn.compose.TransformedTargetRegressor`, as the tabular
# regressor does on its own.
known = penguins["body_mass_g"].notna()
X_mass = penguins.loc[known].drop(columns="body_mass_g")
X_mass["species"] = X_mass["species"].astype("category")
y_mass = penguins.loc[known, "body_mass_g"]

regressors = {
    "TabularMLP": TabularMLPRegressor(random_state=0),
    "ScratchMLP + one-hot": TransformedTargetRegressor(
        one_hot_pipeline(ScratchMLPRegressor(random_state=0)),
        transformer=StandardScaler(),
    ),
    "HistGradientBoosting": HistGradientBoostingRegressor(
        categorical_features="from_dtype", random_state=0
    ),
}
folds = KFold(n_splits=5, shuffle=True, random_state=0)
mass_scores = {}
with threadpool_limits(limits=1), warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in regressors.items():
        mass_scores[name] = cross_validate(
            model, X_mass, y_mass, cv=folds,
            scoring=["neg_root_mean_squared_error", "r2"], return_estimator=True,
        )  # fmt: skip

print(f"{'model':22s} {'RMSE (g)':>14s} {'R²':>15s} {'fit time':>10s}")
for name, result in mass_scores.items():
    rmse, r2 = -result["test_neg_root_mean_squared_error"], result["test_r2"]
    print(
        f"{name:22s} {rmse.mean():6.0f} ± {rmse.std():4.0f}"
        f"  {r2.mean():6.3f} ± {r2.std():.3f}"
        f"  {result['fit_time'].mean():7.2f} s"
    )

# %%
# Training curves and the best epoch
# ----------------------------------
# The tabular estimators hold out a fifth of the training rows
# (``validation_fraction``), measure the validation loss after every epoch,
# and keep the weights of the best epoch, ``best_epoch_``. The training loss
# is that of the training targets as trained: label-smoothed classes (so it
# cannot reach 0) and standardized body masses. Both curves are from the
# first fold's models. The cyclic learning-rate schedule (``lr_schedule``)
# shows in both: the losses rise when a cycle restarts with a large learning
# rate, and fall while it anneals.
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
curves = [
    (scores["TabularMLP"]["estimator"][0], "species: log-loss"),
    (mass_scores["TabularMLP"]["estimator"][0], "body mass: squared-error loss"),
]
for ax, (model, title) in zip(axes, curves, strict=True):
    epochs = np.arange(1, model.n_epochs_ + 1)
    ax.plot(epochs, model.loss_curve_, label="training loss")
    ax.plot(epochs, model.validation_loss_curve_, label="validation loss")
    best = model.best_epoch_
    ax.axvline(best + 1, color="k", linestyle=":", label=f"best epoch ({best + 1})")
    ax.plot(best + 1, model.validation_loss_curve_[best], "ko")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.legend()
fig.suptitle("TabularMLP, first fold: the weights of the marked epoch are kept")
fig.tight_layout()
plt.show()
