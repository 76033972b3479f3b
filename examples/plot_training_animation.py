"""
========================================
Watching a network learn, epoch by epoch
========================================

``partial_fit`` runs exactly one epoch per call, so a training loop written by
hand can stop after every epoch and look at the model. Here two networks learn
the two-moons and the two-circles problems, and a snapshot of their predicted
probabilities is taken after each epoch. The snapshots become an animated GIF
(written with matplotlib's Pillow writer) and a static montage.

.. image:: /auto_examples/images/training_animation.gif
   :alt: Animated decision boundaries of two networks during training
   :align: center

The animation above is produced by this script when the documentation is
built; running the script yourself writes ``training_animation.gif`` to the
current directory.
"""

# %%
# Data and networks
# -----------------
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from sklearn.datasets import make_circles, make_moons
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

datasets = {
    "two moons": make_moons(n_samples=300, noise=0.2, random_state=0),
    "two circles": make_circles(n_samples=300, noise=0.1, factor=0.4, random_state=0),
}
n_epochs = 80
extent = (-2.5, 2.5, -2.5, 2.5)
grid_x, grid_y = np.meshgrid(np.linspace(*extent[:2], 70), np.linspace(*extent[2:], 70))
grid = np.c_[grid_x.ravel(), grid_y.ravel()]

# %%
# One epoch per ``partial_fit`` call
# ----------------------------------
# The first call needs ``classes``; every call then runs one pass over the
# data in minibatches of 32 with Adam, and the loop records the probability
# of class 1 on a grid, and the training accuracy.
snapshots, accuracies, data = {}, {}, {}
for name, (X, y) in datasets.items():
    X = StandardScaler().fit_transform(X)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(16, 16),
        activation="tanh",
        solver="adam",
        learning_rate_init=0.01,
        batch_size=32,
        random_state=0,
    )
    frames, scores = [], []
    for _ in range(n_epochs):
        clf.partial_fit(X, y, classes=[0, 1])
        frames.append(clf.predict_proba(grid)[:, 1].reshape(grid_x.shape))
        scores.append(clf.score(X, y))
    snapshots[name], accuracies[name], data[name] = frames, scores, (X, y)
    print(f"{name}: training accuracy after {n_epochs} epochs {scores[-1]:.3f}")


def draw(ax, name, epoch):
    """Draw the snapshot of ``name`` after ``epoch`` epochs (counted from 1)."""
    X, y = data[name]
    proba = snapshots[name][epoch - 1]
    # Ten flat colour bands rather than a smooth image: easier to read, and
    # the GIF compresses much better.
    bands = ax.contourf(
        grid_x, grid_y, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5
    )
    ax.contour(grid_x, grid_y, proba, levels=[0.5], colors="k", linewidths=1.2)
    for label, color in [(0, "tab:blue"), (1, "tab:red")]:
        ax.scatter(
            *X[y == label].T,
            s=10,
            c=color,
            edgecolors="k",
            linewidths=0.3,
            label=f"class {label}",
        )
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    accuracy = accuracies[name][epoch - 1]
    ax.set_title(f"{name}, epoch {epoch}\naccuracy {accuracy:.2f}", fontsize=10)
    ax.set_xlabel("$x_1$ (standardized)")
    ax.set_ylabel("$x_2$ (standardized)")
    return bands


# %%
# The animation
# -------------
# Every fourth epoch becomes one frame. Inside the documentation build the GIF
# goes to the gallery's image folder, so that the page above can show it.
gallery_images = Path.cwd().parent / "docs" / "auto_examples" / "images"
out_dir = gallery_images if gallery_images.is_dir() else Path.cwd()

fig_anim, axes_anim = plt.subplots(1, 2, figsize=(8, 4), layout="constrained")


def update(epoch):
    for ax, name in zip(axes_anim, datasets, strict=True):
        ax.clear()
        draw(ax, name, epoch)


animation = FuncAnimation(fig_anim, update, frames=range(4, n_epochs + 1, 4))
gif_path = out_dir / "training_animation.gif"
animation.save(gif_path, writer=PillowWriter(fps=4), dpi=75)
plt.close(fig_anim)
print(f"wrote {gif_path.name} ({gif_path.stat().st_size / 1024:.0f} KiB)")

# %%
# A static montage
# ----------------
# The same snapshots at five epochs. On the moons the boundary starts as an
# almost straight line and bends into an S within a few dozen epochs; on the
# circles it is a closed curve from the first epoch on, and training mostly
# sharpens the probabilities around it.
epochs_shown = [1, 3, 10, 30, n_epochs]
fig, axes = plt.subplots(2, len(epochs_shown), figsize=(14, 7.5), layout="constrained")
for row, name in zip(axes, datasets, strict=True):
    for ax, epoch in zip(row, epochs_shown, strict=True):
        bands = draw(ax, name, epoch)
        ax.label_outer()
fig.colorbar(bands, ax=axes, label="P(class 1)", shrink=0.8, aspect=30, pad=0.01)
handles, labels = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncol=2, markerscale=2)
fig.suptitle(
    "Decision boundaries after 1, 3, 10, 30 and 80 epochs of Adam "
    "(one partial_fit call per epoch)"
)
plt.show()
