"""MIDI (issue 30): injected mido messages move mapped controls through the session's inbox, with
soft takeover; pads take actions; MIDI learn binds a knob to the control last moved and writes the
map; map files from strangers are one-line refusals; a virtual rtmidi port where the kernel has an
ALSA sequencer (skipped, with the reason, where it has none)."""

from __future__ import annotations

import time

import pytest

from ganrt.errors import UsageError
from ganrt.playback_open import open_playback
from ganrt.playback_ui.midi import MidiPort, event_of, read_midi_map
from ganrt.playback_ui.options import LiveOptions, PlaybackOptions
from ganrt.playback_ui.osc import OscCommand
from ganrt.playback_ui.session import PlaybackSession

from refusals import refused_in_one_line

mido = pytest.importorskip("mido", reason="MIDI needs mido: pip install 'ganrt[midi]'")


@pytest.fixture
def session(sg_models, tmp_path):
    s = PlaybackSession(open_playback(PlaybackOptions(model=sg_models["psi"], backend="ort-cpu")), tmp_path)
    s.start()
    yield s
    s.close()


def knob(session: PlaybackSession, control: int, value: int) -> None:
    """A CC message as rtmidi's thread hands it over, applied at the next tick."""
    session.post(OscCommand("midi", "", event_of(mido.Message("control_change", control=control, value=value))))
    session.tick()


def test_a_knob_takes_over_only_when_it_passes_the_value(session):
    session.attach_midi(LiveOptions(midi="injected"), port=False)
    controls = session.stream.controls
    session.set("truncation", 0.5, source="page")
    for value in (20, 40):  # psi 0.16, 0.31: the knob is below 0.5 and has not passed it
        knob(session, 1, value)
        assert controls.truncation == 0.5
    assert "turn up to 0.5 to take truncation over" in " ".join(session.hud_lines("test"))
    knob(session, 1, 70)  # past 0.5: taken over
    assert controls.truncation == pytest.approx(70 / 127)
    knob(session, 1, 30)
    assert controls.truncation == pytest.approx(30 / 127)
    session.set("truncation", 0.9, source="osc")  # moved another way: the knob lets go
    knob(session, 1, 35)
    assert controls.truncation == 0.9
    knob(session, 1, 127)
    assert controls.truncation == 1.0
    knob(session, 16, 64)  # direction 0 sits at 0: a knob near it takes over at once
    assert controls.positions[0] == pytest.approx(-4 + 8 * 64 / 127)


def test_pads_take_actions(session):
    session.attach_midi(LiveOptions(midi="injected"), port=False)
    seed = session.stream.controls.seed
    session.post(OscCommand("midi", "", event_of(mido.Message("note_on", note=36, velocity=100))))
    assert event_of(mido.Message("note_off", note=36)) is None  # what ganrt does not use never reaches the inbox
    session.tick()
    assert session.stream.controls.seed == seed + 1


def test_midi_learn_binds_the_knob_last_touched_and_writes_the_map(session, tmp_path):
    path = tmp_path / "learnt.toml"
    session.attach_midi(LiveOptions(midi="injected", midi_map=str(path), midi_learn=True), port=False)
    session.set("walk_speed", 2.0, source="page")  # move a control...
    knob(session, 74, 10)  # ...touch a knob
    assert read_midi_map(path)[("cc", 74)].control == "walk_speed"
    knob(session, 74, 64)  # 2.02: within reach of 2.0, taken over
    assert session.stream.controls.walk_speed == pytest.approx(4 * 64 / 127)
    session.set("direction", (3, 1.0), source="page")
    knob(session, 75, 0)
    learnt = read_midi_map(path)[("cc", 75)]
    assert (learnt.control, learnt.index) == ("direction", 3)


@pytest.mark.parametrize("text, says", [
    ("[cc.1]\ncontrol = \"rm -rf\"\n", "control = rm -rf: expected one of"),
    ("[cc.300]\ncontrol = \"speed\"\n", "[cc.300]: expected a cc number from 0 to 127"),
    ("[note.1]\naction = \"quit\"\n", "action = quit: expected one of"),
    ("[cc.1]\ncontrol = \"speed\"\naction = \"pause\"\n", "expected one of control"),
    ("[cc.1]\ncontrol = \"direction\"\nindex = 9\n", "index = 9: expected a direction from 0 to 7"),
    ("[cc.1]\ncontrol = \"speed\"\nlow = nan\n", "low = nan: expected a number"),
    ("[cc.1]\ncontrol = \"speed\"\ncurve = 2\n", "curve: not a key"),
    ("[sysex.1]\n", "[sysex]: expected"),
])
def test_a_hostile_midi_map_is_one_line(text, says, tmp_path):
    assert says in refused_in_one_line(read_midi_map, tmp_path / "map.toml", text)


def virtual_output():
    try:
        return mido.open_output("ganrt-test-port", virtual=True)
    except Exception as exc:  # rtmidi's SystemError without an ALSA sequencer (/dev/snd/seq)
        pytest.skip(f"no virtual MIDI port here ({' '.join(str(exc).split())[:80]})")


def test_a_virtual_port_drives_the_session(session):
    pytest.importorskip("rtmidi", reason="a virtual port needs python-rtmidi: pip install 'ganrt[midi]'")
    out = virtual_output()
    try:
        session.attach_live(LiveOptions(midi="ganrt-test-port"), "test", {})
        out.send(mido.Message("note_on", note=36, velocity=90))
        give_up = time.monotonic() + 5
        while session.stream.controls.seed == 0 and time.monotonic() < give_up:
            session.tick()
            time.sleep(0.01)
        assert session.stream.controls.seed == 1
    finally:
        out.close()


def test_a_missing_port_is_one_line():
    with pytest.raises(UsageError, match="--midi nosuch: ") as caught:
        MidiPort("nosuch", lambda event: None)
    assert "\n" not in str(caught.value)
