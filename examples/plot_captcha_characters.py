"""
==================================================
Reading captcha characters with conjugate gradient
==================================================

The 36 characters ``0-9`` and ``a-z`` are drawn with Pillow's built-in font
into 13 x 20 pixel images, each one shifted, rotated, crossed by a random line
and covered in noise, as in a simple captcha. A 260-200-200-36 network with
logistic hidden units learns to read them. It is trained with ``solver="cg"``,
full-batch nonlinear conjugate gradient through
:func:`scipy.optimize.minimize`, one of the solvers that scikit-learn's MLP
does not have.

The images are generated here, so the example needs no data download; Pillow
comes with matplotlib.
"""

# %%
# Drawing noisy characters
# ------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from sknn_scratch import ScratchMLPClassifier

CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyz"
WIDTH, HEIGHT = 13, 20
FONT = ImageFont.load_default(size=15)


def render(char, rng):
    """Return one distorted, noisy image of ``char`` as a (20, 13) float array."""
    image = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=FONT)
    # Centre the glyph, then shift it by up to one pixel each way.
    x = (WIDTH - (right - left)) / 2 - left + rng.uniform(-1, 1)
    y = (HEIGHT - (bottom - top)) / 2 - top + rng.uniform(-1, 1)
    draw.text((x, y), char, fill=255, font=FONT)
    image = image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    # A random grey line across the image, as captchas draw to confuse readers.
    ImageDraw.Draw(image).line(
        list(rng.uniform(0, [WIDTH, HEIGHT, WIDTH, HEIGHT])),
        fill=int(rng.uniform(80, 180)),
    )
    pixels = np.asarray(image, dtype=np.float32) / 255
    pixels += rng.normal(scale=0.12, size=pixels.shape).astype(np.float32)
    return np.clip(pixels, 0, 1)


rng = np.random.RandomState(0)
n_per_class = 60
X = np.array([render(c, rng).ravel() for c in CHARACTERS for _ in range(n_per_class)])
y = np.repeat(list(CHARACTERS), n_per_class)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"{X.shape[0]} images of {X.shape[1]} pixels; {len(y_train)} for training")

fig, axes = plt.subplots(3, 12, figsize=(10, 4.2))
for ax, char in zip(axes.flat, CHARACTERS, strict=True):
    ax.imshow(X[y == char][0].reshape(HEIGHT, WIDTH), cmap="gray_r")
    ax.set_title(char, fontsize=10)
    ax.set_axis_off()
fig.suptitle("One training image of each of the 36 characters")
fig.tight_layout()

# %%
# Training with conjugate gradient
# --------------------------------
# The images are float32, and so is all the arithmetic: sknn_scratch keeps
# the input's dtype for every solver, which halves the cost of each gradient
# here. Eighty conjugate-gradient iterations are enough for this example, so
# the warning that CG has not fully converged is silenced.
clf = ScratchMLPClassifier(
    hidden_layer_sizes=(200, 200),
    activation="logistic",
    solver="cg",
    alpha=1e-2,
    max_iter=80,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train)
layers = [X.shape[1]] + [W.shape[1] for W in clf.coefs_]
print("network:", "-".join(map(str, layers)), "| weights dtype:", clf.coefs_[0].dtype)
train_accuracy = clf.score(X_train, y_train)
test_accuracy = clf.score(X_test, y_test)
print(f"training accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")

# %%
# Which characters get confused?
# ------------------------------
y_pred = clf.predict(X_test)
fig, ax = plt.subplots(figsize=(9, 8))
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, labels=list(CHARACTERS), include_values=False, cmap="Blues", ax=ax
)
ax.tick_params(labelsize=8)
ax.set_xlabel("predicted character")
ax.set_ylabel("true character")
ax.set_title(
    f"Confusion matrix on {len(y_test)} test images (accuracy {test_accuracy:.3f})"
)
fig.tight_layout()

# %%
# The misread test images
# -----------------------
# Each panel shows the image, what it is and what the network read, with the
# probability it gave to its answer.
wrong = np.flatnonzero(y_pred != y_test)
proba = clf.predict_proba(X_test)
shown = wrong[:24]
print(f"{len(wrong)} of {len(y_test)} test images are misread")
n_cols = 8
n_rows = max(1, int(np.ceil(len(shown) / n_cols)))
fig, axes = plt.subplots(
    n_rows, n_cols, figsize=(10, 1.9 * n_rows + 0.6), squeeze=False
)
for ax in axes.flat:
    ax.set_axis_off()
for ax, i in zip(axes.flat, shown, strict=False):
    ax.imshow(X_test[i].reshape(HEIGHT, WIDTH), cmap="gray_r")
    confidence = proba[i].max()
    ax.set_title(f"{y_test[i]} read as {y_pred[i]}\np = {confidence:.2f}", fontsize=10)
fig.suptitle(
    f"Misread test images, the first {len(shown)} of {len(wrong)}\n"
    "(title: the true character, the network's reading and its probability)"
)
fig.tight_layout()
plt.show()
