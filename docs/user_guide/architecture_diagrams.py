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
ATTRIBUTE_COLORS = {
    "coefs_": "#f6c89f",
    "intercepts_": "#c6dbef",
    "gammas_": "#d9ead3",
    "betas_": "#ead1dc",
    "running_means_": "#fff2cc",
    "running_vars_": "#d0e0e3",
}


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


def _arrow(ax, start, end, text="", at=0.5, dx=0.01, ha="left", color="0.25"):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color)
    )
    if text:
        x = start[0] + at * (end[0] - start[0]) + dx
        y = start[1] + at * (end[1] - start[1])
        ax.text(x, y, text, fontsize=9.5, va="center", ha=ha, style="italic")


def _canvas(width, height, ylim=(0, 1)):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, 1)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    return fig, ax


def layers():
    """The estimator/nn boundary: who talks to whom."""
    fig, ax = _canvas(10, 7.4, ylim=(-0.02, 1))
    _box(
        ax,
        0.25,
        0.905,
        0.5,
        0.085,
        "your code / scikit-learn",
        "Pipeline, GridSearchCV, cross_val_score, ensembles, skops, ...",
        color=EXTERNAL,
    )
    _box(
        ax,
        0.02,
        0.6,
        0.58,
        0.255,
        "sknn_scratch._estimators",
        "ScratchMLPClassifier, ScratchMLPRegressor (one base class)\n"
        "parameters checked against the registries' names;\n"
        "validate_data, labels, sample_weight x class_weight;\n"
        "RENAMED: estimator parameter -> hyperparameter;\n"
        "fitted attributes, _architecture, pickling",
        color=ESTIMATOR,
    )
    _box(
        ax,
        0.63,
        0.745,
        0.35,
        0.11,
        "_binding",
        "Binding: coefs_, intercepts_, ... are\nviews of _params and _stats",
        color=ESTIMATOR,
    )
    _box(
        ax,
        0.63,
        0.6,
        0.35,
        0.11,
        "_epochs",
        "EpochRecorder: validation score,\nloss_curve_, verbose, callbacks",
        color=ESTIMATOR,
    )
    _arrow(ax, (0.4, 0.895), (0.4, 0.865), "fit / predict", at=0.5)

    ax.plot([0.02, 0.98], [0.555, 0.555], color="tab:red", lw=1.5, ls="--")
    ax.text(
        0.02,
        0.54,
        "arrays, floats, names and layer objects cross this line; "
        "nothing below it imports scikit-learn",
        ha="left",
        va="top",
        fontsize=9.5,
        color="tab:red",
    )
    cores = [
        (
            "nn.network",
            "Network(layers, loss): passes\nover one flat vector;\n"
            "Layout: where each block sits;\nfrom_spec, mlp_layers",
        ),
        (
            "nn.optimizers / schedules",
            "OPTIMIZERS: step(params, grad, lr),\nhyperparameters(),\n"
            "decoupled_decay;\nSCHEDULES: lr, epoch_end",
        ),
        (
            "nn.training",
            "fit_loop, MinibatchTrainer\n(run_epoch, train_step),\n"
            "StoppingMonitor, EpochLoss;\nfit_full_batch -> FullBatchOutcome",
        ),
        (
            "nn.layers",
            "Layer: parameters() -> Blocks,\nforward, infer, backward;\n"
            "Dense, BatchNorm, ActivationLayer,\nDropout; LAYERS",
        ),
        (
            "nn.activations / losses",
            "ACTIVATIONS: f, f';\nLOSSES: value, output delta,\ntask, y_min",
        ),
        (
            "nn.initializers / gradcheck",
            "INITIALIZERS; central\ndifferences, relative error;\n"
            "registry(): key = object's name",
        ),
    ]
    for i, (title, body) in enumerate(cores):
        y, height = (0.24, 0.24) if i < 3 else (0.0, 0.2)
        _box(ax, 0.02 + (i % 3) * 0.33, y, 0.3, height, title, body)
    _arrow(ax, (0.12, 0.6), (0.12, 0.485), "mlp_layers, Network", at=0.3)
    _arrow(ax, (0.4, 0.6), (0.45, 0.485), "OPTIMIZERS[solver]", at=0.3)
    _arrow(ax, (0.56, 0.6), (0.76, 0.485), "fit_loop / fit_full_batch", at=0.3)
    _arrow(ax, (0.9, 0.485), (0.9, 0.595), "observer", at=0.3, color="tab:blue")
    _arrow(ax, (0.17, 0.24), (0.17, 0.205))
    _arrow(ax, (0.3, 0.26), (0.42, 0.205))
    _arrow(ax, (0.32, 0.1), (0.35, 0.1))
    _arrow(ax, (0.68, 0.36), (0.65, 0.36))
    ax.set_title("Two sides of one line: the estimators and the NumPy core")
    fig.tight_layout()


# The layers of hidden_layer_sizes=(h1, h2), batch_norm=True: (class, blocks)
MLP = [
    ("Dense", [("coefs_", "$W_1$"), ("intercepts_", "$b_1$")]),
    ("BatchNorm", [("gammas_", r"$\gamma_1$"), ("betas_", r"$\beta_1$")]),
    ("Activation\nLayer", []),
    ("Dense", [("coefs_", "$W_2$"), ("intercepts_", "$b_2$")]),
    ("BatchNorm", [("gammas_", r"$\gamma_2$"), ("betas_", r"$\beta_2$")]),
    ("Activation\nLayer", []),
    ("Dense", [("coefs_", "$W_3$"), ("intercepts_", "$b_3$")]),
]
WIDTHS = {"coefs_": 0.13, "intercepts_": 0.055, "gammas_": 0.055, "betas_": 0.055}


def _layer_row(ax, y, height):
    """Draw the layer list; return where each block's label sits."""
    width, gap, x = 0.118, 0.018, 0.025
    anchors = {}
    for index, (kind, blocks) in enumerate(MLP):
        color = CORE if blocks else EXTERNAL
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                width,
                height,
                boxstyle="round,pad=0.004",
                facecolor=color,
                edgecolor="0.3",
            )
        )
        ax.text(
            x + width / 2,
            y + height - 0.02,
            f"{index}  {kind}",
            ha="center",
            va="top",
            fontsize=8.5,
            family="monospace",
            fontweight="bold",
        )
        for k, (attribute, label) in enumerate(blocks):
            bx = x + width * (0.28 + 0.44 * k)
            ax.text(
                bx,
                y + 0.035,
                label,
                ha="center",
                va="center",
                fontsize=10,
                bbox=dict(
                    boxstyle="round,pad=0.2",
                    facecolor=ATTRIBUTE_COLORS[attribute],
                    lw=0.5,
                ),
            )
            anchors[label] = (bx, y)
        x += width + gap
    return anchors


def _vector(ax, segments, x, y, height, anchors):
    """Draw a flat vector of ``(attribute, label)`` segments, linked to anchors."""
    starts = {}
    for attribute, label in segments:
        width = WIDTHS.get(attribute, 0.05)
        ax.add_patch(
            plt.Rectangle(
                (x, y),
                width,
                height,
                facecolor=ATTRIBUTE_COLORS[attribute],
                edgecolor="0.3",
            )
        )
        ax.text(x + width / 2, y + height / 2, label, ha="center", va="center")
        if label in anchors:
            ax.plot(
                [anchors[label][0], x + width / 2],
                [anchors[label][1], y + height],
                color="0.6",
                lw=0.7,
                zorder=0,
            )
        starts[label] = (x, width)
        x += width
    return starts


def flat_vector():
    """The layer list, its blocks, and where Layout puts them in the vectors."""
    fig, ax = _canvas(10.5, 5.6)
    anchors = _layer_row(ax, 0.74, 0.16)
    order = [
        [(a, label) for _, blocks in MLP for a, label in blocks if a == name]
        for name in ("coefs_", "intercepts_", "gammas_", "betas_")
    ]
    segments = [segment for group in order for segment in group]
    starts = _vector(ax, segments, 0.06, 0.42, 0.1, anchors)
    ax.text(0.06, 0.545, "params", fontsize=9.5, family="monospace")
    end = starts["$W_3$"][0] + starts["$W_3$"][1]
    ax.annotate(
        "",
        xy=(0.06, 0.39),
        xytext=(end, 0.39),
        arrowprops=dict(arrowstyle="<->", color="0.3"),
    )
    ax.text(
        (0.06 + end) / 2,
        0.37,
        "decayed blocks first: params[:n_weights]\n"
        "(L2 = one dot product; AdamW decays this slice)",
        ha="center",
        va="top",
        fontsize=9,
    )
    ax.text(
        (end + 0.96) / 2,
        0.37,
        "then by attribute, in order of first appearance;\n"
        "within an attribute, layer by layer: coefs_ is one slice",
        ha="center",
        va="top",
        fontsize=9,
    )
    _vector(
        ax,
        [
            ("running_means_", r"$\mu_1$"),
            ("running_means_", r"$\mu_2$"),
            ("running_vars_", r"$\sigma^2_1$"),
            ("running_vars_", r"$\sigma^2_2$"),
        ],
        0.06,
        0.1,
        0.1,
        {},
    )
    ax.text(
        0.06,
        0.225,
        "stats  (running statistics of layers 1 and 4: not trained by gradient)",
        fontsize=9.5,
        family="monospace",
    )
    ax.text(
        0.97,
        0.05,
        "Layout.entries: (attribute, layer index, slice, shape)\n"
        "coefs_[i], gammas_[i], ... are views of these slices (Binding)",
        ha="right",
        va="bottom",
        fontsize=9,
    )
    ax.set_title(
        "hidden_layer_sizes=(h1, h2), batch_norm=True: seven layers, two flat vectors"
    )
    fig.tight_layout()


def training_chain():
    """fit -> ... -> train_step, the monitor and recorder, the full-batch branch."""
    fig, ax = _canvas(10.5, 5.4)
    steps = [
        ("fit", "validate, encode,\nweights, Network", ESTIMATOR),
        ("_fit_minibatch", "optimizer, schedule,\ntrainer, monitor", ESTIMATOR),
        ("fit_loop", "epochs until the\nmonitor or the\nrecorder says stop", CORE),
        ("run_epoch", "shuffle, walk the\nminibatches,\nEpochLoss", CORE),
        ("train_step", "gather, masks,\noutputs_and_grad,\nclip, step", CORE),
    ]
    width, gap = 0.17, 0.03
    for i, (name, body, color) in enumerate(steps):
        x = 0.015 + i * (width + gap)
        _box(ax, x, 0.62, width, 0.3, name, body, color=color, title_size=10, gap=0.075)
        if i:
            _arrow(ax, (x - gap, 0.8), (x, 0.8))
    _box(
        ax,
        0.2,
        0.3,
        0.29,
        0.24,
        "StoppingMonitor  (nn)",
        "update(score): count, best,\nbest-weights snapshot;\n"
        "plateau(schedule): None,\n'lowered' or 'stop'; restore_best",
        title_size=9.5,
        gap=0.06,
    )
    _box(
        ax,
        0.525,
        0.3,
        0.29,
        0.24,
        "EpochRecorder  (_epochs)",
        "the EpochObserver fit_loop calls:\nscore (validation), end_epoch:\n"
        "n_iter_, loss_curve_, verbose,\ncallbacks -> stop?",
        color=ESTIMATOR,
        title_size=9.5,
        gap=0.06,
    )
    _arrow(ax, (0.44, 0.62), (0.37, 0.545))
    _arrow(ax, (0.5, 0.62), (0.62, 0.545))
    _box(
        ax,
        0.2,
        0.01,
        0.6,
        0.22,
        "fit_full_batch  (solver='lbfgs' or 'cg')",
        "scipy.optimize.minimize(loss_and_grad, params, jac=True) on the whole\n"
        "training set; returns FullBatchOutcome(n_iter, loss, converged,\n"
        "stopped, message, status), which _fit_full_batch records",
        title_size=10,
        gap=0.06,
    )
    _arrow(ax, (0.08, 0.62), (0.2, 0.12), "full-batch\nsolvers", dx=-0.02, ha="right")
    ax.set_title("The training loop, top down (blue: estimator side; orange: nn)")
    fig.tight_layout()
