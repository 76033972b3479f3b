"""Diagrams of the architecture page, drawn with matplotlib at build time.

Used by the ``.. plot::`` directives of ``architecture.rst``; each function
draws one figure. The plot directive runs this file as ``__main__``, so it
draws nothing at import.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ESTIMATOR = "#dbe9f6"
CORE = "#fde8d0"
EXTERNAL = "#e8e8e8"


def _box(ax, x, y, w, h, title, body="", color=CORE, title_size=11.5, gap=0.045):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.01,rounding_size=0.015",
            facecolor=color,
            edgecolor="0.3",
        )
    )
    ax.text(
        x + w / 2,
        y + h - 0.02,
        title,
        ha="center",
        va="top",
        fontsize=title_size,
        fontweight="bold",
        family="monospace",
    )
    if body:
        ax.text(
            x + w / 2, y + h - 0.02 - gap, body, ha="center", va="top", fontsize=9.5
        )


def _arrow(ax, start, end, text="", at=0.5, dx=0.01, ha="left"):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="0.25")
    )
    if text:
        x = start[0] + at * (end[0] - start[0]) + dx
        y = start[1] + at * (end[1] - start[1])
        ax.text(x, y, text, fontsize=9.5, va="center", ha=ha, style="italic")


def layers():
    """The estimator/nn boundary: who talks to whom."""
    fig, ax = plt.subplots(figsize=(10, 6.4))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.03, 1)
    ax.set_axis_off()

    _box(
        ax,
        0.25,
        0.88,
        0.5,
        0.1,
        "your code / scikit-learn",
        "Pipeline, GridSearchCV, cross_val_score, ensembles, skops, ...",
        color=EXTERNAL,
    )
    _box(
        ax,
        0.1,
        0.6,
        0.8,
        0.2,
        "sknn_scratch._estimators",
        "ScratchMLPClassifier, ScratchMLPRegressor (one base class)\n"
        "parameter validation, validate_data, label binarizing, sample_weight and\n"
        "class_weight, the early-stopping split and scoring, callbacks, warnings,\n"
        "fitted attributes (coefs_, intercepts_, loss_curve_, ...), pickling",
        color=ESTIMATOR,
    )
    _arrow(ax, (0.5, 0.88), (0.5, 0.805), "fit / predict")

    ax.plot([0.02, 0.98], [0.53, 0.53], color="tab:red", lw=1.5, ls="--")
    ax.text(
        0.02,
        0.515,
        "only arrays, floats and names cross this line; nothing below it imports "
        "scikit-learn",
        ha="left",
        va="top",
        fontsize=9.5,
        color="tab:red",
    )

    _box(
        ax,
        0.03,
        0.22,
        0.3,
        0.235,
        "nn.network",
        "Network: layer sizes, names\nresolved from the registries;\n"
        "init_params, forward,\nloss_and_grad, predict\n(over one flat vector)",
    )
    _box(
        ax,
        0.36,
        0.22,
        0.28,
        0.235,
        "nn.training",
        "fit_loop, MinibatchTrainer\n(run_epoch, train_step),\n"
        "fit_full_batch (scipy),\ncount_no_improvement,\nclip_by_norm",
    )
    _box(
        ax,
        0.67,
        0.22,
        0.3,
        0.235,
        "nn.optimizers / nn.schedules",
        "SGD, Adam, AdamW, Adagrad,\nRMSprop: step(params, grad, lr)\n"
        "Constant, InvScaling,\nAdaptive, Cosine: lr",
    )
    _box(
        ax,
        0.03,
        0.0,
        0.3,
        0.18,
        "nn.layers",
        "Dense, BatchNorm, Activation,\nDropout: forward / backward\n"
        "on views of the flat vector",
    )
    _box(
        ax,
        0.36,
        0.0,
        0.28,
        0.18,
        "nn.activations / nn.losses",
        "f, f' and registries;\nloss values and output deltas\n(P - Y)",
    )
    _box(
        ax,
        0.67,
        0.0,
        0.3,
        0.18,
        "nn.initializers / nn.gradcheck",
        "glorot_uniform (sklearn's), ...;\ncentral differences,\nrelative error",
    )
    _arrow(ax, (0.3, 0.6), (0.2, 0.46), "Network(...)", at=0.25, dx=-0.02, ha="right")
    _arrow(ax, (0.5, 0.6), (0.5, 0.46), "fit_loop / fit_full_batch", at=0.25)
    _arrow(ax, (0.7, 0.6), (0.8, 0.46), "get_optimizer, get_schedule", at=0.25)
    _arrow(ax, (0.18, 0.22), (0.18, 0.185))
    _arrow(ax, (0.33, 0.28), (0.42, 0.185))
    _arrow(ax, (0.36, 0.34), (0.33, 0.34))
    _arrow(ax, (0.64, 0.34), (0.67, 0.34))
    ax.set_title("Two sides of one line: the estimators and the NumPy core")
    fig.tight_layout()


def flat_vector():
    """The layout of the flat parameter vector and its views."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    blocks = [
        ("$W_1$", 0.24, CORE),
        ("$W_2$", 0.18, CORE),
        ("$W_3$", 0.08, CORE),
        ("$b_1$", 0.06, ESTIMATOR),
        ("$b_2$", 0.05, ESTIMATOR),
        ("$b_3$", 0.03, ESTIMATOR),
        (r"$\gamma_1$", 0.06, "#e3f1dc"),
        (r"$\gamma_2$", 0.05, "#e3f1dc"),
        (r"$\beta_1$", 0.06, "#f1dcea"),
        (r"$\beta_2$", 0.05, "#f1dcea"),
    ]
    x, y, height = 0.06, 0.45, 0.16
    starts = []
    for label, width, color in blocks:
        ax.add_patch(
            plt.Rectangle((x, y), width, height, facecolor=color, edgecolor="0.3")
        )
        ax.text(x + width / 2, y + height / 2, label, ha="center", va="center")
        starts.append((x, width))
        x += width
    ax.text(0.06, y + height + 0.03, "params: one contiguous 1-D array", fontsize=9)
    weights_end = starts[2][0] + starts[2][1]
    ax.annotate(
        "",
        xy=(0.06, 0.38),
        xytext=(weights_end, 0.38),
        arrowprops=dict(arrowstyle="<->", color="0.3"),
    )
    ax.text(
        (0.06 + weights_end) / 2,
        0.33,
        "the first n_weights entries: L2 penalty = alpha/2 * params[:n] @ params[:n]",
        ha="center",
        va="top",
        fontsize=9.5,
    )
    views = [
        (0, "coefs_[0] = params[a:b].reshape(n_in, n_out)"),
        (3, "intercepts_[0]"),
        (6, "gammas_[0]"),
        (8, "betas_[0]"),
    ]
    for index, text in views:
        start, width = starts[index]
        ax.annotate(
            text,
            xy=(start + width / 2, y + height),
            xytext=(start + width / 2, 0.9),
            ha="center",
            fontsize=9.5,
            family="monospace",
            arrowprops=dict(arrowstyle="-|>", color="0.4"),
        )
    ax.text(
        0.5,
        0.1,
        "grad has the same layout; an optimizer step is a few whole-vector NumPy"
        " calls;\nscipy's L-BFGS and CG take params as it is;"
        " saving the best weights is one np.copyto",
        ha="center",
        va="center",
        fontsize=9,
    )
    ax.set_title(
        "A 3-layer network with batch norm: every trainable value in one array"
    )
    fig.tight_layout()


def training_chain():
    """fit -> fit_loop -> run_epoch -> train_step, and the full-batch branch."""
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    steps = [
        ("fit", "validate, encode y,\nweights, build Network"),
        ("fit_loop", "epochs until\nend_epoch says stop"),
        ("run_epoch", "shuffle, walk the\nminibatches"),
        ("train_step", "gather rows, masks,\nloss_and_grad, clip"),
        ("optimizer.step", "update params\nin place"),
    ]
    width, gap = 0.16, 0.035
    for i, (name, body) in enumerate(steps):
        x = 0.02 + i * (width + gap)
        color = ESTIMATOR if i == 0 else CORE
        _box(ax, x, 0.5, width, 0.38, name, body, color=color, title_size=10, gap=0.1)
        if i:
            _arrow(ax, (x - gap, 0.69), (x, 0.69))
    _box(
        ax,
        0.2,
        0.05,
        0.55,
        0.3,
        "fit_full_batch  (solver='lbfgs' or 'cg')",
        "scipy.optimize.minimize(loss_and_grad, params, jac=True)\n"
        "on the whole training set, one objective, no minibatches",
        gap=0.1,
    )
    _arrow(ax, (0.1, 0.5), (0.2, 0.25), "full-batch\nsolvers", dx=-0.02, ha="right")
    ax.text(
        0.99,
        0.93,
        "end_epoch (estimator side): record loss_curve_, validation score,\n"
        "stopping counter, schedule update, callbacks",
        ha="right",
        va="bottom",
        fontsize=9.5,
    )
    ax.set_title("The training loop, top down", pad=18)
    fig.tight_layout()
