"""Time per minibatch step against hidden-layer width, for every contender.

Run it from the repository root::

    python benchmarks/plot_width.py            # widths 16..1024, 3 repeats
    python benchmarks/plot_width.py --quick    # three widths, tiny data

The network has one hidden ReLU layer of each width, trained with Adam on
batches of 200 float32 rows (64 features, 10 classes, 10000 rows, one epoch).
Each repeat of each contender (sknn_scratch, scikit-learn, PyTorch when
installed, and the GEMM limit) sweeps all widths in one fresh subprocess; the
contenders alternate and the plot shows the median over repeats. It saves
``OUT/width.json`` and, when matplotlib is installed, ``OUT/width.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

FULL_WIDTHS = (16, 32, 64, 128, 256, 512, 1024)
QUICK_WIDTHS = (16, 64, 256)
TIMEOUT_QUICK, TIMEOUT_FULL = 300, 3600
LABELS = {
    "scratch": "sknn_scratch",
    "sklearn": "scikit-learn",
    "torch": "PyTorch",
    "gemm": "GEMM limit",
}


def workload(width, spec):
    return bench.Workload(
        "width",
        spec["n_samples"],
        spec["n_features"],
        (width,),
        spec["n_classes"],
        "relu",
        "adam",
        spec["batch_size"],
        spec["epochs"],
        dtype=spec["dtype"],
    )


def worker(specs_json):
    """Subprocess entry point: one contender over every width of each spec."""
    warnings.filterwarnings("ignore")
    for spec in json.loads(specs_json):
        times = []
        for width in spec["widths"]:
            w = workload(width, spec)
            result = bench.run_minibatch(
                {"contender": spec["contender"], "workload": dataclasses.asdict(w)}
            )
            times.append(result["us_per_step"])
        print(bench.RESULT_TAG + json.dumps({"us_per_step": times}), flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three widths, tiny n")
    parser.add_argument("--repeats", type=int, help="default 3, quick 1")
    parser.add_argument("--out", type=Path, default=bench.DEFAULT_OUT)
    parser.add_argument(
        "--widths", help="comma-separated widths (default 16,32,...,1024)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        help="workers run at once (default 1; quick 2, its timings mean nothing)",
    )
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args(argv)
    if args.widths:
        args.widths = [int(w) for w in args.widths.split(",")]
    else:
        args.widths = list(QUICK_WIDTHS if args.quick else FULL_WIDTHS)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.jobs is None:
        args.jobs = 2 if args.quick else 1
    return args


def measure(config, timeout, log):
    contenders = ["scratch", "sklearn", "gemm"]
    if bench.torch_installed():
        contenders.append("torch")
    base = {
        "widths": config.widths,
        "n_samples": 1000 if config.quick else 10000,
        "n_features": 64,
        "n_classes": 10,
        "batch_size": 200,
        "epochs": 1,
        "dtype": config.dtype,
    }
    groups = [
        [bench.Job("width", "sweep", c, {**base, "contender": c}) for c in contenders]
    ]
    jobs = bench.interleave(groups, config.repeats)
    results, failures = bench.run_jobs(jobs, "plot_width", config, timeout, log)
    runs = results.get(("width", "sweep"), {})
    samples = {c: [run["us_per_step"] for run in runs.get(c, [])] for c in contenders}
    medians = {
        c: [statistics.median(col) for col in zip(*runs, strict=True)]
        for c, runs in samples.items()
        if runs
    }
    return base, samples, medians, failures


def plot(path, widths, medians, title):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter
    except ImportError:
        return False
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 7.5), sharex=True, height_ratios=(2, 1)
    )
    styles = {"gemm": dict(color="black", linestyle="--", marker="")}
    for contender, times in medians.items():
        style = styles.get(contender, dict(marker="o"))
        top.loglog(widths, times, label=LABELS[contender], **style)
    top.set_ylabel("time per minibatch step (µs)")
    top.set_title(title)
    top.legend()
    top.grid(True, which="both", alpha=0.3)
    gemm = medians.get("gemm")
    for contender, times in medians.items():
        if gemm and contender != "gemm":
            pct = [100 * g / t for g, t in zip(gemm, times, strict=True)]
            bottom.semilogx(widths, pct, marker="o", label=LABELS[contender])
    bottom.set_xlabel("hidden-layer width (units)")
    bottom.set_ylabel("% of GEMM limit")
    bottom.set_xticks(widths, [str(w) for w in widths])
    bottom.xaxis.set_minor_formatter(NullFormatter())
    bottom.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv=None):
    config = parse_args(argv)
    started = time.perf_counter()

    def log(message):
        print(message, file=sys.stderr, flush=True)

    timeout = TIMEOUT_QUICK if config.quick else TIMEOUT_FULL
    machine, (base, samples, medians, failures) = bench.with_machine_info(
        config, timeout, lambda: measure(config, timeout, log)
    )
    config.out.mkdir(parents=True, exist_ok=True)
    title = (
        f"1 hidden ReLU layer, Adam, batch {base['batch_size']}, {config.dtype}, "
        f"{base['n_features']} features\n{machine['cpu']}, "
        f"{machine['usable_cpus']} CPUs"
    )
    if config.quick:
        title += " (quick: not a measurement)"
    png = config.out / "width.png"
    plotted = plot(png, config.widths, medians, title)
    report = {
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - started,
        "config": {**base, "quick": config.quick, "repeats": config.repeats},
        "machine": machine,
        "widths": config.widths,
        "us_per_step": medians,
        "samples": samples,
        "failures": failures,
        "png": str(png) if plotted else None,
    }
    (config.out / "width.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    header = ["width", *(LABELS[c] + " µs/step" for c in medians)]
    rows = [
        [str(w), *(f"{medians[c][i]:.1f}" for c in medians)]
        for i, w in enumerate(config.widths)
    ]
    print(bench.table(header, rows))
    if not plotted:
        log("matplotlib is not installed: wrote width.json only")
    log(f"wrote {config.out} in {time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
