"""
==================================
Comparing the minibatch optimizers
==================================

Eight ways to train the same network on the same data: plain SGD, SGD with
classical momentum, SGD with Nesterov's momentum, Adagrad, RMSprop, Adam,
AdamW, and Adam with cosine annealing of the learning rate. Each run uses the
same initial weights (same ``random_state``) and the same minibatch order, so
the loss curves differ only by the update rule.

Every optimizer has a learning rate that suits it; the ones below are common
defaults for each rule, not tuned for this problem. The update rules
themselves are derived in :doc:`/user_guide/optimizers`.
"""

# %%
# The problem: handwritten digits
# -------------------------------
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# The runs
# --------
# ``n_iter_no_change=n_epochs`` switches the stopping rule off, so that every
# run trains for exactly ``n_epochs`` epochs.
n_epochs = 40
common = dict(
    hidden_layer_sizes=(64,),
    activation="relu",
    batch_size=64,
    max_iter=n_epochs,
    n_iter_no_change=n_epochs,
    random_state=0,
)
runs = {
    "sgd (no momentum)": dict(solver="sgd", momentum=0.0, learning_rate_init=0.05),
    "sgd + momentum": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate_init=0.05
    ),
    "sgd + Nesterov": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=True, learning_rate_init=0.05
    ),
    "adagrad": dict(solver="adagrad", learning_rate_init=0.05),
    "rmsprop": dict(solver="rmsprop", learning_rate_init=0.001),
    "adam": dict(solver="adam", learning_rate_init=0.001),
    "adamw (decay 0.01)": dict(solver="adamw", alpha=0.01, learning_rate_init=0.001),
    "adam + cosine": dict(
        solver="adam", learning_rate="cosine", learning_rate_init=0.003
    ),
}
models = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, params in runs.items():
        models[name] = ScratchMLPClassifier(**common, **params).fit(X_train, y_train)
for name, model in models.items():
    print(
        f"{name:20s} final training loss {model.loss_curve_[-1]:.4f}, "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

# %%
# Loss curves
# -----------
# The training loss after each epoch (``loss_curve_``), on a log scale. It
# includes the L2 term ``alpha`` (1e-4 by default; AdamW's decay is not part
# of the loss).
fig, (ax_loss, ax_acc) = plt.subplots(
    1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2, 1]}
)
styles = ["-", "--", "-.", ":"]
colors = plt.cm.tab10.colors
for i, (name, model) in enumerate(models.items()):
    epochs = range(1, len(model.loss_curve_) + 1)
    ax_loss.plot(
        epochs,
        model.loss_curve_,
        color=colors[i],
        linestyle=styles[i % len(styles)],
        lw=2,
        label=f"{name} (lr {runs[name]['learning_rate_init']:g})",
    )
ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss (log scale)")
ax_loss.set_title("Training loss per epoch")
ax_loss.legend(fontsize="small")

names = list(models)
accuracies = [models[name].score(X_test, y_test) for name in names]
ax_acc.barh(names, accuracies, color=colors[: len(names)])
ax_acc.set_xlim(min(accuracies) - 0.03, 1.0)
ax_acc.invert_yaxis()
ax_acc.set_xlabel("test accuracy")
ax_acc.set_title(f"Test accuracy after {n_epochs} epochs")
for position, accuracy in enumerate(accuracies):
    ax_acc.text(accuracy, position, f" {accuracy:.3f}", va="center", fontsize=9)
fig.suptitle("One network (64-64-10, relu) on the digits, trained eight ways")
fig.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# On this small, well-conditioned problem, classical and Nesterov momentum
# give nearly the same curve (their lines lie on top of each other), and so do
# Adam and AdamW, whose weight decay is small next to the gradient steps.
# Adam at its customary rate of 0.001 descends more slowly than SGD with
# momentum at 0.05; the comparison says as much about the learning rates as
# about the rules. Cosine annealing starts Adam at a three times larger rate and
# lets it decay to zero, so its curve falls fast at first and then flattens.
# The test accuracies differ by about a percentage point: all eight reach a
# good model.
