"""One door, one bounds table: a value the model cannot take gets the same sentence whether it came
through the command line (render, render-many, view without a display), Python (open_playback),
or the page's socket; and a paused stream shows a truncation, class or seed change at once."""

import json
import time

import numpy as np
import pytest

from ganrt.cli import main
from ganrt.errors import UsageError
from ganrt.playback_open import open_playback
from ganrt.playback_ui.options import PlaybackOptions
from ganrt.runtime.controls import check_control
from ganrt.runtime.playback import open_stream

from waits import wait_for

# (control, CLI flags, value): each refused by the conditional StyleGAN fixture (3 classes, psi input)
BAD = [("class_index", ["--class", "5"], 5), ("truncation", ["--truncation", "1.5"], 1.5),
       ("speed", ["--speed", "9"], 9.0), ("seed", ["--seed", str(2**31)], 2**31)]


def expected_sentence(model: str, name: str, value) -> str:
    from ganrt.contract_onnx import read_contract

    with pytest.raises(UsageError) as caught:
        check_control(read_contract(model), name, value)
    return str(caught.value)


def cli_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0][len("error: "):]


def page_error(hub, name: str, value) -> str:
    from ganrt.web.protocol import parse_page_message

    session = hub.connect()
    try:  # as the adapter does with a text message: parsed, then handled (errors become replies)
        replies = [json.loads(r) for r in session.handle(parse_page_message(json.dumps({"set": name, "value": value})))]
    finally:
        session.close()
    assert [r["type"] for r in replies] == ["error"]
    return replies[0]["message"]


@pytest.mark.parametrize("name, flags, value", BAD, ids=[b[0] for b in BAD])
def test_one_bad_value_gets_one_sentence_through_every_door(sg_models, tmp_path, capsys, name, flags, value):
    from ganrt.web.hub import Hub, ServeOptions

    model = sg_models["psi"]
    sentence = expected_sentence(model, name, value)
    assert "\n" not in sentence and str(value if name != "speed" else 9) in sentence
    out = tmp_path / "x.mp4"
    assert cli_error(["render", model, "-o", str(out), "--backend", "ort-cpu", *flags], capsys) == sentence
    if name != "seed":  # render-many takes --seeds
        argv = ["render-many", model, "--seeds", "0", "-o", str(tmp_path / "{seed}.mp4"), "--backend", "ort-cpu"]
        assert cli_error(argv + flags, capsys) == sentence
    with pytest.raises(UsageError) as caught:
        open_playback(PlaybackOptions(model=model, backend="ort-cpu", **{name: value}))
    assert str(caught.value) == sentence
    with Hub(ServeOptions(model=model, backend="ort-cpu", capture_dir=str(tmp_path))) as hub:
        assert page_error(hub, name, value) == sentence
        assert getattr(hub.stream.controls, name) != value  # refused, never clamped or half applied
    assert not out.exists() and not list(tmp_path.glob("*.mp4"))  # nothing written for a refused value


@pytest.mark.parametrize("flags, model_key", [(["--truncation", "0.5"], "baked"), (["--class", "0"], None),
                                               (["--truncation", "0.5"], None)],
                         ids=["psi-baked export", "unconditional demo", "demo has no psi"])
def test_controls_a_model_does_not_have_are_refused(sg_models, tmp_path, capsys, flags, model_key):
    model = [sg_models[model_key]] if model_key else []
    line = cli_error(["render", *model, "-o", str(tmp_path / "x.gif"), "--backend", "ort-cpu", *flags], capsys)
    assert "leave it out" in line and ("truncation" in line or "class" in line)


def next_frame(stream, timeout: float = 20.0):
    """Poll until the playback clock hands out a frame (a paused stream: only after a restart)."""
    return wait_for(stream.poll, timeout, "a frame to reach the screen")


def reference(model: str, seed: int, index: int, **conditions) -> np.ndarray:
    """Frame `index` of an independent stream at these values."""
    with open_stream(model, "ort-cpu", seed=seed, **conditions) as stream:
        host = stream.host_frame_buffer()
        frame = stream.take()
        while frame.index < index:
            frame = stream.take()
        return stream.copy_to_host(frame, host).copy()


def test_a_paused_stream_shows_a_new_truncation_class_or_seed_at_once(sg_models):
    model = sg_models["psi"]
    stream = open_playback(PlaybackOptions(model=model, backend="ort-cpu", seed=4))
    with stream:
        host = stream.host_frame_buffer()
        for _ in range(3):
            frame = next_frame(stream)
        stream.set_paused(True)
        frame = stream.poll() or frame  # what is on screen once paused
        index = frame.index
        assert stream.poll(time.perf_counter() + 5.0) is None  # paused: nothing new is due
        stream.set_truncation(0.3)
        remade = next_frame(stream)
        assert remade.index == index and stream.controls.paused  # the frame on screen, made again
        assert np.array_equal(stream.copy_to_host(remade, host), reference(model, 4, index, truncation=0.3))
        stream.set_class(2)
        remade = next_frame(stream)
        assert remade.index == index
        assert np.array_equal(stream.copy_to_host(remade, host),
                              reference(model, 4, index, truncation=0.3, class_index=2))
        stream.set_seed(9)
        restarted = next_frame(stream)
        assert (restarted.seed, restarted.index) == (9, 0)
