"""Collection settings shared by the tests and the package's doctests."""

import importlib.util

# The ONNX exporter needs its optional extra; without it, skip its doctests
# instead of failing to import the module.
_ONNX_MODULES = ["sknn_scratch/onnx.py", "sknn_scratch/tabular/_onnx.py"]
_MISSING = any(importlib.util.find_spec(name) is None for name in ("onnx", "skl2onnx"))
collect_ignore = _ONNX_MODULES if _MISSING else []
