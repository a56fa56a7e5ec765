"""TensorRT in both flavours (full TensorRT, TensorRT for RTX): detection, build targets and the
engine sidecar. Low-level: the builder (ganrt.export.engine) and the backend (ganrt.runtime) use it."""
