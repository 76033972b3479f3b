"""Smoke test of the benchmark scripts in benchmarks/.

It runs them in --quick mode and checks that they write their reports with the
expected rows. Timings are never asserted: quick runs time shrunk workloads,
and the machine may be busy. This test only keeps the scripts from rotting.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

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
