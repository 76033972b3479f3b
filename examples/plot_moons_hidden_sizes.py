"""
=================================================
Two moons: what the size of the hidden layer buys
=================================================

One hidden layer of ``tanh`` units, trained by plain full-batch gradient
descent, on the two-moons data. With one unit the boundary is a straight line
and two units give it a single bend; from three units on it follows the
moons. More units change little on this data: the boundary stays smooth, and
the main effect is on training speed, visible in the loss curves, where the
small networks sit on a plateau for hundreds or thousands of steps before
they find the second bend.

Plain (full-batch) gradient descent is not a solver of its own: it is
``solver="sgd"`` with ``momentum=0`` and ``batch_size`` equal to the number
of samples, so that every epoch is exactly one step along the full gradient.
"""

# %%
# Data and the training setup
# ---------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import ScratchMLPClassifier

X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
hidden_sizes = [1, 2, 3, 4, 5, 20, 50]


def gradient_descent(n_hidden):
    """A tanh network trained by 3000 steps of full-batch gradient descent."""
    return ScratchMLPClassifier(
        hidden_layer_sizes=(n_hidden,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        batch_size=len(X),  # one batch: every epoch is one full-gradient step
        learning_rate_init=0.5,
        max_iter=3000,
        n_iter_no_change=3000,  # never stop early: show all 3000 steps
        alpha=0.0,
        random_state=0,
    )


models = {}
with warnings.catch_warnings():
    # Running all max_iter epochs is intended here.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for n_hidden in hidden_sizes:
        models[n_hidden] = gradient_descent(n_hidden).fit(X, y)
        print(
            f"{n_hidden:2d} hidden units: final loss "
            f"{models[n_hidden].loss_:.4f}, training accuracy "
            f"{models[n_hidden].score(X, y):.3f}"
        )

# %%
# Decision boundaries and loss curves
# -----------------------------------
xx, yy = np.meshgrid(np.linspace(-1.6, 2.6, 200), np.linspace(-1.2, 1.7, 200))
grid = np.c_[xx.ravel(), yy.ravel()]

fig, axes = plt.subplots(2, 4, figsize=(14, 6.8))
for ax, n_hidden in zip(axes.flat, hidden_sizes, strict=False):
    model = models[n_hidden]
    proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
    ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=1.5)
    for label, color in [(0, "tab:blue"), (1, "tab:red")]:
        ax.scatter(*X[y == label].T, c=color, s=12, edgecolors="white", linewidths=0.4)
    ax.set_title(
        f"{n_hidden} hidden unit{'s' if n_hidden > 1 else ''}: "
        f"accuracy {model.score(X, y):.2f}"
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")

ax_loss = axes.flat[-1]
colors = plt.cm.viridis(np.linspace(0, 0.9, len(hidden_sizes)))
for color, n_hidden in zip(colors, hidden_sizes, strict=True):
    ax_loss.plot(models[n_hidden].loss_curve_, color=color, label=f"{n_hidden}")
ax_loss.set_yscale("log")
ax_loss.set_ylim(0.04, 8)  # room for the legend above the curves
ax_loss.set_xlabel("gradient-descent step (epoch)")
ax_loss.set_ylabel("training log-loss")
ax_loss.set_title("Loss curves")
ax_loss.legend(title="hidden units", fontsize="small", ncol=4, loc="upper center")
fig.suptitle(
    "Two moons, one tanh hidden layer, 3000 steps of full-batch gradient descent"
    " (learning rate 0.5)"
)
fig.tight_layout()
plt.show()
