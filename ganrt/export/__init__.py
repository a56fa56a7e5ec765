"""torch -> ONNX (with the stream contract), FP32 -> FP16 ONNX, ONNX -> TensorRT engine.

Importing this package imports torch (exporting needs it; playing does not).
"""

import logging

# The exporter's own passes log every rewrite at INFO; keep ganrt's output readable.
for _name in ("onnxscript", "onnx_ir", "torch.onnx", "torch.onnx._internal.exporter._registration"):
    logging.getLogger(_name).setLevel(logging.ERROR)

from .api import export_checkpoint, export_generator, load_factory  # noqa: E402
from .onnx_export import ExportOptions, ExportReport, GeneratorInfo, export_module  # noqa: E402

__all__ = ["export_checkpoint", "export_generator", "load_factory", "ExportOptions", "ExportReport",
           "GeneratorInfo", "export_module"]
