"""A step graph with a dynamic T: one file plays at any frames per call, the same frames as a fixed-T
export and torch eager, and the live ring makes 1-frame calls while a live input follows the hand,
with every stream frame the same whatever T the calls had."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch

from ganrt.contract import METADATA_KEY, StreamContract
from ganrt.contract_onnx import read_contract
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.errors import ContractError
from ganrt.export.checks import cpu_session
from ganrt.latents import draw_inputs
from ganrt.models.checkpoint import load_checkpoint
from ganrt.runtime.live import LIVE_FRAMES, QUIET_S
from ganrt.runtime.backends.select import demo_model
from ganrt.runtime.playback import open_stream


@pytest.fixture(scope="module")
def float_pair(tiny_checkpoints, tmp_path_factory):
    """The tiny MoCoGAN exported with float frames twice: T dynamic (the default) and T fixed at 8."""
    folder = tmp_path_factory.mktemp("dynt")
    ckpt = tiny_checkpoints["mocogan"]
    dynamic = export_checkpoint(ckpt, folder / "dynamic.onnx", ExportOptions(output="float", dynamic_batch=True))
    fixed = export_checkpoint(ckpt, folder / "fixed.onnx",
                              ExportOptions(output="float", dynamic_batch=True, dynamic_frames=False))
    return ckpt, dynamic.path, fixed.path


def unrolled(model, content, state, noise) -> tuple[np.ndarray, np.ndarray]:
    """The math the fixed-T graphs always had: the GRU cell stepped in Python, then the decoder."""
    c, h, z = (torch.from_numpy(a) for a in (content, state, noise))
    with torch.no_grad():
        states = []
        for t in range(z.shape[1]):
            h = model.motion(z[:, t], h)
            states.append(h)
        latent = torch.cat([c[:, None].expand(-1, z.shape[1], -1), torch.stack(states, 1)], 2).flatten(0, 1)
        r = model.config.resolution
        return model.decoder(latent).view(z.shape[0], z.shape[1], 3, r, r).numpy(), h.numpy()


def test_the_recurrence_is_one_gru_op_and_t_is_dynamic(float_pair):
    _, dynamic, fixed = float_pair
    graph = onnx.load(str(dynamic)).graph
    assert [n.op_type for n in graph.node].count("GRU") == 1  # the decoder is outside any loop: no Loop/Scan
    assert not {"Loop", "Scan"} & {n.op_type for n in graph.node}
    noise = [d.dim_param or d.dim_value for d in graph.input[2].type.tensor_type.shape.dim]
    assert noise == ["batch", "frames", 10]
    c, old = read_contract(str(dynamic)), read_contract(str(fixed))
    assert (c.dynamic_frames, c.frames, c.version, c.input("noise").shape) == (True, 8, 2, ["batch", "frames", 10])
    assert (old.dynamic_frames, old.version, old.input("noise").shape) == (False, 1, ["batch", 8, 10])
    meta = {p.key: p.value for p in onnx.load(str(fixed)).metadata_props}
    assert "dynamic_frames" not in json.loads(meta[METADATA_KEY])  # a fixed T is written as version 1 wrote it


@pytest.mark.parametrize("frames", [1, 3, 8])
def test_frames_equal_the_fixed_t_export_and_torch_eager(frames, float_pair):
    ckpt, dynamic, fixed = float_pair
    model = load_checkpoint(ckpt).eval()
    feeds = draw_inputs("step", model.dims(), 2, frames, np.random.default_rng(frames))
    got, state = cpu_session(str(dynamic)).run(None, feeds)
    want, want_state = unrolled(model, feeds["content"], feeds["state"], feeds["noise"])
    np.testing.assert_allclose(got, want, atol=2e-5)
    np.testing.assert_allclose(state, want_state, atol=1e-6)
    with torch.no_grad():
        eager = model(*(torch.from_numpy(feeds[n]) for n in ("content", "state", "noise")))[0].numpy()
    np.testing.assert_allclose(got, eager, atol=2e-5)
    if frames == 8:  # the fixed-T file takes its own T only
        np.testing.assert_allclose(got, cpu_session(str(fixed)).run(None, feeds)[0], atol=1e-5)


def stream_frames(path, backend: str, batch: int, count: int, follow_at: dict[int, int | None]) -> np.ndarray:
    """`count` frames of a stream, following the hand (or not) from the frames `follow_at` names."""
    shown = []
    with open_stream(path, backend=backend, batch=batch, seed=5) as stream:
        host = stream.host_frame_buffer()
        for i in range(count):
            if i in follow_at:
                stream.frames.follow_live(follow_at[i])
            frame = stream.take()
            assert frame.index == i
            shown.append(stream.copy_to_host(frame, host).copy())
        lengths = set(stream.frames.slot_count)
    return np.stack(shown), lengths


@pytest.mark.parametrize("backend", ["ort-cpu", "openvino"])
def test_frame_k_is_the_same_whatever_t_the_calls_had(backend, tiny_onnx):
    pytest.importorskip("openvino" if backend == "openvino" else "onnxruntime")
    whole, _ = stream_frames(tiny_onnx["mocogan"], backend, 2, 40, {})
    mixed, lengths = stream_frames(tiny_onnx["mocogan"], backend, 2, 40, {2: 2, 27: None, 30: 2})
    assert 1 in lengths  # 1-frame calls were made (B = 2: their views are laid out apart from the full T's)
    assert np.array_equal(whole, mixed)


def test_a_fixed_t_graph_is_one_chunk_ahead_and_says_so(float_pair):
    with open_stream(float_pair[2], backend="ort-cpu") as stream:
        stream.live.touched("osc", "psi 0.7")
        assert stream.frames.look_ahead == 1 and stream.frames.live_frames == 8
        assert stream.live.words() == "live: osc (psi 0.7) | ahead 1 chunk of 8 frames (the model's T is fixed)"


def test_the_demo_follows_the_hand_two_frames_ahead():
    path = demo_model("onnx")
    assert read_contract(str(path)).dynamic_frames  # the bundled demo is exported with a dynamic T
    with open_stream(path, backend="ort-cpu") as stream:
        frames = stream.frames
        for source in ("osc", "page", "midi", "audio"):
            stream.live.attach(source)
        stream.live.touched("osc", "seed 3")
        assert stream.live.words() == "live: osc (seed 3), page, midi, audio | ahead 2 frames"
        for _ in range(40):  # the 8-frame chunks made before the hand moved play out; then 1-frame ones
            frame = stream.take()
            with frames.cond:
                ahead = frames.ring.made - (frames.slot_first[frame.slot] + frame.t + 1)
        assert frames.slot_count[frame.slot] == 1 and ahead <= LIVE_FRAMES
        stream.live.poll(frames.clock.last or 0.0)  # not quiet yet: still following
        stream.live.poll(1e12 + QUIET_S)
        assert frames.look_ahead is None and "ahead 3 x 8 frames (quiet)" in stream.live.words()


def test_a_dynamic_t_needs_a_step_graph_and_version_2(float_pair):
    text = read_contract(str(float_pair[1])).to_json()
    with pytest.raises(ContractError, match="dynamic_frames needs a step graph and contract version 2"):
        StreamContract.from_json(text.replace('"version": 2', '"version": 1'))
    raw = json.loads(text)
    raw["version"] = 3
    with pytest.raises(ContractError, match="version 3 is newer than this ganrt reads"):
        StreamContract.from_dict(raw)
