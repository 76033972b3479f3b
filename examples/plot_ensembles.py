"""
=======================================
Ensembles of networks with scikit-learn
=======================================

Because the estimators follow scikit-learn's API (``get_params``,
``set_params``, ``clone``, ``predict_proba``, ``sample_weight``), they drop
into scikit-learn's ensemble meta-estimators unchanged. This example compares
one network with three ensembles of networks on a noisy two-moons problem:

* :class:`~sklearn.ensemble.BaggingClassifier`: ten networks, each trained on
  a bootstrap sample, averaged;
* :class:`~sklearn.ensemble.VotingClassifier`: three networks with different
  activations, their probabilities averaged (soft voting);
* :class:`~sklearn.ensemble.StackingClassifier`: the same three networks, with
  a logistic regression trained on their cross-validated predictions.
"""

# %%
# Data and models
# ---------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sknn_scratch import ScratchMLPClassifier

X, y = make_moons(n_samples=600, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)


def network(activation="relu", seed=0):
    """A deliberately flexible network that can overfit 300 noisy points."""
    return ScratchMLPClassifier(
        hidden_layer_sizes=(50, 50),
        activation=activation,
        solver="lbfgs",
        alpha=1e-4,
        max_iter=200,
        random_state=seed,
    )


members = [
    ("relu", network("relu", seed=1)),
    ("tanh", network("tanh", seed=2)),
    ("gelu", network("gelu", seed=3)),
]
models = {
    "single network": network(),
    "bagging (10 networks)": BaggingClassifier(
        network(), n_estimators=10, random_state=0
    ),
    "soft voting (3 networks)": VotingClassifier(members, voting="soft"),
    "stacking (3 networks)": StackingClassifier(
        members, final_estimator=LogisticRegression(), cv=3
    ),
}

# %%
# Fit and score
# -------------
# L-BFGS stops at ``max_iter=200`` before full convergence; that is intended
# (it limits overfitting and time), so the convergence warnings are silenced.
scores, times = {}, {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        times[name] = time.perf_counter() - start
        scores[name] = model.score(X_test, y_test)
        print(
            f"{name:26s} test accuracy {scores[name]:.3f} "
            f"(fit in {times[name]:.1f} s on this machine)"
        )
    # How much does one network depend on its random initialization?
    single = [network(seed=seed).fit(X_train, y_train) for seed in range(5)]
single_scores = [model.score(X_test, y_test) for model in single]
print(
    "single networks, seeds 0-4: test accuracy from "
    f"{min(single_scores):.3f} to {max(single_scores):.3f}"
)

# %%
# Whether an ensemble beats one network depends on the problem. On this one
# the ensembles score within the range of single networks trained from
# different seeds; what they buy is a model that depends less on one random
# initialization. In the pictures below, bagging's probabilities are softer
# (lighter bands) away from the training points, where its members disagree.

# %%
# Decision boundaries
# -------------------
xx, yy = np.meshgrid(np.linspace(-2, 3, 200), np.linspace(-1.6, 2.1, 200))
grid = np.c_[xx.ravel(), yy.ravel()]
fig, axes = plt.subplots(1, 4, figsize=(17, 4.6), sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
    ax.contourf(xx, yy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=1.5)
    for label, color in [(0, "tab:blue"), (1, "tab:red")]:
        ax.scatter(
            *X_test[y_test == label].T,
            c=color,
            s=12,
            edgecolors="k",
            linewidths=0.3,
            label=f"class {label} (test)",
        )
    ax.set_title(f"{name}\ntest accuracy {scores[name]:.3f}")
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
axes[0].legend(loc="lower left", fontsize="small")
fig.suptitle(
    "One 2-50-50-1 network versus ensembles of networks "
    "(black line: P = 0.5; 300 training points, 300 test points shown)"
)
fig.tight_layout()
plt.show()
