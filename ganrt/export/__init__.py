"""torch -> ONNX (with the stream contract), FP32 -> FP16 ONNX, ONNX -> TensorRT engine.

Exporting needs torch; building an engine (`engine.py`) does not, so the names below
load on first use instead of at import.
"""

import logging

# The exporter's own passes log every rewrite at INFO; keep ganrt's output readable.
for _name in ("onnxscript", "onnx_ir", "torch.onnx", "torch.onnx._internal.exporter._registration"):
    logging.getLogger(_name).setLevel(logging.ERROR)

_LAZY = {"export_stylegan": "stylegan", "export_checkpoint": "api", "export_generator": "api", "load_factory": "adapt",
         "build_from_factory": "adapt", "parse_dims": "adapt",
         "ExportOptions": "onnx_export", "ExportReport": "onnx_export", "GeneratorInfo": "onnx_export",
         "export_module": "onnx_export", "build_engine": "engine"}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'ganrt.export' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
