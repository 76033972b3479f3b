"""Smoke test of the benchmark scripts in benchmarks/.

It runs them in --quick mode and checks that they write their reports with the
expected rows. Timings are never asserted: quick runs time shrunk workloads,
and the machine may be busy. This test only keeps the scripts from rotting.
"""

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

MINIBATCH_ROWS = [
    "small float64",
    "tabular float64",
    "tabular float32",
    "wide float64",
    "wide float32",
]
PREDICT_ROWS = ["predict_proba, 1 row", "predict_proba, batch"]


def start(script, *args):
    return subprocess.Popen(
        [sys.executable, str(BENCHMARKS / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process):
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def test_benchmark_scripts_write_their_reports(tmp_path):
    bench_out, width_out = tmp_path / "bench", tmp_path / "width"
    bench = start(
        "bench.py",
        *("--quick", "--sections", "a,d", "--repeats", "1", "--out", str(bench_out)),
    )
    width = start("plot_width.py", "--quick", "--out", str(width_out))
    printed = finish(bench)
    finish(width)

    markdown = (bench_out / "latest.md").read_text(encoding="utf-8")
    assert markdown in printed
    for row in MINIBATCH_ROWS + PREDICT_ROWS:
        assert f"| {row}" in markdown, row
    report = json.loads((bench_out / "latest.json").read_text(encoding="utf-8"))
    assert report["failures"] == []
    assert set(report["sections"]) == {"a", "d"}
    assert [row["workload"] for row in report["sections"]["a"]] == MINIBATCH_ROWS
    for row in report["sections"]["a"]:
        for contender in ("scratch", "sklearn", "gemm"):
            assert row["us_per_step"][contender] > 0, (row["workload"], contender)
    assert report["machine"]["cpu"]

    widths = json.loads((width_out / "width.json").read_text(encoding="utf-8"))
    assert widths["failures"] == []
    assert {"scratch", "sklearn", "gemm"} <= set(widths["us_per_step"])
    for times in widths["us_per_step"].values():
        assert len(times) == len(widths["widths"])
    if importlib.util.find_spec("matplotlib") is not None:
        assert (width_out / "width.png").stat().st_size > 0


def load_floor():
    """Import benchmarks/numpy_floor.py (it imports bench.py beside it)."""
    path = BENCHMARKS / "numpy_floor.py"
    spec = importlib.util.spec_from_file_location("numpy_floor", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("workload", ["small", "tabular:float32"])
@pytest.mark.parametrize("timed", [False, True])
def test_numpy_floor_trains_exactly_like_the_package(workload, timed):
    # The floor is only a floor if it does the package's work: same shuffles,
    # same calls, hence the same weights after every epoch.
    floor_module = load_floor()
    # more rows than one chunk of kept outputs, and a short last batch
    shrunk = dataclasses.replace(floor_module.WORKLOADS[workload], n_samples=4990)
    trainers = floor_module.make_trainers(shrunk)
    floor, scratch = trainers["floor"], trainers["scratch"]
    if timed:
        floor.spent, floor.step = {}, floor.timed_step
    for _ in range(2):
        floor_loss, scratch_loss = floor.run_epoch(), scratch.run_epoch()
        np.testing.assert_array_equal(floor.params, scratch.params)
        assert floor_loss == scratch_loss
    assert not np.array_equal(
        floor.params, floor_module.make_trainers(shrunk)["floor"].params
    )
    if timed:
        assert floor.spent["products: forward"] > 0
        assert set(floor.spent) >= {"gather the batch's rows", "optimizer"}


def test_numpy_floor_script_reports_the_goals():
    printed = finish(start("numpy_floor.py", "--quick", "--breakdown"))
    for name in ("small", "tabular", "tabular:float32", "wide", "wide:float32"):
        assert f"## {name} (median us/step)" in printed
        assert f"## {name}: the floor's step, operation by operation" in printed
    assert printed.count("6x sklearn needs") == 1
    assert printed.count("65% of gemm+dX0 needs") == 2
    assert printed.count("85% of gemm+dX0 needs") == 2


TABULAR_QUICK = {"breast_cancer": "binary", "wine": "multiclass"}
TABULAR_QUICK_REGRESSION = ["synth_regression"]


def test_tabular_benchmark_quick_writes_its_reports(tmp_path):
    # --quick uses sklearn's bundled data and a synthetic table only, so it
    # needs neither statsmodels nor pytabkit (absent contenders are skipped).
    printed = finish(start("tabular.py", "--quick", "--out", str(tmp_path)))
    markdown = (tmp_path / "tabular.md").read_text(encoding="utf-8")
    assert markdown in printed
    report = json.loads((tmp_path / "tabular.json").read_text(encoding="utf-8"))
    assert report["config"]["folds"] == 2
    assert {"scratch", "hgb"} <= set(report["contenders"])
    assert list(report["datasets"]) == [*TABULAR_QUICK, *TABULAR_QUICK_REGRESSION]
    for name, cells in report["cells"].items():
        for contender, cell in cells.items():
            assert "error" not in cell, (name, contender, cell.get("error"))
            assert len(cell["folds"]) == 2, (name, contender)
    for title in ("## Accuracy", "## Log-loss", "## R²", "## RMSE", "## Summary"):
        assert title in markdown, title
    for name in report["datasets"]:
        assert f"| {name} |" in markdown, name
    for label in ("ScratchMLP+1hot", "HistGB"):
        assert f"| {label} |" in markdown, label
    if "tabular" in report["contenders"]:
        ablation = finish(
            start("tabular.py", "--quick", "--ablation", "--out", str(tmp_path))
        )
        assert "| defaults |" in ablation
        assert (tmp_path / "tabular_ablation.json").exists()
