"""
=================================
XOR with a 2-4-1 logistic network
=================================

XOR is the classic problem that a single neuron cannot solve: no straight line
separates the inputs whose coordinates differ from those whose coordinates are
equal. One hidden layer is enough. Here a 2-4-1 network (two inputs, four
logistic hidden units, one logistic output) learns it with full-batch L-BFGS.
"""

# %%
# The four points
# ---------------
import matplotlib.pyplot as plt
import numpy as np

from sknn_scratch import ScratchMLPClassifier

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])

# %%
# Fit the network
# ---------------
# A small L2 penalty (``alpha``) keeps the weights finite: without it, L-BFGS
# pushes the four probabilities towards exactly 0 and 1 by growing the weights
# without bound.
clf = ScratchMLPClassifier(
    hidden_layer_sizes=(4,),
    activation="logistic",
    solver="lbfgs",
    alpha=1e-3,
    max_iter=1000,
    random_state=1,
)
clf.fit(X, y)
proba = clf.predict_proba(X)[:, 1]
print(f"L-BFGS iterations: {clf.n_iter_}, final loss: {clf.loss_:.4f}")
for point, target, p in zip(X, y, proba, strict=True):
    print(f"  x = {point}, target {target}, P(y=1) = {p:.3f}")

# %%
# Even this tiny problem has local minima
# ---------------------------------------
# The loss surface is not convex. From some random starting weights L-BFGS
# stops where two of the four points sit near probability 0.5. More hidden
# units than strictly needed make such starts rarer: count, over twenty seeds,
# how often a 2-2-1 and a 2-4-1 network solve XOR.
n_seeds = 20
for n_hidden in (2, 4):
    solved = 0
    for seed in range(n_seeds):
        model = ScratchMLPClassifier(
            hidden_layer_sizes=(n_hidden,),
            activation="logistic",
            solver="lbfgs",
            alpha=1e-3,
            max_iter=1000,
            random_state=seed,
        ).fit(X, y)
        solved += int((model.predict(X) == y).all())
    print(f"2-{n_hidden}-1: {solved} of {n_seeds} random initializations solve XOR")

# %%
# Decision surface and learned probabilities
# ------------------------------------------
grid = np.linspace(-0.5, 1.5, 201)
xx, yy = np.meshgrid(grid, grid)
surface = clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)

fig, (ax_surface, ax_bars) = plt.subplots(
    1, 2, figsize=(10, 4.5), gridspec_kw={"width_ratios": [1.2, 1]}
)
image = ax_surface.contourf(xx, yy, surface, levels=20, cmap="RdBu_r", vmin=0, vmax=1)
ax_surface.contour(xx, yy, surface, levels=[0.5], colors="k", linewidths=1.5)
for label, marker, name in [(0, "o", "class 0 (equal)"), (1, "s", "class 1 (differ)")]:
    ax_surface.scatter(
        *X[y == label].T,
        marker=marker,
        s=120,
        c="white" if label == 0 else "black",
        edgecolors="k",
        label=name,
    )
fig.colorbar(image, ax=ax_surface, label="P(y = 1)")
ax_surface.set_xlabel("$x_1$")
ax_surface.set_ylabel("$x_2$")
ax_surface.set_title("Decision surface (black line: P = 0.5)")
ax_surface.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)

names = [f"({a:.0f}, {b:.0f})" for a, b in X]
positions = np.arange(len(X))
ax_bars.bar(positions - 0.2, y, width=0.4, color="0.7", label="target")
ax_bars.bar(positions + 0.2, proba, width=0.4, color="tab:red", label="P(y = 1)")
ax_bars.set_xticks(positions, names)
for position, p in zip(positions, proba, strict=True):
    ax_bars.annotate(f"{p:.3f}", (position + 0.2, p), ha="center", va="bottom")
ax_bars.set_ylim(0, 1.35)
ax_bars.set_xlabel("input $(x_1, x_2)$")
ax_bars.set_ylabel("probability of class 1")
ax_bars.set_title("Learned probabilities at the four points")
ax_bars.legend(loc="upper center", ncol=2)
fig.suptitle(f"A 2-4-1 logistic network learns XOR ({clf.n_iter_} L-BFGS iterations)")
fig.tight_layout()
plt.show()
