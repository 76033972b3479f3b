"""The project's benchmark: sknn_scratch against scikit-learn, PyTorch and BLAS.

Run it from the repository root::

    python benchmarks/bench.py                      # everything, 5 repeats
    python benchmarks/bench.py --quick              # shrunk workloads, < 60 s
    python benchmarks/bench.py --sections a,d --repeats 3 --out /tmp/bench

Every measurement runs in a fresh subprocess (``python -c`` calling
:func:`worker` of this file), so one contender's imports, caches and heap never
leak into another's timing. Thread settings (``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, PyTorch's pool) are left at their defaults. The
contenders of a workload run in interleaved order, rotated on every repeat,
and the tables report medians over the repeats.

Sections
--------
a. minibatch training: median microseconds per step on five workloads, for
   sknn_scratch, scikit-learn, the GEMM limit and PyTorch (when installed).
b. toolbox options on the tabular workload: dropout, batch norm, the extra
   solvers, float32 and sparse CSR input.
c. full batch: L-BFGS and CG against scikit-learn's L-BFGS on digits.
d. prediction: single-row latency and batch throughput of ``predict_proba``.
e. peak memory allocated during ``fit``, above the input data (tracemalloc).
f. import time of ``sknn_scratch`` against ``sklearn.neural_network``.

The table is printed as markdown and saved, with the raw samples and a
description of the machine, to ``OUT/latest.md`` and ``OUT/latest.json``.
Timings are never asserted: the exit status is 0 unless a worker crashed.
See ``benchmarks/README.md`` for how to read the results.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results"
RESULT_TAG = "BENCH-RESULT "
WORKER_CODE = (
    "import importlib, sys; sys.path.insert(0, sys.argv[1]); "
    "importlib.import_module(sys.argv[2]).worker(sys.argv[3])"
)
SECTIONS = ("a", "b", "c", "d", "e", "f")
CONTENDERS = ("scratch", "sklearn", "gemm", "torch")
SKLEARN_SOLVERS = {"sgd", "adam", "lbfgs"}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------- workloads


@dataclass
class Workload:
    """One minibatch training problem: data shape, network, solver, epochs.

    ``params`` are estimator parameters that sklearn shares; ``extra`` are
    sknn_scratch-only parameters (sklearn is not run when there are any).
    ``density < 1`` makes the input a sparse CSR matrix.
    """

    name: str
    n_samples: int
    n_features: int
    hidden: tuple
    n_classes: int
    activation: str
    solver: str
    batch_size: int
    epochs: int
    dtype: str = "float64"
    params: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    density: float = 1.0

    @classmethod
    def from_dict(cls, d):
        return cls(**{**d, "hidden": tuple(d["hidden"])})

    @property
    def label(self):
        return f"{self.name} {self.dtype}"

    @property
    def steps(self):
        return self.epochs * math.ceil(self.n_samples / self.batch_size)

    @property
    def layer_sizes(self):
        # A binary classifier has one logistic output unit, as in sklearn.
        n_out = 1 if self.n_classes == 2 else self.n_classes
        return [self.n_features, *self.hidden, n_out]

    @property
    def sklearn_has_it(self):
        return not self.extra and self.solver in SKLEARN_SOLVERS

    def shrunk(self):
        """The --quick version: five minibatches, one epoch."""
        return dataclasses.replace(self, n_samples=5 * self.batch_size, epochs=1)


SMALL = Workload(
    "small", 1600, 2, (50, 5), 2, "logistic", "sgd", 32, 20,
    params={"learning_rate_init": 0.05, "momentum": 0.9},
)  # fmt: skip
TABULAR = Workload("tabular", 20000, 64, (100,), 10, "relu", "adam", 200, 5)
WIDE = Workload("wide", 20000, 784, (256, 128), 10, "relu", "adam", 200, 2)


def _f32(workload):
    return dataclasses.replace(workload, dtype="float32")


MINIBATCH_WORKLOADS = [SMALL, TABULAR, _f32(TABULAR), WIDE, _f32(WIDE)]

# Goals of the performance issue: speedup = sklearn time / scratch time,
# pct_gemm = 100 * gemm time / scratch time, where "gemm" is the issue's own
# yardstick (../shared/bench/contenders.py), whose gemm also times the first
# layer's input gradient dX0. The stricter gemm without it is reported too.
GOALS = {
    "small float64": {"speedup": 6.0},
    "tabular float64": {"speedup": 2.0, "pct_gemm": 65.0},
    "tabular float32": {"speedup": 3.0, "pct_gemm": 65.0},
    "wide float64": {"pct_gemm": 85.0},
    "wide float32": {"pct_gemm": 85.0},
}


def _variant(label, **changes):
    extra = changes.pop("extra", {})
    return label, dataclasses.replace(TABULAR, extra=extra, **changes)


TOOLBOX_VARIANTS = [
    _variant("adam (baseline)"),
    _variant("dropout=0.2", extra={"dropout": 0.2}),
    _variant("batch_norm=True", extra={"batch_norm": True}),
    _variant("solver=adagrad", solver="adagrad"),
    _variant("solver=rmsprop", solver="rmsprop"),
    _variant("solver=adamw", solver="adamw"),
    _variant("float32", dtype="float32"),
    _variant("sparse CSR (5% dense)", density=0.05),
]


# ------------------------------------------------------------ worker side


def make_data(workload, seed=0):
    """Gaussian features and labels from a noisy random linear score."""
    rng = np.random.default_rng(seed)
    n, d = workload.n_samples, workload.n_features
    X = rng.standard_normal((n, d), dtype=np.float64)
    if workload.density < 1.0:
        import scipy.sparse

        X[rng.random((n, d)) >= workload.density] = 0.0
        X = scipy.sparse.csr_matrix(X)
    X = X.astype(workload.dtype)
    scores = X @ rng.standard_normal((d, workload.n_classes))
    scores += 0.5 * rng.standard_normal(scores.shape)
    return X, np.asarray(scores).argmax(axis=1)


def estimator_class(contender):
    if contender == "sklearn":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier
    from sknn_scratch import ScratchMLPClassifier

    return ScratchMLPClassifier


def fit_estimator(contender, workload, X, y, max_iter):
    """Fit for exactly ``max_iter`` epochs: the stopping rule never fires."""
    params = dict(
        hidden_layer_sizes=workload.hidden,
        activation=workload.activation,
        solver=workload.solver,
        batch_size=workload.batch_size,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=max_iter + 1,
        random_state=0,
        **workload.params,
    )
    if contender == "scratch":
        params.update(workload.extra)
    return estimator_class(contender)(**params).fit(X, y)


def time_estimator(contender, workload, X, y):
    warm = slice(0, 2 * workload.batch_size)
    fit_estimator(contender, workload, X[warm], y[warm], max_iter=1)
    start = time.perf_counter()
    est = fit_estimator(contender, workload, X, y, workload.epochs)
    seconds = time.perf_counter() - start
    return seconds, {"final_loss": float(est.loss_), "n_iter": int(est.n_iter_)}


def time_gemm(workload, X, y):
    """Only the matrix products of the training steps, into preallocated buffers.

    Per dense layer: the forward product ``A @ W``, the weight gradient
    ``A.T @ dZ`` and, except for the first layer (whose input is the data),
    the input gradient ``dZ @ W.T``. The operands stay fixed, so no value
    can overflow into slow paths. ``with_input_grad`` also times the first
    layer's input gradient, which a training step does not need.
    """
    dtype, rng = np.dtype(workload.dtype), np.random.default_rng(0)
    sizes, bs = workload.layer_sizes, workload.batch_size

    def rand(*shape):
        return (0.1 * rng.standard_normal(shape)).astype(dtype)

    A = [rand(bs, m) for m in sizes[:-1]]
    W = [rand(m, k) for m, k in zip(sizes[:-1], sizes[1:], strict=True)]
    dZ = [rand(bs, k) for k in sizes[1:]]
    Z = [np.empty_like(dz) for dz in dZ]
    dW = [np.empty_like(w) for w in W]
    dA = [np.empty_like(a) for a in A]

    def step(first_input_grad):
        for a, w, z in zip(A, W, Z, strict=True):
            np.matmul(a, w, out=z)
        for i in reversed(range(len(W))):
            np.matmul(A[i].T, dZ[i], out=dW[i])
            if i or first_input_grad:
                np.matmul(dZ[i], W[i].T, out=dA[i])

    def timed(first_input_grad):
        for _ in range(3):
            step(first_input_grad)
        start = time.perf_counter()
        for _ in range(workload.steps):
            step(first_input_grad)
        return time.perf_counter() - start

    seconds = timed(False)
    with_input_grad = timed(True)
    return seconds, {
        "us_per_step_with_input_grad": 1e6 * with_input_grad / workload.steps
    }


def time_torch(workload, X, y):
    """The same network and optimizer in PyTorch, minibatches gathered per step.

    No L2 penalty (sklearn's ``alpha``); it does not change the cost of a step
    measurably.
    """
    import torch

    torch.manual_seed(0)
    dtype = getattr(torch, workload.dtype)
    sizes = workload.layer_sizes
    activation = {
        "relu": torch.nn.ReLU,
        "logistic": torch.nn.Sigmoid,
        "tanh": torch.nn.Tanh,
        "identity": torch.nn.Identity,
    }[workload.activation]
    layers = []
    for i, (m, k) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(m, k, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(activation())
    model = torch.nn.Sequential(*layers)
    lr = workload.params.get("learning_rate_init", 1e-3)
    if workload.solver == "sgd":
        momentum = workload.params.get("momentum", 0.9)
        opt = torch.optim.SGD(model.parameters(), lr, momentum=momentum, nesterov=True)
    else:
        opt = torch.optim.Adam(model.parameters(), lr)
    X_t = torch.from_numpy(X)
    if sizes[-1] == 1:
        loss_fn = torch.nn.BCEWithLogitsLoss()
        Y_t = torch.from_numpy(y.astype(workload.dtype)).reshape(-1, 1)
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
        Y_t = torch.from_numpy(y.astype(np.int64))
    generator = torch.Generator().manual_seed(0)
    bs = workload.batch_size

    def train(epochs, n):
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, bs):
                rows = order[start : start + bs]
                opt.zero_grad()
                loss = loss_fn(model(X_t[rows]), Y_t[rows])
                loss.backward()
                opt.step()
        return float(loss)

    train(1, 2 * bs)
    start = time.perf_counter()
    loss = train(workload.epochs, workload.n_samples)
    return time.perf_counter() - start, {"final_loss": loss}


def run_minibatch(spec):
    workload = Workload.from_dict(spec["workload"])
    X, y = make_data(workload)
    contender = spec["contender"]
    if contender == "gemm":
        seconds, info = time_gemm(workload, X, y)
    elif contender == "torch":
        seconds, info = time_torch(workload, X, y)
    else:
        seconds, info = time_estimator(contender, workload, X, y)
    steps = workload.steps
    return {"us_per_step": 1e6 * seconds / steps, "seconds": seconds, **info}


def run_fullbatch(spec):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Est = estimator_class(spec["contender"])
    params = dict(hidden_layer_sizes=(100,), solver=spec["solver"], random_state=0)
    Est(**params, max_iter=2).fit(X, y)
    start = time.perf_counter()
    est = Est(**params, max_iter=spec["max_iter"]).fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "n_iter": int(est.n_iter_),
        "final_loss": float(est.loss_),
    }


def run_predict(spec):
    workload = Workload.from_dict(spec["workload"])
    X, y = make_data(workload)
    est = fit_estimator(spec["contender"], workload, X, y, max_iter=1)
    for i in range(20):
        est.predict_proba(X[i : i + 1])
    latencies = []
    for i in range(spec["n_calls"]):
        row = X[i % X.shape[0] : i % X.shape[0] + 1]
        start = time.perf_counter()
        est.predict_proba(row)
        latencies.append(time.perf_counter() - start)
    batch_times = []
    for _ in range(spec["n_batches"]):
        start = time.perf_counter()
        est.predict_proba(X)
        batch_times.append(time.perf_counter() - start)
    return {
        "latency_us": 1e6 * statistics.median(latencies),
        "rows_per_s": X.shape[0] / statistics.median(batch_times),
    }


def run_memory(spec):
    import gc
    import tracemalloc

    workload = Workload.from_dict(spec["workload"])
    X, y = make_data(workload)
    warm = slice(0, 2 * workload.batch_size)
    fit_estimator(spec["contender"], workload, X[warm], y[warm], max_iter=1)
    gc.collect()
    # Only allocations made after start() are traced, so X and y are excluded.
    tracemalloc.start()
    fit_estimator(spec["contender"], workload, X, y, workload.epochs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"peak_bytes": peak, "input_bytes": X.nbytes + y.nbytes}


def run_info(spec):
    import importlib.metadata

    info = {"numpy": np.__version__}
    for dist in ("scipy", "scikit-learn", "torch", "threadpoolctl"):
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            info[dist] = None
    import sknn_scratch

    info["sknn_scratch"] = sknn_scratch.__version__
    info["sknn_scratch_path"] = str(Path(sknn_scratch.__file__).parent)
    try:
        from threadpoolctl import threadpool_info

        keys = ("user_api", "internal_api", "version", "num_threads", "architecture")
        info["blas"] = [{k: lib.get(k) for k in keys} for lib in threadpool_info()]
    except ImportError:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        info["blas"] = [deps.get("blas", {})]
    return info


WORKERS = {
    "minibatch": run_minibatch,
    "fullbatch": run_fullbatch,
    "predict": run_predict,
    "memory": run_memory,
    "info": run_info,
}


def worker(specs_json):
    """Entry point of a measurement subprocess: run each spec, print each result.

    Normally the list holds one spec, so that every measurement has a fresh
    interpreter; ``--quick`` runs several specs per process to save start-ups.
    """
    warnings.filterwarnings("ignore")
    for spec in json.loads(specs_json):
        result = WORKERS[spec["kind"]](spec)
        result["load_average"] = load_average()
        print(RESULT_TAG + json.dumps(result), flush=True)


# -------------------------------------------------------------- main side


class WorkerError(RuntimeError):
    pass


def worker_env():
    """The environment as it is, plus the repository on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), env.get("PYTHONPATH")) if p
    )
    return env


def run_worker(module, specs, timeout):
    """Run ``module.worker(specs)`` in a fresh interpreter.

    Returns the results of the specs that completed and, if the process failed,
    the error (else None).
    """
    command = [sys.executable, "-c", WORKER_CODE, str(HERE), module, json.dumps(specs)]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=worker_env(),
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout} s"
    results = [
        json.loads(line[len(RESULT_TAG) :])
        for line in proc.stdout.splitlines()
        if line.startswith(RESULT_TAG)
    ]
    if proc.returncode == 0 and len(results) == len(specs):
        return results, None
    tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
    return results, f"exit status {proc.returncode}:\n{tail}"


def run_one(module, spec, timeout):
    """Run one spec in its own interpreter and return its result, or raise."""
    results, error = run_worker(module, [spec], timeout)
    if error:
        raise WorkerError(error)
    return results[0]


@dataclass
class Job:
    section: str
    key: str
    contender: str
    spec: dict


def run_jobs(jobs, module, config, timeout, log):
    """Run the jobs' workers; return (results by (section, key), failures).

    One job per process, ``config.jobs`` processes at a time; with
    ``config.quick`` the jobs of one contender share a process.
    """
    if config.quick:
        by_contender = {}
        for job in jobs:
            by_contender.setdefault(job.contender, []).append(job)
        # Longest first, so that the two lanes finish together.
        batches = sorted(by_contender.values(), key=lambda b: -len(b))
    else:
        batches = [[job] for job in jobs]
    results, failures = {}, []

    def one(batch):
        start = time.perf_counter()
        runs, error = run_worker(module, [job.spec for job in batch], timeout)
        return batch, runs, error, time.perf_counter() - start

    done = 0
    with ThreadPoolExecutor(max_workers=config.jobs) as pool:
        for batch, runs, error, seconds in pool.map(one, batches):
            for i, job in enumerate(batch):
                done += 1
                where = (
                    f"[{done}/{len(jobs)}] {job.section}: {job.key} / {job.contender}"
                )
                if i < len(runs):
                    slot = results.setdefault((job.section, job.key), {})
                    slot.setdefault(job.contender, []).append(runs[i])
                    log(f"{where}: ok")
                else:
                    failures.append({"job": dataclasses.asdict(job), "error": error})
                    log(f"{where}: FAILED\n{error}")
                    error = "an earlier measurement in the same process failed"
            log(f"  ({len(batch)} measurement(s) in {seconds:.1f} s)")
    return results, failures


def interleave(groups, repeats):
    """Repeat each group's jobs, rotating the contender order on every repeat."""
    jobs = []
    for r in range(repeats):
        for group in groups:
            k = r % len(group)
            jobs.extend(group[k:] + group[:k])
    return jobs


def make_job(section, key, contender, kind, workload=None, **spec):
    spec = {"kind": kind, "contender": contender, **spec}
    if workload is not None:
        spec["workload"] = dataclasses.asdict(workload)
    return Job(section, key, contender, spec)


def plan(config):
    """The interleaved job list of sections a to e."""
    quick, sections = config.quick, config.sections

    def size(workload):
        return workload.shrunk() if quick else workload

    def group(section, key, kind, contenders, **spec):
        wanted = [c for c in contenders if c in config.contenders]
        return [make_job(section, key, c, kind, **spec) for c in wanted]

    timed, once = [], []
    if "a" in sections:
        for w in map(size, MINIBATCH_WORKLOADS):
            timed.append(group("a", w.label, "minibatch", CONTENDERS, workload=w))
    if "b" in sections:
        for label, w in TOOLBOX_VARIANTS:
            w = size(w)
            names = ("scratch", "sklearn") if w.sklearn_has_it else ("scratch",)
            timed.append(group("b", label, "minibatch", names, workload=w))
    if "c" in sections:
        max_iter = 5 if quick else 200
        jobs = group("c", "lbfgs", "fullbatch", ("scratch",), solver="lbfgs")
        jobs += group("c", "cg", "fullbatch", ("scratch",), solver="cg")
        jobs += group("c", "lbfgs", "fullbatch", ("sklearn",), solver="lbfgs")
        for job in jobs:
            job.spec["max_iter"] = max_iter
        timed.append(jobs)
    if "d" in sections:
        n, n_calls, n_batches = (2000, 100, 2) if quick else (20000, 2000, 7)
        w = dataclasses.replace(TABULAR, n_samples=n, epochs=1)
        timed.append(
            group(
                "d",
                "predict_proba",
                "predict",
                ("scratch", "sklearn"),
                workload=w,
                n_calls=n_calls,
                n_batches=n_batches,
            )
        )
    if "e" in sections:
        # tracemalloc peaks are deterministic: one run each is enough.
        for w in map(size, (TABULAR, WIDE)):
            once.append(
                group("e", w.label, "memory", ("scratch", "sklearn"), workload=w)
            )
    timed, once = [g for g in timed if g], [g for g in once if g]
    return interleave(timed, config.repeats) + interleave(once, 1)


def measure_imports(repeats, log):
    """Median wall time of fresh ``python -c 'import X'`` processes.

    Both packages import from bytecode caches, as an installed package does:
    they are compiled once into a private ``PYTHONPYCACHEPREFIX`` (so that
    nothing is written into the repository, and ``PYTHONDONTWRITEBYTECODE``
    cannot make one side compile its sources on every import).
    """
    codes = {
        "python -c pass": "pass",
        "sknn_scratch": "import sknn_scratch",
        "sklearn.neural_network": "import sklearn.neural_network",
    }
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = worker_env()
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache

        def once(code):
            start = time.perf_counter()
            command = [sys.executable, "-c", code]
            subprocess.run(command, check=True, env=env, cwd=REPO)
            return time.perf_counter() - start

        for code in codes.values():  # fill the bytecode cache
            once(code)
        names = list(codes)
        samples = {name: [] for name in names}
        for r in range(repeats):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                samples[name].append(once(codes[name]))
    log(f"f: import times measured ({repeats} repeats)")
    return samples


# -------------------------------------------------------------- reporting


def median_of(results, key, contender, field_name):
    runs = results.get(key, {}).get(contender)
    if not runs:
        return None
    return statistics.median(run[field_name] for run in runs)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def spread(results, key, field_name):
    """The largest max/min ratio of any contender's repeated samples."""
    ratios = [
        max(values) / min(values)
        for runs in results.get(key, {}).values()
        if len(values := [run[field_name] for run in runs]) > 1 and min(values) > 0
    ]
    return max(ratios, default=None)


NOISY = 1.3
"""Rows whose samples spread more than this (max/min) are flagged as noisy."""


def percent(a, b):
    r = ratio(a, b)
    return None if r is None else 100 * r


def fmt(value, spec=".1f", suffix=""):
    return "–" if value is None else f"{value:{spec}}{suffix}"


def verdict(ok, quick):
    if ok is None:
        return "n/a"
    word = "PASS" if ok else "FAIL"
    return word + "*" if quick else word


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section_a(results, config):
    rows, data = [], []
    for workload in MINIBATCH_WORKLOADS:
        key = workload.label
        us = {c: median_of(results, ("a", key), c, "us_per_step") for c in CONTENDERS}
        gemm3 = median_of(results, ("a", key), "gemm", "us_per_step_with_input_grad")
        speedup = ratio(us["sklearn"], us["scratch"])
        pct_gemm = percent(us["gemm"], us["scratch"])
        pct_gemm3 = percent(gemm3, us["scratch"])
        vs_torch = ratio(us["torch"], us["scratch"])
        noise = spread(results, ("a", key), "us_per_step")
        measured = {"speedup": speedup, "pct_gemm": pct_gemm3}
        checks, verdicts = {}, []
        for goal, target in GOALS[key].items():
            value = measured[goal]
            checks[goal] = None if value is None else value >= target
            what = (
                f">= {target:g}x sklearn"
                if goal == "speedup"
                else f">= {target:g}% gemm+dX₀"
            )
            verdicts.append(f"{what}: {verdict(checks[goal], config.quick)}")
        rows.append(
            [
                key,
                fmt(us["scratch"]),
                fmt(us["sklearn"]),
                fmt(us["gemm"]),
                fmt(us["torch"]),
                fmt(speedup, ".2f", "x"),
                fmt(pct_gemm, ".0f", "%"),
                fmt(pct_gemm3, ".0f", "%"),
                fmt(vs_torch, ".2f", "x"),
                fmt(noise, ".2f") + (" ⚠" if noise and noise > NOISY else ""),
                "; ".join(verdicts),
            ]
        )
        data.append(
            {
                "workload": key,
                "steps": (workload.shrunk() if config.quick else workload).steps,
                "us_per_step": us,
                "gemm_with_input_grad_us": gemm3,
                "speedup_vs_sklearn": speedup,
                "pct_of_gemm": pct_gemm,
                "pct_of_gemm_with_input_grad": pct_gemm3,
                "vs_torch": vs_torch,
                "spread": noise,
                "goals": GOALS[key],
                "pass": checks,
            }
        )
    header = [
        "workload",
        "scratch µs/step",
        "sklearn µs/step",
        "gemm µs/step",
        "torch µs/step",
        "scratch vs sklearn",
        "% of gemm",
        "% of gemm+dX₀",
        "scratch vs torch",
        "spread",
        "goals",
    ]
    text = table(header, rows) + (
        "\n\nSpeedups are the other contender's time over scratch's (> 1x: scratch "
        "is faster). *% of gemm* = gemm time / scratch time; gemm+dX₀ also times "
        "the first layer's input gradient, which no training step needs, as the "
        "performance issue's yardstick (`contenders.py gemm`) does: the goals are "
        "judged against gemm+dX₀. *spread* "
        "is the largest max/min ratio of one contender's repeats; ⚠ marks rows "
        f"above {NOISY}: the machine was busy, rerun when it is quiet."
    )
    return "a. Minibatch training (median µs per step)", text, data


def section_b(results, config):
    key0 = TOOLBOX_VARIANTS[0][0]
    base = median_of(results, ("b", key0), "scratch", "us_per_step")
    rows, data = [], []
    for label, _ in TOOLBOX_VARIANTS:
        scratch = median_of(results, ("b", label), "scratch", "us_per_step")
        sk = median_of(results, ("b", label), "sklearn", "us_per_step")
        speedup = ratio(sk, scratch)
        cost = ratio(scratch, base)
        noise = spread(results, ("b", label), "us_per_step")
        sk_text = fmt(sk) if sk is not None else "no such option"
        rows.append(
            [
                label,
                fmt(scratch),
                sk_text,
                fmt(speedup, ".2f", "x"),
                fmt(cost, ".2f", "x"),
                fmt(noise, ".2f") + (" ⚠" if noise and noise > NOISY else ""),
            ]
        )
        data.append(
            {
                "variant": label,
                "scratch_us": scratch,
                "sklearn_us": sk,
                "speedup_vs_sklearn": speedup,
                "cost_vs_baseline": cost,
                "spread": noise,
            }
        )
    header = [
        "tabular variant",
        "scratch µs/step",
        "sklearn µs/step",
        "scratch vs sklearn",
        "scratch cost vs baseline",
        "spread",
    ]
    return "b. Toolbox options on the tabular workload", table(header, rows), data


def section_c(results, config):
    ref = median_of(results, ("c", "lbfgs"), "sklearn", "seconds")
    rows, data = [], []
    for contender, solver in [
        ("scratch", "lbfgs"),
        ("scratch", "cg"),
        ("sklearn", "lbfgs"),
    ]:
        seconds = median_of(results, ("c", solver), contender, "seconds")
        n_iter = median_of(results, ("c", solver), contender, "n_iter")
        loss = median_of(results, ("c", solver), contender, "final_loss")
        per_iter = None if seconds is None or not n_iter else 1e3 * seconds / n_iter
        ok = None
        if contender == "scratch" and seconds is not None and ref is not None:
            ok = seconds <= ref
        goal = (
            "–"
            if contender == "sklearn"
            else f"<= sklearn lbfgs: {verdict(ok, config.quick)}"
        )
        rows.append(
            [
                f"{contender} {solver}",
                fmt(seconds, ".3f"),
                fmt(n_iter, ".0f"),
                fmt(per_iter, ".2f"),
                fmt(loss, ".4f"),
                goal,
            ]
        )
        data.append(
            {
                "contender": contender,
                "solver": solver,
                "seconds": seconds,
                "n_iter": n_iter,
                "ms_per_iter": per_iter,
                "final_loss": loss,
                "pass": ok,
            }
        )
    header = [
        "digits, hidden (100,)",
        "seconds",
        "iterations",
        "ms/iter",
        "loss",
        "goal",
    ]
    title = "c. Full batch on digits (1797 x 64), same max_iter"
    return title, table(header, rows), data


def section_d(results, config):
    key = ("d", "predict_proba")
    rows, data = [], []
    for field_name, label, better in [
        ("latency_us", "predict_proba, 1 row (median µs)", "lower"),
        ("rows_per_s", "predict_proba, batch (rows/s)", "higher"),
    ]:
        scratch = median_of(results, key, "scratch", field_name)
        sk = median_of(results, key, "sklearn", field_name)
        r = ratio(scratch, sk)
        ok = None
        if r is not None:
            ok = r <= 1 if better == "lower" else r >= 1
        goal = "<= sklearn" if better == "lower" else ">= sklearn"
        spec = ".1f" if better == "lower" else ",.0f"
        rows.append(
            [
                label,
                fmt(scratch, spec),
                fmt(sk, spec),
                fmt(r, ".2f"),
                f"{goal}: {verdict(ok, config.quick)}",
            ]
        )
        data.append(
            {
                "metric": field_name,
                "scratch": scratch,
                "sklearn": sk,
                "ratio": r,
                "pass": ok,
            }
        )
    header = ["tabular model", "scratch", "sklearn", "scratch / sklearn", "goal"]
    return "d. Prediction", table(header, rows), data


def section_e(results, config):
    mib = 1 / 2**20
    rows, data = [], []
    for workload in (TABULAR, WIDE):
        key = ("e", workload.label)
        scratch = median_of(results, key, "scratch", "peak_bytes")
        sk = median_of(results, key, "sklearn", "peak_bytes")
        size = median_of(results, key, "scratch", "input_bytes")
        size = (
            size
            if size is not None
            else median_of(results, key, "sklearn", "input_bytes")
        )
        ok = None if scratch is None or sk is None else scratch <= sk
        copies = None if scratch is None or size is None else scratch >= 0.9 * size
        rows.append(
            [
                workload.label,
                fmt(size and size * mib),
                fmt(scratch and scratch * mib),
                fmt(sk and sk * mib),
                fmt(ratio(scratch, sk), ".2f"),
                "–" if copies is None else ("yes" if copies else "no"),
                f"<= sklearn: {verdict(ok, config.quick)}",
            ]
        )
        data.append(
            {
                "workload": workload.label,
                "input_bytes": size,
                "scratch_peak_bytes": scratch,
                "sklearn_peak_bytes": sk,
                "scratch_peak_at_least_input": copies,
                "pass": ok,
            }
        )
    header = [
        "workload",
        "X + y MiB",
        "scratch peak MiB",
        "sklearn peak MiB",
        "scratch / sklearn",
        "scratch peak >= X?",
        "goal",
    ]
    text = table(header, rows) + (
        "\n\nPeak of the memory traced by tracemalloc during `fit`, which excludes "
        "the input arrays themselves. A peak below the size of X proves that no "
        "full copy of X was ever held."
    )
    return "e. Peak memory during fit, above the input", text, data


def section_f(samples, config):
    base = statistics.median(samples["python -c pass"])
    rows, data = [], {}
    for name in ("sknn_scratch", "sklearn.neural_network"):
        ms = 1e3 * (statistics.median(samples[name]) - base)
        data[name] = ms
        rows.append([f"import {name}", fmt(ms, ".0f")])
    ok = data["sknn_scratch"] <= data["sklearn.neural_network"]
    rows[0].append(f"<= sklearn.neural_network: {verdict(ok, config.quick)}")
    rows[1].append("–")
    header = ["module", "ms above `python -c pass`", "goal"]
    data = {"ms_above_baseline": data, "baseline_ms": 1e3 * base, "pass": ok}
    return "f. Import time (median of fresh processes)", table(header, rows), data


# ------------------------------------------------------------------ machine


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision():
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sknn_scratch"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def machine_info(timeout):
    info = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "git": git_revision(),
        "thread_env": {k: os.environ.get(k) for k in THREAD_VARIABLES},
    }
    try:
        info["versions"] = run_one("bench", {"kind": "info"}, timeout)
    except WorkerError as exc:
        info["versions"] = {"error": str(exc)}
    return info


def with_machine_info(config, timeout, measure):
    """Return ``(machine_info(), measure())``.

    A real run describes the machine first, so that nothing runs beside the
    measurements; a quick run does both at once.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        machine = pool.submit(machine_info, timeout)
        if not config.quick:
            machine.result()
        measured = measure()
        return machine.result(), measured


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_lines(machine, config, loads):
    v = machine["versions"]
    blas = "; ".join(
        f"{b.get('internal_api') or b.get('name')} {b.get('version')} "
        f"({b.get('num_threads')} threads, {b.get('architecture')})"
        for b in v.get("blas", [])
    )
    mode = "quick (shrunk workloads: not a measurement)" if config.quick else "full"
    return [
        f"- machine: {machine['cpu']}, {machine['usable_cpus']} usable CPUs, "
        f"{machine['platform']}",
        f"- load average at start / end: {loads[0]} / {loads[1]}",
        f"- python {machine['python']}, numpy {v.get('numpy')}, scipy "
        f"{v.get('scipy')}, scikit-learn {v.get('scikit-learn')}, torch "
        f"{v.get('torch')}, sknn_scratch {v.get('sknn_scratch')} (git "
        f"{machine['git']})",
        f"- BLAS: {blas or 'unknown'}",
        f"- mode: {mode}; repeats: {config.repeats}; sections: "
        f"{','.join(config.sections)}",
    ]


# --------------------------------------------------------------------- CLI


def torch_installed():
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark sknn_scratch against scikit-learn, PyTorch and BLAS."
    )
    parser.add_argument(
        "--quick", action="store_true", help="shrunk workloads, for CI (< 60 s)"
    )
    parser.add_argument(
        "--repeats", type=int, help="runs per measurement (default 5, quick 1)"
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated subset of a,b,c,d,e,f",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated subset of scratch,sklearn,gemm,torch",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        help="workers run at once (default 1; quick 2, its timings mean nothing)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="set OMP/OPENBLAS/MKL_NUM_THREADS for the workers (default: leave "
        "them alone, as the goals are measured); for experiments only",
    )
    parser.add_argument(
        "--profile",
        metavar="WORKLOAD",
        help="instead of benchmarking, cProfile sknn_scratch on one section-a "
        "workload, e.g. 'small' or 'tabular:float32' (honours --quick)",
    )
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from a,b,c,d,e,f")
    args.sections = sorted(set(sections))
    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    if set(contenders) - set(CONTENDERS):
        parser.error(f"unknown contenders; choose from {','.join(CONTENDERS)}")
    if "torch" in contenders and not torch_installed():
        contenders.remove("torch")
    args.contenders = contenders
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.jobs is None:
        args.jobs = 2 if args.quick else 1
    return args


def profile(name, quick):
    """Print a cProfile top-15 of sknn_scratch fitting one workload."""
    import cProfile
    import pstats

    base, _, dtype = name.partition(":")
    label = f"{base} {dtype or 'float64'}"
    matches = [w for w in MINIBATCH_WORKLOADS if w.label == label]
    if not matches:
        labels = ", ".join(w.label.replace(" ", ":") for w in MINIBATCH_WORKLOADS)
        raise SystemExit(f"unknown workload {name!r}; choose from {labels}")
    workload = matches[0].shrunk() if quick else matches[0]
    warnings.filterwarnings("ignore")
    X, y = make_data(workload)
    fit_estimator("scratch", workload, X[:64], y[:64], max_iter=1)
    profiler = cProfile.Profile()
    profiler.enable()
    fit_estimator("scratch", workload, X, y, workload.epochs)
    profiler.disable()
    print(f"cProfile of sknn_scratch on {label}, {workload.steps} steps")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv=None):
    config = parse_args(argv)
    if config.profile:
        profile(config.profile, config.quick)
        return 0
    started = time.perf_counter()
    timeout = 120 if config.quick else 1800
    if config.threads:
        for name in THREAD_VARIABLES:
            os.environ[name] = str(config.threads)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    loads = [load_average()]
    jobs = plan(config)
    log(f"{len(jobs)} measurements, {config.jobs} at a time")
    machine, (results, failures) = with_machine_info(
        config, timeout, lambda: run_jobs(jobs, "bench", config, timeout, log)
    )
    import_samples = None
    if "f" in config.sections:
        try:
            import_samples = measure_imports(1 if config.quick else 7, log)
        except (OSError, subprocess.CalledProcessError) as exc:
            failures.append({"job": "import time", "error": str(exc)})
    loads.append(load_average())

    builders = {
        "a": section_a,
        "b": section_b,
        "c": section_c,
        "d": section_d,
        "e": section_e,
    }
    parts, data = [], {}
    for section in config.sections:
        if section == "f":
            if import_samples is None:
                continue
            title, text, rows = section_f(import_samples, config)
        else:
            title, text, rows = builders[section](results, config)
        parts.append(f"### {title}\n\n{text}")
        data[section] = rows

    elapsed = time.perf_counter() - started
    stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [
        "## sknn_scratch benchmark",
        "",
        f"`{' '.join(['python benchmarks/bench.py', *(argv or sys.argv[1:])])}` "
        f"at {stamp}, {elapsed:.0f} s",
        "",
        *machine_lines(machine, config, loads),
        "",
    ]
    if config.quick:
        lines += ["\\* quick run: verdicts on shrunk workloads mean nothing.", ""]
    if failures:
        lines += [f"**{len(failures)} measurement(s) failed**; see latest.json.", ""]
    markdown = "\n".join(lines) + "\n" + "\n\n".join(parts) + "\n"
    print(markdown)

    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "latest.md").write_text(markdown, encoding="utf-8")
    raw = {f"{section}|{key}": runs for (section, key), runs in sorted(results.items())}
    report = {
        "created": stamp,
        "seconds": elapsed,
        "config": {
            "quick": config.quick,
            "repeats": config.repeats,
            "sections": config.sections,
            "contenders": config.contenders,
            "jobs": config.jobs,
        },
        "machine": {
            **machine,
            "load_average_start": loads[0],
            "load_average_end": loads[1],
        },
        "sections": data,
        "samples": {**raw, "f|imports": import_samples},
        "failures": failures,
    }
    (config.out / "latest.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    log(f"wrote {config.out / 'latest.md'} and latest.json in {elapsed:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
