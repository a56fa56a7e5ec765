"""FP32 ONNX -> mixed FP16 ONNX, the form a strongly typed TensorRT build consumes.

The recurrent path stays FP32: every node that `state_next` depends on. The state is
carried forever, so FP16 rounding there would accumulate; the decoder, where the
FLOPs are, goes FP16. Graph I/O types are kept, so one runtime drives both.

Why not onnxruntime.transformers.float16: with a node block list that interleaves
with FP16 nodes (the GRU feeds the decoder every frame) it inserts Casts with
duplicate names and tensor definitions, an invalid graph. The rules here are few
and explicit: FP16 nodes read FP16 initializers, and a Cast sits on every edge that
crosses between precisions, so a strongly typed build sees exactly what is meant.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, HALF = TensorProto.FLOAT, TensorProto.FLOAT16
# Inputs that must stay float32 whatever the node's precision (ONNX type constraints).
FLOAT32_ONLY_INPUTS = {"Resize": {1, 2}}


def recurrent_nodes(model: onnx.ModelProto, state_output: str = "state_next") -> set[str]:
    """Names of every node that the state output depends on (walking the graph back)."""
    producer = {out: node for node in model.graph.node for out in node.output}
    wanted, stack = set(), [state_output]
    while stack:
        node = producer.get(stack.pop())
        if node is None or node.name in wanted:
            continue
        wanted.add(node.name)
        stack.extend(node.input)
    return wanted


def vector_nodes(model: onnx.ModelProto) -> set[str]:
    """Names of every node whose outputs are all below rank 4: in a StyleGAN graph the mapping
    network, the styles, the demodulation coefficients and StyleGAN3's Fourier-feature math
    (phases near 2*pi*frequency need FP32). They cost little; the rank-4 image path goes FP16."""
    inferred = onnx.shape_inference.infer_shapes(model)
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in
             list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)
             if v.type.tensor_type.HasField("shape")}
    return {node.name for node in model.graph.node
            if node.output and all(ranks.get(out, 4) < 4 for out in node.output)}


def float_tensors(model: onnx.ModelProto) -> set[str]:
    """Names of every float32 tensor in the graph (after ONNX shape inference)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    graph = inferred.graph
    values = list(graph.value_info) + list(graph.input) + list(graph.output)
    names = {v.name for v in values if v.type.tensor_type.elem_type == FLOAT}
    names |= {t.name for t in graph.initializer if t.data_type == FLOAT}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].t.data_type == FLOAT:
            names.add(node.output[0])
    return names


class _Converter:
    def __init__(self, model: onnx.ModelProto, keep_fp32: set[str]):
        self.model, self.keep = model, keep_fp32
        self.floats = float_tensors(model)
        self.initializers = {t.name: t for t in model.graph.initializer}
        self.half_tensors = {out for node in model.graph.node if node.name not in keep_fp32
                             for out in node.output if out in self.floats}
        self.casts: dict[tuple[str, int], str] = {}
        self.half_initializers: dict[str, str] = {}
        self.nodes: list[onnx.NodeProto] = []

    def cast(self, name: str, to: int) -> str:
        key = (name, to)
        if key not in self.casts:
            out = f"{name}__to_{'fp16' if to == HALF else 'fp32'}"
            self.nodes.append(helper.make_node("Cast", [name], [out], name=f"{out}_cast", to=to))
            self.casts[key] = out
        return self.casts[key]

    def half_initializer(self, name: str) -> str:
        if name not in self.half_initializers:
            array = numpy_helper.to_array(self.initializers[name])
            array = np.clip(array, -65504, 65504).astype(np.float16)
            self.model.graph.initializer.append(numpy_helper.from_array(array, f"{name}__fp16"))
            self.half_initializers[name] = f"{name}__fp16"
        return self.half_initializers[name]

    def convert_inputs(self, node: onnx.NodeProto, half: bool) -> None:
        fixed = FLOAT32_ONLY_INPUTS.get(node.op_type, set())
        for i, name in enumerate(node.input):
            if not name or name not in self.floats or (i in fixed):
                continue
            if name in self.initializers:
                if half:
                    node.input[i] = self.half_initializer(name)
            elif half and name not in self.half_tensors:
                node.input[i] = self.cast(name, HALF)
            elif not half and name in self.half_tensors:
                node.input[i] = self.cast(name, FLOAT)

    @staticmethod
    def convert_attributes(node: onnx.NodeProto) -> None:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == FLOAT:
                attr.i = HALF
            elif attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == FLOAT:
                array = numpy_helper.to_array(attr.t).astype(np.float16)
                attr.t.CopyFrom(numpy_helper.from_array(array, attr.t.name))

    def run(self) -> onnx.ModelProto:
        graph = self.model.graph
        for node in list(graph.node):
            half = node.name not in self.keep
            self.convert_inputs(node, half)
            if half:
                self.convert_attributes(node)
            self.nodes.append(node)
        for output in graph.output:  # graph outputs keep their declared float32 type
            if output.name in self.half_tensors:
                self.rename_producer_output(output.name, f"{output.name}__fp16")
                self.nodes.append(helper.make_node("Cast", [f"{output.name}__fp16"], [output.name],
                                                   name=f"{output.name}__to_fp32_cast", to=FLOAT))
        used = {name for node in self.nodes for name in node.input}
        kept = [t for t in graph.initializer if t.name in used]
        del graph.initializer[:]
        graph.initializer.extend(kept)
        del graph.node[:]
        graph.node.extend(self.nodes)
        del graph.value_info[:]  # stale types; runtimes infer them again
        make_node_names_unique(self.model)
        return self.model

    def rename_producer_output(self, old: str, new: str) -> None:
        for node in self.nodes:
            for i, name in enumerate(node.output):
                if name == old:
                    node.output[i] = new
            for i, name in enumerate(node.input):
                if name == old:
                    node.input[i] = new


def to_fp16(model: onnx.ModelProto, keep_fp32_nodes: set[str]) -> onnx.ModelProto:
    """A converted copy of `model`: FP16 everywhere but `keep_fp32_nodes`, I/O types unchanged."""
    converted = onnx.ModelProto()
    converted.CopyFrom(model)
    converted = _Converter(converted, keep_fp32_nodes).run()
    onnx.checker.check_model(converted)
    return converted


def make_node_names_unique(model: onnx.ModelProto) -> None:
    """ONNX requires unique node names; suffix any repeat (names carry no meaning)."""
    seen: dict[str, int] = {}
    for node in model.graph.node:
        count = seen.get(node.name, 0)
        seen[node.name] = count + 1
        if count:
            node.name = f"{node.name}_{count}"
