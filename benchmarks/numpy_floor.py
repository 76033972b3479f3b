"""The NumPy floor: how fast can this training step be in plain NumPy?

For the minibatch workloads of the performance goals (``small``, ``tabular``
and ``wide`` from ``bench.py``), this script trains with a hand-written step:
straight-line NumPy calls on preallocated buffers, with no layer objects, no
workspace lookups and no per-step dispatch. It makes the same NumPy and BLAS
calls as sknn_scratch, and reuses the package's activation, loss and
optimizer functions, so it computes the same weights; ``tests/test_benchmarks.py``
checks that it does. What it leaves out is the package's structure. So:

- sknn_scratch minus the floor is the cost of the package's Python structure;
- the floor minus the products is what the other work of a step costs in
  NumPy (gathering the batch, element-wise passes, the optimizer), which any
  NumPy implementation of this step pays.

In one process, alternating, it times one epoch R times for each of:

- ``gemm``: the step's matrix products alone (as ``bench.py``, also with the
  first layer's input gradient ``dX0`` that ``contenders.py`` includes);
- ``floor``: the hand-written step;
- ``sknn_scratch``: the package's ``MinibatchTrainer.run_epoch``;
- ``sklearn``: a fit of ``MLPClassifier`` over the workload's epochs, per step.

It prints the medians, in microseconds per step, and what each goal of the
performance issue would need. It never asserts on timings.

Usage::

    python benchmarks/numpy_floor.py              # every workload, 9 repeats
    python benchmarks/numpy_floor.py --repeats 15 --workloads tabular:float32
    python benchmarks/numpy_floor.py --quick      # shrunk, for the smoke test
"""

import argparse
import dataclasses
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the workloads and their data)

from sknn_scratch.nn._blas import axpy  # noqa: E402
from sknn_scratch.nn.layers import ActivationLayer, Dense  # noqa: E402
from sknn_scratch.nn.network import build_mlp  # noqa: E402
from sknn_scratch.nn.optimizers import get_optimizer  # noqa: E402
from sknn_scratch.nn.schedules import get_schedule  # noqa: E402
from sknn_scratch.nn.training import MinibatchTrainer  # noqa: E402

WORKLOADS = {
    "small": bench.SMALL,
    "tabular": bench.TABULAR,
    "tabular:float32": bench._f32(bench.TABULAR),
    "wide": bench.WIDE,
    "wide:float32": bench._f32(bench.WIDE),
}
ALPHA = 1e-4  # sklearn's default L2 penalty, which both estimators use


def build(workload, seed=0):
    """Return the network, initial parameters, data and one-hot targets.

    The targets are the classifier's: one bool column for two classes, one
    per class otherwise.
    """
    X, y = bench.make_data(workload)
    sizes = workload.layer_sizes
    loss = "binary_log_loss" if sizes[-1] == 1 else "log_loss"
    network = build_mlp(sizes, workload.activation, loss)
    params = network.init_params(np.random.RandomState(seed), X.dtype)
    if sizes[-1] == 1:
        Y = (y == 1)[:, np.newaxis]
    else:
        Y = np.zeros((len(y), sizes[-1]), dtype=bool)
        Y[np.arange(len(y)), y] = True
    return network, params, X, Y


def _layer_sizes(network):
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    return [dense[0].n_in] + [layer.n_out for layer in dense]


def _hidden_function(network):
    layer = next(lay for lay in network.layers if isinstance(lay, ActivationLayer))
    return layer.function


def optimizer_for(workload, params):
    """The workload's optimizer and learning-rate schedule, sklearn's defaults."""
    lr = workload.params.get("learning_rate_init", 1e-3)
    options = (
        {"momentum": workload.params["momentum"]}
        if "momentum" in workload.params
        else {}
    )
    optimizer = get_optimizer(workload.solver, **options)
    optimizer.init_state(params)
    return optimizer, get_schedule("constant", learning_rate_init=lr)


class FloorTrainer:
    """A plain MLP's minibatch epochs as straight-line NumPy on fixed buffers.

    Same results as :class:`~sknn_scratch.nn.training.MinibatchTrainer` for a
    plain stack (no batch norm, dropout or sample weights) with shuffling:
    the same calls in the same order.
    """

    def __init__(self, network, params, optimizer, schedule, X, Y, batch_size, rng):
        self.params, self.optimizer, self.schedule = params, optimizer, schedule
        self.X, self.Y, self.rng = X, Y, rng
        self.batch_size, self.n_samples = batch_size, X.shape[0]
        self.nw = network.n_weights
        self.grad = np.empty_like(params)
        self.W, self.b = network.unpack(params).values()
        self.gW, self.gb = network.unpack(self.grad).values()
        self.hidden = _hidden_function(network)
        self.output = network.output_activation.forward
        self.loss = network.loss
        dtype, sizes = params.dtype, _layer_sizes(network)
        self.X_batch = np.empty((batch_size, sizes[0]), dtype)
        self.Y_batch = np.empty((batch_size, sizes[-1]), bool)
        self.Z = [np.empty((batch_size, k), dtype) for k in sizes[1:]]
        self.D = [np.empty((batch_size, k), dtype) for k in sizes[1:]]
        self.ones = np.ones(batch_size, dtype)
        rows = batch_size * max(1, MinibatchTrainer.LOSS_CHUNK_ROWS // batch_size)
        self.outputs = np.empty((min(rows, self.n_samples), sizes[-1]), dtype)
        self.order = np.arange(self.n_samples)

    def run_epoch(self):
        """Train on every shuffled minibatch once; return sklearn's epoch loss.

        Like the package, it keeps the outputs of a chunk of steps and takes
        their loss at once.
        """
        self.order = self.order[self.rng.permutation(self.n_samples)]
        chunk, loss, penalty = len(self.outputs), 0.0, 0.0
        for first in range(0, self.n_samples, chunk):
            last = min(first + chunk, self.n_samples)
            for start in range(first, last, self.batch_size):
                rows = self.order[start : start + self.batch_size]
                penalty += self.step(rows, start - first)
            Y = self.Y.take(self.order[first:last], axis=0)
            loss += self.loss.value(Y, self.outputs[: last - first]) * (last - first)
        return (loss + 0.5 * ALPHA * penalty) / self.n_samples

    def step(self, rows, start):
        """One gradient step on ``rows``; return the squared weights before it."""
        n, L, params, grad, nw = len(rows), len(self.W), self.params, self.grad, self.nw
        X = self.X.take(rows, axis=0, out=self.X_batch[:n], mode="clip")
        Y = self.Y.take(rows, axis=0, out=self.Y_batch[:n], mode="clip")
        squared = float(np.dot(params[:nw], params[:nw]))
        A = [X]
        for i in range(L):
            Z = np.matmul(A[i], self.W[i], out=self.Z[i][:n])
            Z += self.b[i]
            A.append(self.hidden.forward(Z, Z) if i < L - 1 else self.output(Z, Z))
        np.copyto(self.outputs[start : start + n], A[L])
        D = self.loss.delta(Y, A[L], out=self.D[L - 1][:n])
        D *= 1.0 / n
        for i in reversed(range(L)):
            np.matmul(A[i].T, D, out=self.gW[i])
            np.matmul(self.ones[:n], D, out=self.gb[i])
            if i:
                D = np.matmul(D, self.W[i].T, out=self.D[i - 1][:n])
                self.hidden.backward(None, A[i], D)
        axpy(ALPHA / n, params[:nw], grad[:nw])
        self.optimizer.step(params, grad, self.schedule.lr)
        return squared

    def timed_step(self, rows, start):
        """:meth:`step`, reading the clock after each operation.

        Adds each operation's seconds to ``self.spent`` under its label. Each
        reading costs about 0.2 us, charged to the operation after it, so the
        shares mean more than the totals.
        """
        n, L, params, grad, nw = len(rows), len(self.W), self.params, self.grad, self.nw
        spent, clock, last = self.spent, time.perf_counter, [time.perf_counter()]

        def done(label):
            now = clock()
            spent[label] = spent.get(label, 0.0) + now - last[0]
            last[0] = now

        X = self.X.take(rows, axis=0, out=self.X_batch[:n], mode="clip")
        Y = self.Y.take(rows, axis=0, out=self.Y_batch[:n], mode="clip")
        done("gather the batch's rows")
        squared = float(np.dot(params[:nw], params[:nw]))
        done("squared weights (for the loss)")
        A = [X]
        for i in range(L):
            Z = np.matmul(A[i], self.W[i], out=self.Z[i][:n])
            done("products: forward")
            Z += self.b[i]
            done("bias adds")
            A.append(self.hidden.forward(Z, Z) if i < L - 1 else self.output(Z, Z))
            done("activations (hidden and output)")
        np.copyto(self.outputs[start : start + n], A[L])
        D = self.loss.delta(Y, A[L], out=self.D[L - 1][:n])
        D *= 1.0 / n
        done("keep outputs, output delta")
        for i in reversed(range(L)):
            np.matmul(A[i].T, D, out=self.gW[i])
            done("products: weight gradients")
            np.matmul(self.ones[:n], D, out=self.gb[i])
            done("bias gradients")
            if i:
                D = np.matmul(D, self.W[i].T, out=self.D[i - 1][:n])
                done("products: input gradients")
                self.hidden.backward(None, A[i], D)
                done("activation derivatives")
        axpy(ALPHA / n, params[:nw], grad[:nw])
        done("L2 gradient")
        self.optimizer.step(params, grad, self.schedule.lr)
        done("optimizer")
        return squared


def make_trainers(workload, seed=0):
    """The floor and the package's trainer, from the same start and shuffles."""
    network, params, X, Y = build(workload, seed)
    trainers = {}
    for name in ("floor", "scratch"):
        own = params.copy()
        optimizer, schedule = optimizer_for(workload, own)
        rng = np.random.RandomState(seed)
        if name == "floor":
            trainers[name] = FloorTrainer(
                network, own, optimizer, schedule, X, Y, workload.batch_size, rng
            )
        else:
            trainers[name] = MinibatchTrainer(
                network, own, optimizer, schedule, X, Y, None,
                alpha=ALPHA, batch_size=workload.batch_size, shuffle=True, rng=rng,
            )  # fmt: skip
    return trainers


def gemm_epoch(workload):
    """Seconds for one epoch of the step's products alone, without and with dX0."""
    sub = dataclasses.replace(workload, epochs=1)
    seconds, extra = bench.time_gemm(sub, None, None)
    return seconds, extra["us_per_step_with_input_grad"] * sub.steps / 1e6


def sklearn_fit(workload, X, y):
    """Seconds for sklearn's fit over the workload's epochs (one warm-up first)."""
    return bench.time_estimator("sklearn", workload, X, y)[0]


def measure(workload, repeats):
    """Median microseconds per step of each contender, alternating."""
    steps = math.ceil(workload.n_samples / workload.batch_size)
    trainers = make_trainers(workload)
    X, y = bench.make_data(workload)
    samples = {"gemm": [], "gemm+dX0": [], "floor": [], "scratch": [], "sklearn": []}
    with np.errstate(over="ignore", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trainer in trainers.values():  # warm up caches and buffers
            trainer.run_epoch()
        for _ in range(repeats):
            gemm, gemm_dx0 = gemm_epoch(workload)
            samples["gemm"].append(gemm / steps)
            samples["gemm+dX0"].append(gemm_dx0 / steps)
            for name, trainer in trainers.items():
                start = time.perf_counter()
                trainer.run_epoch()
                samples[name].append((time.perf_counter() - start) / steps)
            samples["sklearn"].append(sklearn_fit(workload, X, y) / workload.steps)
    return {name: 1e6 * float(np.median(values)) for name, values in samples.items()}


GOALS = {
    "small": (6.0, None),
    "tabular": (2.0, 0.65),
    "tabular:float32": (3.0, 0.65),
    "wide": (None, 0.85),
    "wide:float32": (None, 0.85),
}
"""The issue's goals: speed-up over sklearn, share of gemm+dX0 (None: no goal)."""


def breakdown(workload, epochs):
    """Microseconds per step of each operation of the floor, in the loop."""
    trainer = make_trainers(workload)["floor"]
    steps = math.ceil(workload.n_samples / workload.batch_size)
    with np.errstate(over="ignore", under="ignore"):
        trainer.run_epoch()
        trainer.spent, trainer.step = {}, trainer.timed_step
        start = time.perf_counter()
        for _ in range(epochs):
            trainer.run_epoch()
        total = time.perf_counter() - start
    per_step = {k: 1e6 * v / (epochs * steps) for k, v in trainer.spent.items()}
    rest = 1e6 * total / (epochs * steps) - sum(per_step.values())
    return {**per_step, "shuffle, slicing, epoch loss": rest}


def report_breakdown(name, us):
    """Print the floor's per-operation breakdown."""
    print(f"\n## {name}: the floor's step, operation by operation (us/step)\n")
    print("| operation | us/step | share |")
    print("|---|---|---|")
    total = sum(us.values())
    for label, value in us.items():
        print(f"| {label} | {value:.1f} | {100 * value / total:.0f}% |")
    print(f"| **total (with clock reads)** | **{total:.1f}** | |")


def report(name, us):
    """Print one workload's medians and what its goals need."""
    columns = ("gemm", "gemm+dX0", "floor", "scratch", "sklearn")
    print(f"\n## {name} (median us/step)\n")
    print("| " + " | ".join(columns).replace("scratch", "sknn_scratch") + " |")
    print("|---" * len(columns) + "|")
    print("| " + " | ".join(f"{us[k]:.1f}" for k in columns) + " |\n")
    floor, scratch = us["floor"], us["scratch"]
    print(f"- the floor spends {floor - us['gemm']:.1f} us/step outside the products")
    print(f"- sknn_scratch's structure costs {scratch - floor:.1f} us/step more")
    speedup, share = GOALS[name]
    if speedup:
        print(
            f"- {speedup:g}x sklearn needs <= {us['sklearn'] / speedup:.1f}: "
            f"floor {us['sklearn'] / floor:.2f}x, "
            f"sknn_scratch {us['sklearn'] / scratch:.2f}x"
        )
    if share:
        limit = us["gemm+dX0"]
        print(
            f"- {100 * share:.0f}% of gemm+dX0 needs <= {limit / share:.1f}: "
            f"floor {100 * limit / floor:.0f}%, "
            f"sknn_scratch {100 * limit / scratch:.0f}%"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument(
        "--quick", action="store_true", help="shrunk workloads, 1 repeat"
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also time each floor operation"
    )
    config = parser.parse_args(argv)
    repeats = 1 if config.quick else config.repeats
    for name in config.workloads.split(","):
        workload = WORKLOADS[name]
        if config.quick:
            workload = workload.shrunk()
        report(name, measure(workload, repeats))
        if config.breakdown:
            report_breakdown(name, breakdown(workload, 1 if config.quick else 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
