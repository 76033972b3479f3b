"""
=============================================
Drop-in: the same model as scikit-learn's MLP
=============================================

:class:`~sknn_scratch.ScratchMLPClassifier` takes the same parameters as
:class:`sklearn.neural_network.MLPClassifier`, and with the same parameters
and ``random_state`` it trains the same model: the same initial weights, the
same minibatches in the same order, the same update arithmetic. This example
fits both with each of sklearn's three solvers, compares the weights, the loss
curves and the predictions, and times the fits on the machine that runs it.

The timings are measured when the example runs (for the published page, on
the machine that built the documentation, with one BLAS thread), so they vary
from run to run and from machine to machine.
"""

# %%
# Fit both, with identical parameters
# -----------------------------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from sknn_scratch import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
print(
    "BLAS:",
    ", ".join(f"{i['internal_api']} with {i['num_threads']} thread(s)" for i in blas),
)

solvers = {
    "adam": dict(solver="adam", learning_rate_init=1e-3, max_iter=30),
    "sgd": dict(solver="sgd", learning_rate_init=0.05, max_iter=30),
    "lbfgs": dict(solver="lbfgs", max_iter=30),
}
common = dict(hidden_layer_sizes=(64,), alpha=1e-4, random_state=0)
n_repeats = 3


def timed_fit(cls, params):
    """Fit ``n_repeats`` times; return the last model and the fastest time."""
    best = np.inf
    for _ in range(n_repeats):
        model = cls(**common, **params)
        start = time.perf_counter()
        model.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return model, best


results = {}
with warnings.catch_warnings():
    # Short fits on purpose: both libraries stop at max_iter.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, params in solvers.items():
        reference, reference_time = timed_fit(MLPClassifier, params)
        ours, our_time = timed_fit(ScratchMLPClassifier, params)
        difference = max(
            np.abs(a - b).max()
            for a, b in zip(
                ours.coefs_ + ours.intercepts_,
                reference.coefs_ + reference.intercepts_,
                strict=True,
            )
        )
        agreement = np.mean(ours.predict(X) == reference.predict(X))
        results[name] = dict(
            reference=reference,
            ours=ours,
            difference=difference,
            times=(reference_time, our_time),
        )
        print(
            f"{name:5s}: max |coef difference| {difference:.1e}, "
            f"n_iter_ {ours.n_iter_} vs {reference.n_iter_}, "
            f"same predictions on {agreement:.1%} of the samples, "
            f"fit time sklearn {reference_time:.3f} s, sknn_scratch {our_time:.3f} s"
        )

# %%
# The two libraries side by side
# ------------------------------
# The loss curves lie on top of each other, and the largest weight difference
# is at most at the level of floating-point rounding, often exactly zero. The
# project's parity tests allow a relative difference of 1e-6, because a
# different BLAS or a different order of the same arithmetic may round
# differently; on the machine that ran this page, the printed differences
# above are what it measured.
fig, (ax_curves, ax_diff, ax_time) = plt.subplots(
    1, 3, figsize=(16, 4.8), gridspec_kw={"width_ratios": [1.4, 1, 1]}
)
for name, color in [("adam", "tab:blue"), ("sgd", "tab:green")]:
    reference, ours = results[name]["reference"], results[name]["ours"]
    epochs = np.arange(1, len(ours.loss_curve_) + 1)
    ax_curves.plot(
        epochs,
        reference.loss_curve_,
        color=color,
        lw=5,
        alpha=0.35,
        label=f"{name}, scikit-learn",
    )
    ax_curves.plot(
        epochs,
        ours.loss_curve_,
        color=color,
        lw=1.5,
        ls="--",
        label=f"{name}, sknn_scratch",
    )
ax_curves.set_yscale("log")
ax_curves.set_xlabel("epoch")
ax_curves.set_ylabel("training loss (log scale)")
ax_curves.set_title("Loss curves (lbfgs has none, in both)")
ax_curves.legend(fontsize="small")

names = list(results)
differences = [results[name]["difference"] for name in names]
floor = 1e-18  # a log axis cannot show 0: exact zeros are drawn at the floor
ax_diff.bar(names, np.maximum(differences, floor), color="tab:purple")
for position, difference in enumerate(differences):
    text = "exactly 0" if difference == 0 else f"{difference:.1e}"
    ax_diff.text(position, floor * 3, text, ha="center", va="bottom", fontsize=9)
ax_diff.set_yscale("log")
ax_diff.set_ylim(floor, 1e-6)
ax_diff.axhline(np.finfo(float).eps, color="k", ls=":", label="float64 epsilon")
ax_diff.set_xlabel("solver")
ax_diff.set_ylabel("max |difference| over all weights")
ax_diff.set_title("Weights: sknn_scratch vs scikit-learn")
ax_diff.legend(loc="upper right", fontsize="small")

positions = np.arange(len(names))
reference_times = [results[name]["times"][0] for name in names]
our_times = [results[name]["times"][1] for name in names]
ax_time.bar(positions - 0.2, reference_times, width=0.4, label="scikit-learn")
ax_time.bar(positions + 0.2, our_times, width=0.4, label="sknn_scratch")
ax_time.set_xticks(positions, names)
ax_time.set_xlabel("solver")
ax_time.set_ylabel(f"fit time, best of {n_repeats} (s)")
ax_time.set_title("Fit time on this machine (max_iter=30)")
ax_time.legend(fontsize="small")
fig.suptitle("MLPClassifier and ScratchMLPClassifier, same parameters, digits data")
fig.tight_layout()
plt.show()
