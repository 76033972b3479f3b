"""
========================================
Checking backpropagation against numbers
========================================

:func:`~sknn_scratch.check_gradients` compares the gradient computed by
backpropagation with central finite differences,

.. math::

    g_j^\\text{num} = \\frac{J(\\theta + h e_j) - J(\\theta - h e_j)}{2h},

for every parameter of the network, and reports the norm-wise relative error
:math:`\\lVert g - g^\\text{num} \\rVert / (\\lVert g \\rVert +
\\lVert g^\\text{num} \\rVert)`. A correct gradient gives an error around
:math:`10^{-9}` or below in float64; a wrong one gives :math:`10^{-2}` or more.
(See :doc:`/user_guide/gradient_checking`.)

This example checks several configurations, then breaks a derivative on
purpose to show what a bug looks like.
"""

# %%
# Several configurations
# ----------------------
# Keep the data tiny: the check evaluates the objective twice per parameter.
import matplotlib.pyplot as plt
import numpy as np

import sknn_scratch.nn.activations as activations
from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients

rng = np.random.RandomState(0)
X = rng.standard_normal((16, 3))
y_binary = (X[:, 0] + X[:, 1] > 0).astype(int)
y_multiclass = np.digitize(X[:, 0], [-0.5, 0.5])
y_multilabel = (X[:, :2] > 0).astype(int)
y_real = np.sin(X[:, 0]) + X[:, 1] ** 2
y_counts = rng.poisson(np.exp(0.5 * X[:, 0]))

small = dict(hidden_layer_sizes=(5, 4), random_state=0)
configurations = {
    "tanh, binary": (ScratchMLPClassifier(activation="tanh", **small), y_binary),
    "relu + batch norm, 3 classes": (
        ScratchMLPClassifier(activation="relu", batch_norm=True, **small),
        y_multiclass,
    ),
    "gelu + dropout 0.3, 3 classes": (
        ScratchMLPClassifier(activation="gelu", dropout=0.3, **small),
        y_multiclass,
    ),
    "silu + balanced class weights": (
        ScratchMLPClassifier(activation="silu", class_weight="balanced", **small),
        y_binary,
    ),
    "logistic + batch norm, multilabel": (
        ScratchMLPClassifier(activation="logistic", batch_norm=True, **small),
        y_multilabel,
    ),
    "elu, huber regression": (
        ScratchMLPRegressor(loss="huber", activation="elu", **small),
        y_real,
    ),
    "softplus, poisson regression": (
        ScratchMLPRegressor(loss="poisson", activation="softplus", **small),
        y_counts,
    ),
    "leaky_relu, squared error, alpha=0.1": (
        ScratchMLPRegressor(activation="leaky_relu", alpha=0.1, **small),
        y_real,
    ),
}
errors = {}
for name, (estimator, target) in configurations.items():
    errors[name] = check_gradients(estimator, X, target).max_relative_error
    print(f"{name:38s} relative error {errors[name]:.1e}")

# %%
# A deliberately broken derivative
# --------------------------------
# **This is a deliberate bug, for demonstration only.** The derivative of
# tanh is :math:`1 - \tanh^2(z) = 1 - A^2`; here it is replaced by
# :math:`1 - A`, a plausible slip. The registry entry is swapped for the
# duration of the check and restored afterwards.


def wrong_tanh_backward(Z, A, dA):
    """Deliberately wrong: 1 - A instead of 1 - A**2."""
    dA *= 1 - A
    return dA


estimator = ScratchMLPClassifier(activation="tanh", **small)
correct = check_gradients(estimator, X, y_binary)
original = activations.ACTIVATIONS["tanh"]
activations.ACTIVATIONS["tanh"] = activations.Activation(
    "tanh", activations.tanh, wrong_tanh_backward
)
try:
    broken = check_gradients(estimator, X, y_binary)
finally:
    activations.ACTIVATIONS["tanh"] = original
print(f"correct tanh derivative: {correct.max_relative_error:.1e}")
print(f"broken tanh derivative:  {broken.max_relative_error:.1e}")

# %%
# ``block_errors`` says where the bug is: each parameter block's share of the
# error. The last layer's weights do not depend on the hidden activations'
# derivative, so only the blocks below a tanh layer are wrong.
for block, error in broken.block_errors.items():
    print(f"  {block:15s} {error:.1e}")

# %%
# The picture
# -----------
fig, (ax_configs, ax_blocks) = plt.subplots(
    1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1.2, 1]}
)
names = list(errors)
ax_configs.barh(names, list(errors.values()), color="tab:green")
ax_configs.set_xscale("log")
ax_configs.set_xlim(1e-13, 1)
ax_configs.axvline(1e-6, color="k", ls="--", label="1e-6: above this, suspect a bug")
ax_configs.invert_yaxis()
ax_configs.set_xlabel("norm-wise relative error (log scale)")
ax_configs.set_title("check_gradients on eight configurations")
ax_configs.legend(loc="lower right", fontsize="small")

blocks = list(broken.block_errors)
positions = np.arange(len(blocks))
# A block can be exactly right; show it at the bottom of the log axis.
floor = 1e-14
ax_blocks.bar(
    positions - 0.2,
    np.maximum(list(correct.block_errors.values()), floor),
    width=0.4,
    color="tab:green",
    label="correct derivative",
)
ax_blocks.bar(
    positions + 0.2,
    np.maximum(list(broken.block_errors.values()), floor),
    width=0.4,
    color="tab:red",
    label="broken tanh derivative (deliberate)",
)
ax_blocks.set_yscale("log")
ax_blocks.set_ylim(floor, 1)
ax_blocks.set_xticks(positions, blocks, rotation=30, ha="right")
ax_blocks.set_ylabel("block's share of the relative error (log scale)")
ax_blocks.set_title("block_errors: where the gradient is wrong")
ax_blocks.legend(loc="center", fontsize="small")
fig.suptitle("Backpropagation versus central differences (float64, h = 1e-6)")
fig.tight_layout()
plt.show()
