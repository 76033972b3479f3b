"""Tabular benchmark of TabularMLP against the usual tabular baselines.

Every contender is cross-validated on the same folds of real and synthetic
tables (raw DataFrames with categorical columns and missing values), and the
report gives one table per metric, mean ranks, the mean relative loss gap to
the best contender and the fit times. ``--ablation`` turns the ingredients of
TabularMLP's recipe off one at a time, on the same folds.

Only data shipped inside pip packages or made here is used: nothing is
downloaded at run time. Datasets whose package is missing are skipped with a
note, and so are contenders that cannot be imported.

    python benchmarks/tabular.py                    # all datasets and contenders
    python benchmarks/tabular.py --quick --out /tmp/q   # CI smoke run, < 1 min
    python benchmarks/tabular.py --ablation --datasets wine,fair
    python benchmarks/tabular.py --contenders tabular --reuse \
        benchmarks/results/tabular.json             # refresh one column only
"""

from __future__ import annotations

import os
import sys


def _thread_count(argv):
    """The --threads value, read before NumPy is imported (default 1)."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return 1


THREADS = _thread_count(sys.argv)
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = str(THREADS)

import argparse  # noqa: E402
import datetime  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import datasets as skdata  # noqa: E402
from sklearn.compose import (  # noqa: E402
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, r2_score  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

# The ablation: one ingredient of TabularMLP's recipe off at a time, through
# set_params; weight decay, off by default since this ablation measured no
# effect, is turned on instead. Entries whose parameters the estimator does
# not have (the classifier-only ones on regression, say) are reported as n/a.
ABLATION = {
    "no numeric embedding": {"numeric_embedding": None},
    "no front scale": {"front_scale": False},
    "no parametric act.": {"parametric_activation": False},
    "standard param.": {"parametrization": "standard"},
    "no data init": {"data_init": False},
    "no dropout": {"dropout": 0.0},
    "weight decay 0.02 on": {"weight_decay": 0.02},
    "no label smoothing": {"label_smoothing": 0.0},
    "constant lr": {"lr_schedule": "constant"},
    "no ensemble": {"n_ensemble": 1},
    "no best epoch": {"validation_fraction": None},
    "no temperature": {"temperature_scaling": False},
    "no target scaling": {"scale_target": False},
    "standard preproc.": {"preprocessing": "standard"},
}

SEED = 0
MAX_ROWS = 10_000
QUICK_DATASETS = ("breast_cancer", "wine", "synth_regression")
QUICK_MAX_ROWS = 300
QUICK_EPOCHS = 5
CLASSIFICATION = ("binary", "multiclass")
RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------- datasets


@dataclass
class Dataset:
    name: str
    task: str  # "binary", "multiclass" or "regression"
    X: pd.DataFrame
    y: np.ndarray
    source: str

    def describe(self):
        cats = self.X.select_dtypes(include=["category", "object", "bool"])
        missing = float(self.X.isna().to_numpy().mean())
        return {
            "task": self.task,
            "rows": len(self.X),
            "features": self.X.shape[1],
            "categorical": cats.shape[1],
            "missing": round(missing, 4),
            "classes": len(np.unique(self.y)) if self.task != "regression" else None,
            "source": self.source,
        }


def as_category(frame, columns):
    """Cast `columns` to pandas categories (integer codes become labels)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].astype("category")
    return frame


def load_breast_cancer():
    X, y = skdata.load_breast_cancer(return_X_y=True, as_frame=True)
    return "binary", X, y.to_numpy(), "sklearn load_breast_cancer"


def load_wine():
    X, y = skdata.load_wine(return_X_y=True, as_frame=True)
    return "multiclass", X, y.to_numpy(), "sklearn load_wine"


def load_digits():
    X, y = skdata.load_digits(return_X_y=True, as_frame=True)
    return "multiclass", X, y.to_numpy(), "sklearn load_digits (8x8 images)"


def load_diabetes():
    X, y = skdata.load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X = as_category(X, ["sex"])
    return "regression", X, y.to_numpy(), "sklearn load_diabetes, sex categorical"


def load_statsmodels(name):
    module = importlib.import_module(f"statsmodels.datasets.{name}")
    return module.load_pandas().data


def load_fair():
    data = load_statsmodels("fair")
    y = (data.pop("affairs") > 0).to_numpy().astype(int)
    X = as_category(data, ["occupation", "occupation_husb"])
    return "binary", X, y, "statsmodels fair: any affair, occupations categorical"


def load_anes96():
    data = load_statsmodels("anes96")
    y = data.pop("PID").to_numpy().astype(int)
    X = as_category(data.drop(columns=["vote", "popul"]), ["educ", "income"])
    return "multiclass", X, y, "statsmodels anes96: 7-level party id, no vote"


def load_star98():
    data = load_statsmodels("star98")
    above, below = data.pop("NABOVE"), data.pop("NBELOW")
    y = (above / (above + below)).to_numpy()
    return "regression", data, y, "statsmodels star98: share of pupils above median"


def load_randhie():
    data = load_statsmodels("randhie")
    y = np.log1p(data.pop("mdvis").to_numpy().astype(float))
    health = np.select(
        [data.hlthg == 1, data.hlthf == 1, data.hlthp == 1],
        ["good", "fair", "poor"],
        "excellent",
    )
    X = data.drop(columns=["hlthg", "hlthf", "hlthp"])
    X["health"] = pd.Categorical(health)
    X = as_category(X, ["idp"])
    return "regression", X, y, "statsmodels randhie: log1p(doctor visits)"


def load_penguins():
    from palmerpenguins import load_penguins as load

    data = load()
    y = data.pop("species").astype("category").cat.codes.to_numpy()
    X = as_category(data, ["island", "sex"])
    return "multiclass", X, y, "palmerpenguins: species, with NaN"


def load_islp(name):
    from ISLP import load_data

    return load_data(name)


def load_wage():
    data = load_islp("Wage")
    y = data.pop("logwage").to_numpy()
    X = data.drop(columns=["wage", "region"])  # region has one level
    return "regression", X, y, "ISLP Wage: log wage, 6 categorical columns"


def load_bikeshare():
    data = load_islp("Bikeshare")
    y = np.log1p(data.pop("bikers").to_numpy().astype(float))
    X = data.drop(columns=["casual", "registered"])
    return "regression", X, y, "ISLP Bikeshare: log1p(hourly riders)"


def load_oj():
    data = load_islp("OJ")
    y = (data.pop("Purchase") == "MM").to_numpy().astype(int)
    X = as_category(data.drop(columns=["STORE", "Store7"]), ["StoreID"])
    return "binary", X, y, "ISLP OJ: Minute Maid vs Citrus Hill purchase"


def synthetic_frame(n, seed):
    """Friedman #1 numerics plus 3-, 7- and 40-level categories, then 10% NaN.

    Each category adds a random effect per level to the score, and the
    missing values are inserted after the score, completely at random.
    """
    rng = np.random.default_rng(seed)
    X, score = skdata.make_friedman1(n, n_features=8, noise=0.0, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    for levels in (3, 7, 40):
        codes = rng.integers(0, levels, n)
        score = score + rng.normal(0.0, 2.0, levels)[codes]
        names = [f"v{j}" for j in range(levels)]
        frame[f"c{levels}"] = pd.Categorical.from_codes(codes, names)
    for column in ("x0", "x3", "x6", "c7", "c40"):
        frame.loc[rng.random(n) < 0.1, column] = np.nan
    return frame, score - score.mean(), rng


def load_synth_binary():
    X, score, rng = synthetic_frame(4000, SEED + 1)
    y = (score + rng.logistic(0.0, 1.0, len(score)) > 0).astype(int)
    return "binary", X, y, "synthetic: Friedman #1 + 3 categoricals, logistic noise"


def load_synth_multiclass():
    X, score, rng = synthetic_frame(4000, SEED + 2)
    noisy = score + rng.normal(0.0, 1.0, len(score))
    y = np.searchsorted(np.quantile(noisy, [0.25, 0.5, 0.75]), noisy)
    return "multiclass", X, y, "synthetic: Friedman #1 + 3 categoricals, 4 quartiles"


def load_synth_regression():
    X, score, rng = synthetic_frame(4000, SEED + 3)
    y = score + rng.normal(0.0, 1.0, len(score))
    return "regression", X, y, "synthetic: Friedman #1 + 3 categoricals, noise 1"


LOADERS = {
    "breast_cancer": load_breast_cancer,
    "oj": load_oj,
    "fair": load_fair,
    "synth_binary": load_synth_binary,
    "wine": load_wine,
    "penguins": load_penguins,
    "anes96": load_anes96,
    "digits": load_digits,
    "synth_multiclass": load_synth_multiclass,
    "diabetes": load_diabetes,
    "star98": load_star98,
    "wage": load_wage,
    "bikeshare": load_bikeshare,
    "randhie": load_randhie,
    "synth_regression": load_synth_regression,
}


def subsample(X, y, max_rows, seed=SEED):
    """At most `max_rows` rows, drawn without replacement with a fixed seed."""
    if len(X) <= max_rows:
        return X.reset_index(drop=True), y
    rows = np.sort(np.random.default_rng(seed).choice(len(X), max_rows, False))
    return X.iloc[rows].reset_index(drop=True), y[rows]


def load_dataset(name, max_rows):
    """The named Dataset, or None (with a note) if its package is missing."""
    try:
        task, X, y, source = LOADERS[name]()
    except ImportError as error:
        print(f"note: dataset {name} skipped ({error})", flush=True)
        return None
    y = np.asarray(y)
    if task in CLASSIFICATION:
        y = np.unique(y, return_inverse=True)[1]
    X, y = subsample(X, y, max_rows)
    return Dataset(name, task, X, y, source)


# -------------------------------------------------------------- contenders


def tabular_mlp(task, quick):
    from sknn_scratch import TabularMLPClassifier, TabularMLPRegressor

    cls = TabularMLPRegressor if task == "regression" else TabularMLPClassifier
    model = cls(random_state=SEED)
    if quick and "max_epochs" in model.get_params():
        model.set_params(max_epochs=QUICK_EPOCHS)
    return model


def one_hot_pipeline(model):
    """Median/most-frequent imputation, scaling and one-hot, then `model`."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    columns = ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_include="number")),
            ("cat", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )
    return make_pipeline(columns, model)


def scratch_mlp(task, quick):
    from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

    cls = ScratchMLPRegressor if task == "regression" else ScratchMLPClassifier
    model = cls(random_state=SEED)
    if quick:
        model.set_params(max_iter=QUICK_EPOCHS)
    return one_hot_pipeline(model)


def scratch_mlp_scaled_y(task, quick):
    """ScratchMLPRegressor with a standardized target; regression only."""
    if task != "regression":
        return None
    return TransformedTargetRegressor(
        scratch_mlp(task, quick), transformer=StandardScaler()
    )


def hist_gradient_boosting(task, quick):
    cls = (
        HistGradientBoostingRegressor
        if task == "regression"
        else HistGradientBoostingClassifier
    )
    model = cls(categorical_features="from_dtype", random_state=SEED)
    return model.set_params(max_iter=10) if quick else model


def pytabkit_model(names, task, quick):
    """A pytabkit model behind median imputation of the numeric columns.

    pytabkit refuses NaN in numeric columns, so they get the median and a
    missing indicator (categorical columns pass through, NaN included).
    """
    import torch

    torch.set_num_threads(THREADS)
    pytabkit = importlib.import_module("pytabkit")
    cls = getattr(pytabkit, names[task == "regression"])
    model = cls(device="cpu", n_threads=THREADS, random_state=SEED, verbosity=0)
    if quick:
        model.set_params(n_epochs=QUICK_EPOCHS)
    imputer = SimpleImputer(strategy="median", add_indicator=True)
    numeric = make_column_selector(dtype_include="number")
    columns = ColumnTransformer(
        [("num", imputer, numeric)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    return make_pipeline(columns.set_output(transform="pandas"), model)


def realmlp(task, quick):
    names = ("RealMLP_TD_Classifier", "RealMLP_TD_Regressor")
    return pytabkit_model(names, task, quick)


def tabm(task, quick):
    return pytabkit_model(("TabM_D_Classifier", "TabM_D_Regressor"), task, quick)


CONTENDERS = {
    "tabular": ("TabularMLP", tabular_mlp),
    "scratch": ("ScratchMLP+1hot", scratch_mlp),
    "scratch_ty": ("ScratchMLP+1hot, scaled y", scratch_mlp_scaled_y),
    "hgb": ("HistGB", hist_gradient_boosting),
    "realmlp": ("RealMLP-TD", realmlp),
    "tabm": ("TabM-D", tabm),
}


def available_contenders(names):
    """The names whose factory builds (a missing import skips, with a note)."""
    kept = []
    for name in names:
        try:
            CONTENDERS[name][1]("binary", True)
        except ImportError as error:
            print(f"note: contender {name} skipped ({error})", flush=True)
            continue
        kept.append(name)
    return kept


# ------------------------------------------------------------ measurement


def folds(dataset, k):
    """The same shuffled (stratified for classification) folds for everyone."""
    cls = StratifiedKFold if dataset.task in CLASSIFICATION else KFold
    splitter = cls(n_splits=k, shuffle=True, random_state=SEED)
    return list(splitter.split(dataset.X, dataset.y))


def full_proba(model, X, n_classes):
    """predict_proba with one column per class of the whole dataset, clipped."""
    proba = np.asarray(model.predict_proba(X), dtype=float)
    classes = np.asarray(getattr(model, "classes_", np.arange(proba.shape[1])))
    full = np.zeros((len(X), n_classes))
    full[:, classes.astype(int)] = proba
    full = np.clip(full, 1e-15, 1.0)
    return full / full.sum(axis=1, keepdims=True)


def fold_metrics(model, dataset, test):
    X, y = dataset.X.iloc[test], dataset.y[test]
    if dataset.task == "regression":
        pred = np.asarray(model.predict(X), dtype=float).ravel()
        rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
        return {"r2": float(r2_score(y, pred)), "rmse": rmse}
    n_classes = int(dataset.y.max()) + 1
    proba = full_proba(model, X, n_classes)
    return {
        "accuracy": float(accuracy_score(y, proba.argmax(axis=1))),
        "log_loss": float(log_loss(y, proba, labels=np.arange(n_classes))),
    }


def run_fold(model, dataset, train, test):
    """Fit on `train`, score on `test`; the fit's wall time in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(dataset.X.iloc[train], dataset.y[train])
        fit_time = time.perf_counter() - start
        metrics = fold_metrics(model, dataset, test)
    return {**metrics, "fit_time": fit_time}


def run_cell(make_model, dataset, splits, label):
    """All folds of one model on one dataset: {"folds": [...]} or an error."""
    results = []
    for i, (train, test) in enumerate(splits):
        try:
            model = make_model()
            if model is None:
                return None
            results.append(run_fold(model, dataset, train, test))
        except Exception as error:  # a failing contender must not stop the run
            message = f"{type(error).__name__}: {error}"
            print(f"  {label} failed on {dataset.name} fold {i}: {message}")
            return {"folds": results, "error": message, "trace": traceback.format_exc()}
        print(f"  {label} {dataset.name} fold {i}: {short(results[-1])}", flush=True)
    return {"folds": results}


def short(metrics):
    return ", ".join(f"{key} {value:.4g}" for key, value in metrics.items())


def mean_of(cell, metric):
    """The mean over folds, or None when the cell is missing or failed."""
    if not cell or cell.get("error") or not cell["folds"]:
        return None
    return float(np.mean([fold[metric] for fold in cell["folds"]]))


# ------------------------------------------------------------------ report

LOSS = {"binary": "log_loss", "multiclass": "log_loss", "regression": "rmse"}
SCORE = {"binary": "accuracy", "multiclass": "accuracy", "regression": "r2"}
METRICS = (
    ("accuracy", "Accuracy (higher is better)", CLASSIFICATION, ".4f"),
    ("log_loss", "Log-loss (lower is better)", CLASSIFICATION, ".4f"),
    ("r2", "R² (higher is better)", ("regression",), ".4f"),
    ("rmse", "RMSE (lower is better)", ("regression",), ".4g"),
    ("fit_time", "Fit time per fold, s", CLASSIFICATION + ("regression",), ".2f"),
)


def fmt(value, spec):
    return "–" if value is None else format(value, spec)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]


def metric_table(cells, infos, columns, metric, tasks, spec):
    rows = []
    for name, info in infos.items():
        if info["task"] in tasks:
            values = [mean_of(cells[name].get(c), metric) for c in columns]
            rows.append([name, *(fmt(v, spec) for v in values)])
    return rows


def ranks(values):
    """Ranks of `values` (1 = best = smallest), ties averaged.

    Means over the same folds that differ only by rounding are ties.
    """
    order = pd.Series(np.round(values, 10)).rank(method="average")
    return order.to_numpy()


def dataset_standing(cells, name, task, columns):
    """{contender: (loss rank, score rank, relative loss gap)} on one dataset."""
    loss = {c: mean_of(cells[name].get(c), LOSS[task]) for c in columns}
    score = {c: mean_of(cells[name].get(c), SCORE[task]) for c in columns}
    present = [c for c in columns if loss[c] is not None and score[c] is not None]
    if len(present) < 2:
        return {}
    best = min(loss[c] for c in present)
    loss_ranks = ranks([loss[c] for c in present])
    score_ranks = ranks([-score[c] for c in present])
    return {
        c: (lr, sr, (loss[c] - best) / best if best > 0 else 0.0)
        for c, lr, sr in zip(present, loss_ranks, score_ranks, strict=True)
    }


def summary(cells, infos, columns):
    """Mean ranks on loss and on score, mean relative loss gap, per contender."""
    standings = [
        dataset_standing(cells, name, info["task"], columns)
        for name, info in infos.items()
    ]
    out = {}
    for c in columns:
        mine = [s[c] for s in standings if c in s]
        out[c] = {
            "datasets": len(mine),
            "mean_rank_loss": _mean([m[0] for m in mine]),
            "mean_rank_score": _mean([m[1] for m in mine]),
            "mean_relative_loss_gap": _mean([m[2] for m in mine]),
        }
    return out


def _mean(values):
    return float(np.mean(values)) if values else None


def fit_times(cells, infos, columns):
    """Mean fit time per fold over datasets, and its ratio to RealMLP's.

    The ratio compares the sums of the per-dataset means over the datasets on
    which both contenders finished.
    """
    times = {
        c: {n: mean_of(cells[n].get(c), "fit_time") for n in infos} for c in columns
    }
    out = {}
    for c in columns:
        done = {n: t for n, t in times[c].items() if t is not None}
        ratio = None
        if "realmlp" in times:
            both = [n for n in done if times["realmlp"][n] is not None]
            ref = sum(times["realmlp"][n] for n in both)
            ratio = sum(done[n] for n in both) / ref if both and ref > 0 else None
        out[c] = {"mean_fit_s": _mean(list(done.values())), "vs_realmlp": ratio}
    return out


def protocol_lines(config):
    k = config["folds"]
    return [
        f"{k}-fold cross-validation, shuffled with seed {SEED} (StratifiedKFold for",
        "classification, KFold for regression); every contender sees the same folds.",
        "Each cell is the mean over the folds. Accuracy is that of the argmax of",
        "`predict_proba`; log-loss uses all the dataset's classes (`labels=`) and",
        "probabilities clipped to [1e-15, 1]. RMSE is on the",
        "target's own scale. Ranks are per dataset among the contenders that",
        "finished it (1 = best, ties averaged); the relative loss gap is",
        "(loss - best loss) / best loss per dataset, averaged. Fit time is the wall",
        "clock of `fit` per fold; '× RealMLP' divides the summed per-dataset means",
        "by RealMLP's on the datasets both finished.",
        f"Each library uses {config['threads']} thread(s); rows are capped at"
        f" {config['max_rows']} (fixed-seed subsample).",
        f"Contenders use their defaults and random_state={SEED}"
        + (
            "; --quick shortens the epoch budgets, so its numbers mean nothing."
            if config["quick"]
            else "."
        ),
    ]


def dataset_lines(infos):
    header = ["dataset", "task", "rows", "features", "categorical", "missing", "source"]
    rows = [
        [
            n,
            i["task"] + (f" ({i['classes']})" if i["classes"] else ""),
            i["rows"],
            i["features"],
            i["categorical"],
            f"{100 * i['missing']:.1f}%",
            i["source"],
        ]
        for n, i in infos.items()
    ]
    return markdown_table(header, rows)


SUMMARY_HEADER = [
    "contender",
    "datasets",
    "mean rank loss",
    "mean rank acc/R²",
    "mean rel. loss gap, %",
    "mean fit s/fold",
    "× RealMLP",
]


def summary_lines(stats, times, columns):
    rows = []
    for c in columns:
        gap = stats[c]["mean_relative_loss_gap"]
        rows.append(
            [
                CONTENDERS[c][0],
                stats[c]["datasets"],
                fmt(stats[c]["mean_rank_loss"], ".2f"),
                fmt(stats[c]["mean_rank_score"], ".2f"),
                fmt(None if gap is None else 100 * gap, ".1f"),
                fmt(times[c]["mean_fit_s"], ".2f"),
                fmt(times[c]["vs_realmlp"], ".2f"),
            ]
        )
    return markdown_table(SUMMARY_HEADER, rows)


def failure_lines(cells):
    lines = []
    for name, row in cells.items():
        for contender, cell in row.items():
            if cell and cell.get("error"):
                lines.append(f"- {CONTENDERS[contender][0]} on {name}: {cell['error']}")
    return ["## Failures", "", *lines, ""] if lines else []


def report_markdown(report):
    cells, infos, config = report["cells"], report["datasets"], report["config"]
    columns = report["contenders"]
    names = [CONTENDERS[c][0] for c in columns]
    lines = ["# Tabular benchmark", "", *protocol_lines(config), ""]
    lines += machine_lines(report["machine"]) + ["", "## Datasets", ""]
    lines += dataset_lines(infos) + [""]
    for metric, title, tasks, spec in METRICS:
        rows = metric_table(cells, infos, columns, metric, tasks, spec)
        if rows:
            lines += [f"## {title}", ""] + markdown_table(["dataset", *names], rows)
            lines.append("")
    lines += ["## Summary", ""]
    lines += summary_lines(report["summary"], report["fit_times"], columns) + [""]
    return "\n".join(lines + failure_lines(cells) + report["notes"]) + "\n"


def machine_lines(machine):
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    return [
        f"Run {machine['date']} on {machine['cpu']} ({machine['cpus']} CPUs),"
        f" git {machine['git']}; load average {machine['load_start']} at the start,"
        f" {machine['load_end']} at the end.",
        f"Versions: {versions}.",
    ]


def version_of(module):
    try:
        return importlib.import_module(module).__version__
    except Exception:  # absent or broken: the report says so with None
        return None


def machine_info():
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    modules = ("numpy", "pandas", "sklearn", "sknn_scratch", "torch", "pytabkit")
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "git": git or "unknown",
        "versions": {m: version_of(m) for m in modules},
        "load_start": load_average(),
    }


def load_average():
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


# ------------------------------------------------------------------- runs


def run_benchmark(data, columns, config, cells):
    """Fill `cells[dataset][contender]` for the contenders in `columns`."""
    for dataset in data:
        splits = folds(dataset, config["folds"])
        row = cells.setdefault(dataset.name, {})
        for contender in columns:
            label, factory = CONTENDERS[contender]
            cell = run_cell(
                lambda f=factory, t=dataset.task: f(t, config["quick"]),
                dataset,
                splits,
                label,
            )
            if cell is not None:
                row[contender] = cell
    return cells


def reuse_cells(paths, config, infos, running):
    """Cells of earlier reports for contenders this run does not run.

    A report is reused only if it used the same folds, seed and --quick, and
    only for datasets of the same size: under a fixed-seed row cap, the same
    row count means the same rows.
    """
    cells, columns = {}, []
    for path in paths:
        old = json.loads(Path(path).read_text(encoding="utf-8"))
        if any(old["config"][k] != config[k] for k in ("folds", "seed", "quick")):
            raise SystemExit(f"{path}: other folds, seed or --quick")
        for name, row in old["cells"].items():
            same = name in infos and old["datasets"][name] == infos[name]
            for contender, cell in row.items() if same else ():
                if contender not in running:
                    cells.setdefault(name, {})[contender] = cell
                    columns.append(contender)
    return cells, columns


def ordered(columns):
    return [c for c in CONTENDERS if c in set(columns)]


def build_report(cells, infos, columns, config, machine, notes):
    machine["load_end"] = load_average()
    columns = ordered(columns)
    return {
        "config": config,
        "machine": machine,
        "datasets": infos,
        "contenders": columns,
        "cells": cells,
        "summary": summary(cells, infos, columns),
        "fit_times": fit_times(cells, infos, columns),
        "notes": notes,
    }


def write_report(report, markdown, out, stem):
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(markdown, encoding="utf-8")
    text = json.dumps(report, indent=1, allow_nan=False)
    (out / f"{stem}.json").write_text(text + "\n", encoding="utf-8")
    print(markdown)
    print(f"written: {out / stem}.md, {out / stem}.json")


# ---------------------------------------------------------------- ablation


def ablation_variants(task):
    """{label: params} of the applicable entries, defaults first."""
    params = set(tabular_mlp(task, True).get_params())
    variants = {"defaults": {}}
    for label, changes in ABLATION.items():
        if set(changes) <= params:
            variants[label] = changes
    return variants


def run_ablation(data, config):
    """cells[dataset][variant] for TabularMLP's defaults and each ablation."""
    cells = {}
    for dataset in data:
        splits = folds(dataset, config["folds"])
        row = cells.setdefault(dataset.name, {})
        for label, changes in ablation_variants(dataset.task).items():

            def make(changes=changes, task=dataset.task):
                return tabular_mlp(task, config["quick"]).set_params(**changes)

            row[label] = run_cell(make, dataset, splits, f"TabularMLP[{label}]")
    return cells


def ablation_effects(cells, infos):
    """Per dataset and variant: relative loss change, score change, fit time."""
    effects = {}
    for name, row in cells.items():
        task = infos[name]["task"]
        base_loss = mean_of(row.get("defaults"), LOSS[task])
        base_score = mean_of(row.get("defaults"), SCORE[task])
        effects[name] = {}
        for label, cell in row.items():
            loss, score = mean_of(cell, LOSS[task]), mean_of(cell, SCORE[task])
            ok = None not in (loss, base_loss, score, base_score)
            effects[name][label] = {
                "loss_change": (loss - base_loss) / base_loss
                if ok and base_loss
                else None,
                "score_change": score - base_score if ok else None,
                "fit_time": mean_of(cell, "fit_time"),
            }
    return effects


def ablation_average(effects, labels):
    out = {}
    for label in labels:
        values = [row[label] for row in effects.values() if label in row]
        out[label] = {
            key: _mean([v[key] for v in values if v[key] is not None])
            for key in ("loss_change", "score_change", "fit_time")
        }
    return out


ABLATION_TABLES = (
    ("loss_change", "Relative change in log-loss/RMSE when off, %", 100, "+.1f"),
    ("score_change", "Change in accuracy/R² when off, points", 100, "+.2f"),
    ("fit_time", "Fit time per fold, s", 1, ".2f"),
)


def ablation_summary_lines(effects, average):
    """One row per entry: mean effects and on how many datasets it helps."""
    header = ["turned off", "mean loss change, %", "mean acc/R² change, points"]
    header += ["helps on (loss)", "mean fit s/fold"]
    rows = []
    for label, mean in average.items():
        changes = [
            row[label]["loss_change"] for row in effects.values() if label in row
        ]
        changes = [c for c in changes if c is not None]
        helps = f"{sum(c > 0 for c in changes)}/{len(changes)}"
        rows.append(
            [
                label,
                _effect(mean, "loss_change", 100, "+.1f"),
                _effect(mean, "score_change", 100, "+.2f"),
                helps,
                _effect(mean, "fit_time", 1, ".2f"),
            ]
        )
    return markdown_table(header, rows)


def ablation_markdown(report):
    effects, average = report["effects"], report["average"]
    lines = ["# TabularMLP ablation", "", *protocol_lines(report["config"]), ""]
    lines += ABLATION_INTRO + machine_lines(report["machine"])
    lines += ["", "## Summary", "", *ablation_summary_lines(effects, average), ""]
    for key, title, scale, spec in ABLATION_TABLES:
        rows = [
            [
                label,
                *(
                    _effect(row.get(label), key, scale, spec)
                    for row in effects.values()
                ),
            ]
            for label in average
        ]
        lines += [f"## {title}", ""]
        lines += markdown_table(["turned off", *effects], rows) + [""]
    return "\n".join(lines + failure_lines_ablation(report["cells"])) + "\n"


ABLATION_INTRO = [
    "Each row turns one ingredient off (via `set_params`) and keeps the other",
    "defaults. A loss change above 0 (or an accuracy/R² change below 0) means",
    "the ingredient helps; *helps on* counts the datasets where the loss rose",
    "when it was off. `n/a` marks an entry the estimator lacks.",
    "",
]


def _effect(entry, key, scale, spec):
    if entry is None:
        return "n/a"
    value = entry[key]
    return fmt(None if value is None else scale * value, spec)


def failure_lines_ablation(cells):
    lines = [
        f"- {label} on {name}: {cell['error']}"
        for name, row in cells.items()
        for label, cell in row.items()
        if cell and cell.get("error")
    ]
    return ["## Failures", "", *lines, ""] if lines else []


# ---------------------------------------------------------------------- CLI


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke run")
    parser.add_argument("--ablation", action="store_true", help="TabularMLP ablation")
    parser.add_argument("--datasets", help="comma-separated names (default all)")
    parser.add_argument("--contenders", help="comma-separated, or 'none'")
    parser.add_argument("--folds", type=int, help="k of k-fold (default 5)")
    parser.add_argument("--max-rows", type=int, help=f"row cap (default {MAX_ROWS})")
    parser.add_argument("--threads", type=int, default=1, help="threads per library")
    parser.add_argument(
        "--reuse", help="earlier tabular.json files to merge, comma-separated"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="report directory")
    parser.add_argument("--list", action="store_true", help="list datasets and exit")
    return parser.parse_args(argv)


def make_config(args):
    quick = args.quick
    return {
        "quick": quick,
        "folds": args.folds or (2 if quick else 5),
        "seed": SEED,
        "max_rows": args.max_rows or (QUICK_MAX_ROWS if quick else MAX_ROWS),
        "threads": THREADS,
    }


def split_names(text, default, known, what):
    names = (
        default if text is None else [n for n in text.split(",") if n and n != "none"]
    )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; expected some of {list(known)}")
    return list(names)


def load_all(names, max_rows):
    data = [load_dataset(name, max_rows) for name in names]
    data = [d for d in data if d is not None]
    return data, {d.name: d.describe() for d in data}


def main_benchmark(args, config, data, infos):
    running = available_contenders(
        split_names(args.contenders, list(CONTENDERS), CONTENDERS, "contenders")
    )
    paths = args.reuse.split(",") if args.reuse else []
    cells, reused = reuse_cells(paths, config, infos, running)
    machine = machine_info()
    run_benchmark(data, running, config, cells)
    for name in infos:
        cells.setdefault(name, {})
    report = build_report(
        cells, infos, running + reused, config, machine, run_notes(running, reused)
    )
    write_report(report, report_markdown(report), args.out, "tabular")
    return report


def run_notes(running, reused):
    """What was not run, and which columns come from earlier reports."""
    skipped = sorted(set(CONTENDERS) - set(running) - set(reused))
    notes = [
        f"Contenders not selected or not importable: {', '.join(skipped) or 'none'}."
    ]
    if reused:
        names = ", ".join(CONTENDERS[c][0] for c in ordered(reused))
        notes.append(
            f"Cells of {names} come from earlier runs (`--reuse`); their load"
            " average and date are not the ones above."
        )
    return [*notes, ""]


def main_ablation(args, config, data, infos):
    if not available_contenders(["tabular"]):
        print("note: no TabularMLP, no ablation")
        return None
    machine = machine_info()
    cells = run_ablation(data, config)
    effects = ablation_effects(cells, infos)
    labels = ["defaults", *ABLATION]
    average = ablation_average(
        effects, [x for x in labels if any(x in r for r in effects.values())]
    )
    machine["load_end"] = load_average()
    report = {
        "config": config,
        "machine": machine,
        "datasets": infos,
        "ablation": ABLATION,
        "cells": cells,
        "effects": effects,
        "average": average,
    }
    write_report(report, ablation_markdown(report), args.out, "tabular_ablation")
    return report


def main(argv=None):
    args = parse_args(argv)
    config = make_config(args)
    default = list(QUICK_DATASETS) if config["quick"] else list(LOADERS)
    names = split_names(args.datasets, default, LOADERS, "datasets")
    data, infos = load_all(names, config["max_rows"])
    if args.list:
        print("\n".join(dataset_lines(infos)))
        return 0
    if args.ablation:
        main_ablation(args, config, data, infos)
    else:
        main_benchmark(args, config, data, infos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
