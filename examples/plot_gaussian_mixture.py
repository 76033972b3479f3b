"""
==================================
Classifying a mixture of Gaussians
==================================

Class 0 is a mixture of three round Gaussian clusters centred at (4, 3),
(2, -2) and (7, -4); class 1 is one elongated, tilted Gaussian centred at
(6, 0) that squeezes between them. No straight line separates the classes. A
network with two logistic hidden layers of 50 and 5 units learns the curved
boundary from 80 % of the points and is scored on the other 20 %.

The textbook version of this exercise draws the network as 2-50-5-2, with two
softmax outputs. For two classes, scikit-learn (and so sknn_scratch) uses a
single logistic output instead: a softmax over two logits depends only on
their difference, so it is the same model with one output unit fewer. The
network below is therefore 2-50-5-1.
"""

# %%
# The data
# --------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

rng = np.random.RandomState(0)
n_per_cluster = 150
class0 = np.vstack(
    [
        rng.normal(loc=center, scale=0.8, size=(n_per_cluster, 2))
        for center in [(4, 3), (2, -2), (7, -4)]
    ]
)
# Class 1: stretched along one axis, then rotated by 60 degrees.
angle = np.deg2rad(60)
rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
stretched = rng.normal(size=(3 * n_per_cluster, 2)) * [2.0, 0.5]
class1 = stretched @ rotation.T + [6, 0]

X = np.vstack([class0, class1])
y = np.repeat([0, 1], [len(class0), len(class1)])
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0
)

# %%
# The network
# -----------
# Standardizing the two features first keeps the logistic units out of
# saturation at the start of training.
clf = make_pipeline(
    StandardScaler(),
    ScratchMLPClassifier(
        hidden_layer_sizes=(50, 5),
        activation="logistic",
        solver="lbfgs",
        max_iter=500,
        random_state=0,
    ),
)
clf.fit(X_train, y_train)
train_accuracy = clf.score(X_train, y_train)
test_accuracy = clf.score(X_test, y_test)
mlp = clf[-1]
print("layer sizes:", [mlp.coefs_[0].shape[0]] + [c.shape[1] for c in mlp.coefs_])
print(f"training accuracy: {train_accuracy:.3f}")
print(f"test accuracy:     {test_accuracy:.3f} on {len(y_test)} held-out points")

# %%
# Decision boundary
# -----------------
xx, yy = np.meshgrid(np.linspace(-1, 10.5, 300), np.linspace(-7.5, 6.5, 300))
proba = clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)

fig, ax = plt.subplots(figsize=(7.5, 6.5))
image = ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.4)
ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=2)
styles = {0: ("tab:blue", "class 0"), 1: ("tab:red", "class 1")}
for label, (color, name) in styles.items():
    ax.scatter(
        *X_train[y_train == label].T,
        s=12,
        c=color,
        edgecolors="none",
        label=f"{name}, training",
    )
    ax.scatter(
        *X_test[y_test == label].T,
        s=40,
        c=color,
        marker="^",
        edgecolors="k",
        label=f"{name}, test",
    )
fig.colorbar(image, ax=ax, label="P(class 1)")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.set_title(
    f"2-50-5-1 logistic network: test accuracy {test_accuracy:.3f}\n"
    "(black line: decision boundary P = 0.5)"
)
ax.legend(loc="lower left", fontsize="small")
fig.tight_layout()
plt.show()
