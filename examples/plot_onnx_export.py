"""
================================
Exporting to ONNX and serving it
================================

:func:`sknn_scratch.onnx.to_onnx` turns a fitted estimator, or a whole
pipeline around one, into an `ONNX <https://onnx.ai>`_ model that
`onnxruntime <https://onnxruntime.ai>`_ (or any other ONNX runtime) can serve
without Python, NumPy or scikit-learn. Here a pipeline with a scaler and a
network using batch normalization, dropout and ``gelu`` is exported, and
onnxruntime's probabilities are compared with ``predict_proba``.

This example needs the ``onnx`` extra: ``pip install "sknn-scratch[onnx]"``
(skl2onnx, onnx and onnxruntime).
"""

# %%
# Train a pipeline
# ----------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier
from sknn_scratch.onnx import to_onnx

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipeline = make_pipeline(
    StandardScaler(),
    ScratchMLPClassifier(
        hidden_layer_sizes=(64, 32),
        activation="gelu",
        batch_norm=True,
        dropout=0.1,
        max_iter=60,
        random_state=0,
    ),
)
with warnings.catch_warnings():
    # Sixty epochs are enough for this example; Adam has not fully converged.
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipeline.fit(X_train, y_train)
print(f"test accuracy in Python: {pipeline.score(X_test, y_test):.3f}")

# %%
# Export
# ------
# ``X_sample`` gives the input's width; the exported model takes float32 rows
# with any batch size. At inference, dropout is the identity and batch
# normalization is an affine map, so the graph contains neither: the
# normalization is folded into the weights of the dense layer before it.
onx = to_onnx(pipeline, X_train[:1])
operators = [node.op_type for node in onx.graph.node]
print("operators:", ", ".join(sorted(set(operators))))
print("outputs:", [output.name for output in onx.graph.output])
print(f"serialized size: {len(onx.SerializeToString()) / 1024:.1f} KiB")

# %%
# Run it with onnxruntime
# -----------------------
session = ort.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
X_test32 = X_test.astype(np.float32)
labels, probabilities = session.run(None, {"X": X_test32})

expected = pipeline.predict_proba(X_test)
difference = np.abs(probabilities - expected)
same_labels = np.mean(labels == pipeline.predict(X_test))
print(f"largest |probability difference|: {difference.max():.1e}")
print(f"same predicted label for {same_labels:.1%} of the test digits")

# %%
# The differences come from float32: the exported graph computes in the
# input's precision, and onnxruntime is fed float32 rows, while the Python
# pipeline computed in float64.
#
# Timing one batch of the test set, both ways, on the machine running this
# example (it varies from run to run):
n_repeats = 20
start = time.perf_counter()
for _ in range(n_repeats):
    session.run(None, {"X": X_test32})
onnx_time = (time.perf_counter() - start) / n_repeats
start = time.perf_counter()
for _ in range(n_repeats):
    pipeline.predict_proba(X_test)
python_time = (time.perf_counter() - start) / n_repeats
print(
    f"{len(X_test)} rows: onnxruntime {1e3 * onnx_time:.2f} ms, "
    f"pipeline.predict_proba {1e3 * python_time:.2f} ms"
)

# %%
# The picture
# -----------
fig, (ax_scatter, ax_hist) = plt.subplots(1, 2, figsize=(12, 4.8))
ax_scatter.plot([0, 1], [0, 1], color="0.6", lw=1.5, label="identical")
ax_scatter.scatter(
    expected.ravel(),
    probabilities.ravel(),
    s=8,
    color="tab:blue",
    zorder=3,
    label="one class probability of one digit",
)
ax_scatter.set_xlabel("predict_proba (Python, float64)")
ax_scatter.set_ylabel("onnxruntime (float32)")
ax_scatter.set_title(f"All {expected.size} class probabilities of the test set")
ax_scatter.legend(loc="upper left")

nonzero = difference[difference > 0].ravel()
bins = np.logspace(np.log10(nonzero.min()), np.log10(nonzero.max()), 40)
ax_hist.hist(nonzero, bins=bins, color="tab:orange", label="|difference| > 0")
ax_hist.axvline(
    np.finfo(np.float32).eps, color="k", ls=":", label="float32 machine epsilon"
)
ax_hist.set_xscale("log")
ax_hist.set_xlabel("|onnxruntime - predict_proba| (log scale)")
ax_hist.set_ylabel("number of entries")
ax_hist.set_title(
    f"Differences: at most {difference.max():.1e}; "
    f"{np.mean(difference == 0):.0%} exactly 0"
)
ax_hist.legend(loc="upper left", fontsize="small")
fig.suptitle(
    "StandardScaler + ScratchMLPClassifier (gelu, batch norm, dropout) exported to ONNX"
)
fig.tight_layout()
plt.show()
