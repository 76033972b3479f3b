"""Collection settings shared by the tests and the package's doctests."""

import importlib.util

# The ONNX exporter needs its optional extra; without it, skip its doctests
# instead of failing to import the module.
collect_ignore = [
    "sknn_scratch/onnx.py"
    for name in ("onnx", "skl2onnx")
    if importlib.util.find_spec(name) is None
][:1]
