"""The shape of the package's code: short functions, every name said once.

- Every function in ``sknn_scratch/`` has at most 25 lines of code: its body
  without the docstring, blank lines and comment lines. The estimators'
  ``__init__``, which only stores parameters, is exempt.
- No registry name (a solver, loss, activation, initializer or schedule) is
  compared against outside its registry's module: behaviour that depends on
  a name is declared by the registered object.
"""

import ast
import re
from pathlib import Path

import pytest

from sknn_scratch.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from sknn_scratch.nn.initializers import INITIALIZERS
from sknn_scratch.nn.losses import LOSSES
from sknn_scratch.nn.optimizers import OPTIMIZERS
from sknn_scratch.nn.schedules import SCHEDULES

PACKAGE = Path(__file__).parents[1] / "sknn_scratch"
MAX_LINES = 25
EXEMPT = {("_estimators.py", "__init__")}
REGISTRY_MODULES = {"activations.py", "initializers.py", "losses.py"}
"""Modules where names are defined (their rules may name them)."""
EXPORTERS = {"onnx.py"}
"""The ONNX export maps each output activation to ONNX operators by name."""


def _code_lines(lines, node):
    """Lines of a function's body: no docstring, blank or comment lines."""
    body = node.body
    has_docstring = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    if has_docstring and len(body) == 1:
        return 0
    first = body[1].lineno if has_docstring else body[0].lineno
    code = [lines[n - 1].strip() for n in range(first, node.end_lineno + 1)]
    return sum(1 for text in code if text and not text.startswith("#"))


def _functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path, node, _code_lines(lines, node)


def test_every_function_is_at_most_25_lines_of_code():
    long = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({n} lines)"
        for path, node, n in _functions()
        if n > MAX_LINES and (path.name, node.name) not in EXEMPT
    ]
    assert not long, long


def test_the_line_count_skips_docstrings_and_comments():
    source = 'def f():\n    """Doc.\n\n    More."""\n    # a comment\n\n    return 1\n'
    node = ast.parse(source).body[0]
    assert _code_lines(source.splitlines(), node) == 1


NAMES = sorted(
    set(ACTIVATIONS)
    | set(OUTPUT_ACTIVATIONS)
    | set(INITIALIZERS)
    | set(LOSSES)
    | set(OPTIMIZERS)
    | set(SCHEDULES)
    | {"lbfgs", "cg"}
)
COMPARED = re.compile(r"""(==|!=)\s*["']({})["']""".format("|".join(NAMES)))


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name not in REGISTRY_MODULES | EXPORTERS
    ],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_registry_name_is_special_cased(path):
    hits = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if COMPARED.search(line)
    ]
    assert not hits, hits
