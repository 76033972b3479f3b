"""What a packed ensemble costs: the time of an epoch with k members over one.

The members of a packed ensemble share the hidden layers; each has its own
multiplicative adapter after the first layer and its own output head. One
training step pushes the ``k * n`` stacked rows through the shared layers,
so the members cost more rows per product but no more NumPy calls. This
script times one epoch of the tabular recipe's trainer
(``sknn_scratch.nn.recipe.Trainer``) for k = 1 and k = 8 on two networks:

- ``small``: 2-50-5-2 with batch 32 (1600 rows), where the cost of each NumPy
  call dominates;
- ``tabular``: 64-100-10 with batch 256 (20000 rows), where the matrix
  products are most of the step.

    python benchmarks/packed_ensemble.py                 # 7 repeats, best of
    python benchmarks/packed_ensemble.py --repeats 3 --members 1,4,8,16

One thread (set before NumPy is imported), as in the other benchmarks.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from sknn_scratch.nn.layers import Workspace  # noqa: E402
from sknn_scratch.nn.recipe import FactorAdam, Settings, Split, Trainer, lr_factors  # noqa: E402
from sknn_scratch.nn.tabular import (  # noqa: E402
    EnsembleAdapter,
    EnsembleHead,
    KeyedDropout,
    NTKDense,
    PackedNetwork,
    ParametricActivation,
)

# name: (rows, inputs, hidden widths, outputs, batch)
WORKLOADS = {
    "small": (1600, 2, (50, 5), 2, 32),
    "tabular": (20000, 64, (100,), 10, 256),
}


def network(k, n_in, hidden, n_out, dropout):
    """A packed MLP as the tabular estimators build it: NTK dense layers (the
    first followed by the members' adapter when k > 1), parametric SELU,
    dropout if asked, and one head per member."""
    layers = []
    for i, width in enumerate(hidden):
        layers.append(NTKDense(n_in, width))
        if i == 0 and k > 1:
            layers.append(EnsembleAdapter(k, width))
        layers.append(ParametricActivation("selu", width))
        if dropout:
            layers.append(KeyedDropout(dropout, width))
        n_in = width
    layers.append(EnsembleHead(k, n_in, n_out))
    return PackedNetwork(layers, k, "log_loss")


def epoch_time(k, workload, dropout, repeats):
    """The best of ``repeats`` timings of one training epoch, in seconds."""
    n, n_in, hidden, n_out, batch = WORKLOADS[workload]
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n, n_in))
    Y = np.eye(n_out)[rng.randint(0, n_out, n)]
    keys = rng.randint(0, 2**32, (k, n), dtype=np.uint32)
    net = network(k, n_in, hidden, n_out, dropout)
    params = net.init_params(rng)
    settings = Settings(learning_rate=1e-3, n_epochs=repeats + 1, batch_size=batch)
    trainer = Trainer(net, settings, rng, n)
    optimizer = FactorAdam(lr_factors(net), net.n_weights)
    workspace, split = Workspace(batch, np.float64), Split(X, Y, None, keys)
    trainer.run_epoch(params, optimizer, split, workspace)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        trainer.run_epoch(params, optimizer, split, workspace)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--members", default="1,8")
    parser.add_argument("--dropout", type=float, default=0.0)
    args = parser.parse_args()
    members = [int(k) for k in args.members.split(",")]
    print("| workload | members | epoch (ms) | ratio to 1 member |")
    print("| --- | ---: | ---: | ---: |")
    for workload in WORKLOADS:
        base = None
        for k in members:
            seconds = epoch_time(k, workload, args.dropout, args.repeats)
            base = base or seconds
            print(f"| {workload} | {k} | {1e3 * seconds:.1f} | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
