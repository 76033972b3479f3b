"""
===========================================
Out-of-core training on a Dask array
===========================================

When the training set does not fit in memory, ``partial_fit`` can learn from
it one block at a time. A :mod:`dask.array` describes the whole data set
lazily, as a grid of NumPy blocks that are produced only when asked for; the
loop below asks for one block of rows, trains on it, and lets it go, so only
one block is ever in memory.

The data here are generated, block by block, from a seed per block, which
stands in for reading one file or one slice of a Parquet data set at a time.
The same loop works unchanged when a :class:`distributed.Client` is active:
each block is then computed on the cluster and only the block is sent back.
"""

# %%
# A lazy data set of 64,000 samples in 16 blocks
# ----------------------------------------------
# Each block is made by its own delayed call, so nothing is computed yet. The
# target is a noisy, non-linear function of the 8 features, cut into three
# classes.
import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np

from sknn_scratch import ScratchMLPClassifier

N_BLOCKS, BLOCK_ROWS, N_FEATURES = 16, 4000, 8
CLASSES = np.array([0, 1, 2])


@dask.delayed
def load_block(seed):
    """Stand-in for reading one chunk of a large data set from disk."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(BLOCK_ROWS, N_FEATURES)).astype(np.float32)
    score = X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) + 0.3 * rng.normal(size=len(X))
    y = np.digitize(score, [-0.5, 0.5])
    return np.column_stack([X, y]).astype(np.float32)


blocks = [
    da.from_delayed(load_block(seed), (BLOCK_ROWS, N_FEATURES + 1), np.float32)
    for seed in range(N_BLOCKS)
]
data = da.concatenate(blocks)
X_all, y_all = data[:, :N_FEATURES], data[:, N_FEATURES].astype(np.int64)
print(X_all)

# %%
# The out-of-core loop
# --------------------
# ``to_delayed`` gives one delayed object per block; computing a pair of them
# brings exactly one block of ``X`` and ``y`` into memory. The last block is
# held out to measure accuracy after each pass over the stream. Every
# ``partial_fit`` call is one epoch over its block, in minibatches of 256.
X_blocks = X_all.to_delayed().ravel()
y_blocks = y_all.to_delayed().ravel()
X_test, y_test = dask.compute(X_blocks[-1], y_blocks[-1])

clf = ScratchMLPClassifier(
    hidden_layer_sizes=(32, 16),
    batch_size=256,
    learning_rate_init=3e-3,
    random_state=0,
)
block_losses, test_accuracy = [], []
for epoch in range(3):
    for X_block, y_block in zip(X_blocks[:-1], y_blocks[:-1], strict=True):
        X_block, y_block = dask.compute(X_block, y_block)  # one block in memory
        clf.partial_fit(X_block, y_block, classes=CLASSES)
        block_losses.append(clf.loss_)
    test_accuracy.append(clf.score(X_test, y_test))
    print(f"pass {epoch + 1}: held-out accuracy {test_accuracy[-1]:.3f}")

print(f"samples seen: {clf.t_:,}")

# %%
# The loss curve
# --------------
# Each point is the training loss of one block; the vertical lines separate
# the passes over the stream. The loss keeps falling across blocks and passes,
# as it would with the whole data set in memory.
steps = np.arange(1, len(block_losses) + 1)
n_train_blocks = N_BLOCKS - 1
fig, (ax_loss, ax_acc) = plt.subplots(
    1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 1]}
)
ax_loss.plot(steps, block_losses, marker="o", ms=3, color="tab:blue")
for boundary in range(n_train_blocks, len(steps), n_train_blocks):
    ax_loss.axvline(boundary + 0.5, color="0.7", ls="--", lw=1)
ax_loss.set_xlabel("partial_fit call (one block each)")
ax_loss.set_ylabel("training log-loss of the block")
ax_loss.set_title("Streaming 15 blocks of 4,000 rows, 3 passes")

ax_acc.bar(np.arange(1, len(test_accuracy) + 1), test_accuracy, color="tab:green")
ax_acc.set_ylim(0, 1)
ax_acc.set_xticks(np.arange(1, len(test_accuracy) + 1))
ax_acc.set_xlabel("pass over the stream")
ax_acc.set_ylabel("held-out accuracy")
ax_acc.set_title("The held-out block")
fig.tight_layout()
plt.show()
