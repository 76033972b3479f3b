"""
===========================================================
Regularization: L2 penalty, dropout and batch normalization
===========================================================

A wide network trained on only 200 handwritten digits overfits: its training
loss keeps falling while the loss on held-out digits turns back up. This
example trains the same network four ways (no regularization, an L2 penalty,
dropout, and batch normalization) and records the training and validation
loss after every epoch.

The loop calls ``partial_fit`` once per epoch and scores the model in
between, so that the four runs are measured the same way: the log-loss
without any penalty term, in inference mode (no dropout, batch norm with its
running statistics).
"""

# %%
# A small training set
# --------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X, y, train_size=200, test_size=600, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
classes = np.unique(y)
print(f"{len(y_train)} training digits, {len(y_val)} validation digits")

# %%
# Four ways to train the same network
# -----------------------------------
n_epochs = 100
common = dict(
    hidden_layer_sizes=(128, 128),
    activation="relu",
    solver="adam",
    learning_rate_init=3e-3,
    batch_size=32,
    random_state=0,
)
configurations = {
    "no regularization": dict(alpha=0.0),
    "L2 penalty (alpha=0.3)": dict(alpha=0.3),
    "dropout 0.3": dict(alpha=0.0, dropout=0.3),
    "batch norm": dict(alpha=0.0, batch_norm=True),
}
history = {}
for name, params in configurations.items():
    clf = ScratchMLPClassifier(**common, **params)
    curves = {"train": [], "validation": [], "accuracy": []}
    for _ in range(n_epochs):
        clf.partial_fit(X_train, y_train, classes=classes)
        curves["train"].append(log_loss(y_train, clf.predict_proba(X_train)))
        proba_val = clf.predict_proba(X_val)
        curves["validation"].append(log_loss(y_val, proba_val))
        curves["accuracy"].append(np.mean(clf.classes_[proba_val.argmax(1)] == y_val))
    history[name] = curves
    best = int(np.argmin(curves["validation"]))
    print(
        f"{name:22s} lowest validation loss {curves['validation'][best]:.3f} "
        f"at epoch {best + 1}; after {n_epochs} epochs: validation loss "
        f"{curves['validation'][-1]:.3f}, accuracy {curves['accuracy'][-1]:.3f}"
    )

# %%
# Training and validation curves
# ------------------------------
fig, (ax_val, ax_train) = plt.subplots(1, 2, figsize=(13, 5))
epochs = np.arange(1, n_epochs + 1)
for color, (name, curves) in zip(plt.cm.tab10.colors, history.items(), strict=False):
    best = int(np.argmin(curves["validation"]))
    label = f"{name} (accuracy {curves['accuracy'][-1]:.3f})"
    ax_val.plot(epochs, curves["validation"], color=color, lw=2, label=label)
    ax_val.plot(best + 1, curves["validation"][best], "o", color=color, ms=7)
    ax_train.plot(epochs, curves["train"], color=color, lw=2, label=name)
ax_val.set_ylim(0.2, 0.6)
ax_val.set_xlabel("epoch")
ax_val.set_ylabel("validation log-loss")
ax_val.set_title(
    "Validation loss (dot: its minimum)\nlegend: final validation accuracy"
)
ax_val.legend(fontsize="small")
ax_train.set_yscale("log")
ax_train.set_xlabel("epoch")
ax_train.set_ylabel("training log-loss (log scale)")
ax_train.set_title("Training loss")
ax_train.legend(fontsize="small")
fig.suptitle(
    "128-128 relu network on 200 digits; both losses without penalty, in inference mode"
)
fig.tight_layout()
plt.show()

# %%
# What the curves say
# -------------------
# Without regularization the validation loss reaches its minimum within about
# ten epochs and then climbs while the training loss keeps falling: the
# network grows more and more confident on the 200 digits it has seen. On this
# problem the L2 penalty keeps the validation loss lowest and flattest. Batch
# normalization and dropout slow the climb without stopping it, and dropout
# costs some accuracy with so few samples. Which regularizer helps, and how
# much, depends on the data: measure it, for instance with the loop above or
# with a grid search over ``alpha``, ``dropout`` and ``batch_norm``.

# %%
# Early stopping does the bookkeeping
# -----------------------------------
# Without a hand-written loop, ``early_stopping=True`` holds out
# ``validation_fraction`` of the training data, records the validation score
# (``validation_scores_``) and, unlike scikit-learn, the validation loss
# (``validation_loss_curve_``) after each epoch, and restores the weights of the
# best epoch at the end.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    stopped = ScratchMLPClassifier(
        **common, alpha=0.0, early_stopping=True, validation_fraction=0.2
    ).fit(X_train, y_train)
best = int(np.argmax(stopped.validation_scores_))
print(
    f"early stopping ran {stopped.n_iter_} epochs; best validation accuracy "
    f"{stopped.best_validation_score_:.3f} at epoch {best + 1} "
    f"(validation loss there {stopped.validation_loss_curve_[best]:.3f})"
)
