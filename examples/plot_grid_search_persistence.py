"""
==============================================
Grid search, then saving and reloading a model
==============================================

A network is tuned like any scikit-learn estimator: put it in a
:class:`~sklearn.pipeline.Pipeline` behind a scaler and search its
parameters with :class:`~sklearn.model_selection.GridSearchCV`. The best
pipeline is then saved twice, with :mod:`joblib` (pickle) and with
`skops <https://skops.readthedocs.io>`_, whose format loads only the types you
trust, reloaded, and checked against the original.

This example needs ``skops`` (``pip install skops``).
"""

# %%
# The search
# ----------
import tempfile
import warnings
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import skops.io as sio
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("mlp", ScratchMLPClassifier(solver="lbfgs", max_iter=300, random_state=0)),
    ]
)
hidden_sizes = [(5,), (50,), (50, 20)]
alphas = [0.01, 1.0, 10.0, 30.0, 100.0]
search = GridSearchCV(
    pipeline,
    {"mlp__hidden_layer_sizes": hidden_sizes, "mlp__alpha": alphas},
    cv=3,
)
# With little regularization L-BFGS can use all 300 iterations; the grid
# search scores those fits anyway, so their convergence warnings are silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(
    f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.3f}"
)

# %%
# Save and reload
# ---------------
# ``joblib`` pickles the whole pipeline. skops writes a zip of JSON and
# arrays instead, and refuses to load any type that is not on its list of
# trusted types (scikit-learn's own, NumPy's, builtins) unless the caller
# names it. ``get_untrusted_types`` lists what the file needs beyond that;
# here it should be sknn_scratch's classes only, and only those are trusted.
model = search.best_estimator_
with tempfile.TemporaryDirectory() as folder:
    joblib_path = Path(folder) / "model.joblib"
    skops_path = Path(folder) / "model.skops"
    joblib.dump(model, joblib_path)
    sio.dump(model, skops_path)
    sizes = {"joblib": joblib_path.stat().st_size, "skops": skops_path.stat().st_size}

    from_joblib = joblib.load(joblib_path)

    untrusted = sio.get_untrusted_types(file=skops_path)
    print("types skops asks us to trust:", untrusted)
    if not all(name.startswith("sknn_scratch.") for name in untrusted):
        raise RuntimeError(f"unexpected types in the skops file: {untrusted}")
    from_skops = sio.load(skops_path, trusted=untrusted)

for name, size in sizes.items():
    print(f"{name} file: {size / 1024:.1f} KiB")

# %%
# The reloaded pipelines are the same model: identical weights, identical
# predictions. The weights are still views into the one flat parameter
# vector after loading.
original_proba = model.predict_proba(X_test)[:, 1]
for name, reloaded in [("joblib", from_joblib), ("skops", from_skops)]:
    same_weights = all(
        np.array_equal(a, b)
        for a, b in zip(reloaded["mlp"].coefs_, model["mlp"].coefs_, strict=True)
    )
    same_proba = np.array_equal(reloaded.predict_proba(X_test)[:, 1], original_proba)
    views = np.shares_memory(reloaded["mlp"].coefs_[0], reloaded["mlp"]._params)
    print(
        f"{name}: same weights {same_weights}, same probabilities {same_proba}, "
        f"coefs_ still views of the parameter vector {views}"
    )
    assert same_weights and same_proba

# %%
# The picture
# -----------
results = search.cv_results_
table = np.empty((len(hidden_sizes), len(alphas)))
for sizes_, alpha, score in zip(
    results["param_mlp__hidden_layer_sizes"],
    results["param_mlp__alpha"],
    results["mean_test_score"],
    strict=True,
):
    table[hidden_sizes.index(sizes_), alphas.index(alpha)] = score

fig, (ax_grid, ax_check) = plt.subplots(1, 2, figsize=(14, 5))
image = ax_grid.imshow(table, cmap="viridis")
middle = (table.min() + table.max()) / 2
for (i, j), score in np.ndenumerate(table):
    color = "k" if score > middle else "w"
    weight = "bold" if score == table.max() else "normal"
    ax_grid.text(
        j, i, f"{score:.3f}", ha="center", va="center", color=color, fontweight=weight
    )
ax_grid.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas])
ax_grid.set_yticks(range(len(hidden_sizes)), [str(s) for s in hidden_sizes])
ax_grid.set_xlabel("alpha (L2 penalty)")
ax_grid.set_ylabel("hidden_layer_sizes")
ax_grid.set_title("Mean 3-fold cross-validated accuracy (best in bold)")
fig.colorbar(image, ax=ax_grid, label="accuracy")

ax_check.plot([0, 1], [0, 1], color="0.7", lw=4, label="identical")
ax_check.scatter(
    original_proba,
    from_joblib.predict_proba(X_test)[:, 1],
    s=30,
    marker="o",
    facecolors="none",
    edgecolors="tab:blue",
    label="reloaded with joblib",
)
ax_check.scatter(
    original_proba,
    from_skops.predict_proba(X_test)[:, 1],
    s=10,
    color="tab:orange",
    label="reloaded with skops",
)
ax_check.set_xlabel("P(benign), original model")
ax_check.set_ylabel("P(benign), reloaded model")
ax_check.set_title("Test-set probabilities before and after reloading")
ax_check.legend(loc="upper left")
fig.suptitle("Pipeline(StandardScaler, ScratchMLPClassifier) on breast cancer data")
fig.tight_layout()
plt.show()
