"""
======================================
Regression of a chirp: y = sin(x² + 1)
======================================

A 1-50-5-1 network with logistic hidden units fits noisy samples of
:math:`y = \\sin(x^2 + 1) + \\varepsilon` with
:math:`\\varepsilon \\sim N(0, 0.1^2)` on :math:`[0, 3]`. The frequency grows
with :math:`x`, so the network has to bend more and more sharply towards the
right end of the interval.
"""

# %%
# The data
# --------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import mean_squared_error

from sknn_scratch import ScratchMLPRegressor

rng = np.random.RandomState(0)
x = np.sort(rng.uniform(0, 3, size=200))
y = np.sin(x**2 + 1) + rng.normal(scale=0.1, size=x.shape)
X = x.reshape(-1, 1)

# %%
# The network
# -----------
# Two hidden layers of 50 and 5 logistic units, trained by full-batch L-BFGS
# on the squared error. L-BFGS is the usual choice for a small smooth
# regression like this one: no learning rate to tune.
reg = ScratchMLPRegressor(
    hidden_layer_sizes=(50, 5),
    activation="logistic",
    solver="lbfgs",
    alpha=1e-4,
    max_iter=3000,
    random_state=0,
)
reg.fit(X, y)

x_plot = np.linspace(0, 3, 500)
y_true = np.sin(x_plot**2 + 1)
y_fit = reg.predict(x_plot.reshape(-1, 1))
rmse_truth = np.sqrt(mean_squared_error(y_true, y_fit))
print(f"L-BFGS iterations: {reg.n_iter_}")
print(f"R^2 on the training samples: {reg.score(X, y):.4f}")
print(f"RMSE against the noise-free curve: {rmse_truth:.4f} (noise sd 0.1)")

# %%
# Fit against the noise-free curve
# --------------------------------
fig, (ax_fit, ax_err) = plt.subplots(
    2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
)
ax_fit.scatter(x, y, s=12, color="0.6", label="noisy samples")
ax_fit.plot(x_plot, y_true, "k--", lw=2, label="noise-free $\\sin(x^2 + 1)$")
ax_fit.plot(x_plot, y_fit, color="tab:red", lw=2, label="1-50-5-1 network")
ax_fit.set_ylabel("y")
ax_fit.set_title("Network fit of $y = \\sin(x^2 + 1) + N(0, 0.1^2)$")
ax_fit.legend(loc="lower left")

ax_err.plot(x_plot, y_fit - y_true, color="tab:red")
ax_err.axhline(0, color="k", lw=0.8)
ax_err.set_xlabel("x")
ax_err.set_ylabel("fit − truth")
ax_err.set_title(f"Error against the noise-free curve (RMSE {rmse_truth:.3f})")
fig.tight_layout()
plt.show()
