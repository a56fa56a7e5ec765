"""torch -> ONNX (with the stream contract), FP32 -> FP16 ONNX, ONNX -> TensorRT engine."""

import logging

# The exporter's own passes log every rewrite at INFO; keep ganrt's output readable.
for _name in ("onnxscript", "onnx_ir", "torch.onnx"):
    logging.getLogger(_name).setLevel(logging.ERROR)
