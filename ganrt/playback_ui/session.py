"""A playback session: what any front end does with a playing stream, written once.

The window and the page are thin front ends over it: each `tick()` hands out the frame due now
(or None), the front end puts it on screen its own way (a GL texture, an encoded image) and
says so with `on_screen(frame)`; `next_wake()` says how long it may sleep before the next frame
is due (a new chunk wakes it earlier: `wake_on_new_chunk`). The session owns the stream, what is
on screen (OnScreen), the frames-shown-per-second meter, the HUD's words and the captures; the
stream's controls stay in the stream (their one home), reached through `act` and `set`.
"""

from __future__ import annotations

import logging
import queue
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import UsageError
from ..runtime.playback import PlaybackStream
from ..runtime.slots import Frame
from .actions import stream_actions
from .capture import Captures
from .hud import OnScreen, hud_lines, hud_summary
from .options import LiveOptions
from .osc import OscCommand

log = logging.getLogger(__name__)

HUD_PERIOD_S = 0.5  # how often the HUD's words and the shown-fps figure are refreshed
WAKES_PER_FRAME = 2  # sleep at most half a content frame: a due frame is never half a frame late


class PlaybackSession:
    """Owns `stream` (started here, closed with the session) and what a front end shows of it."""

    def __init__(self, stream: PlaybackStream, capture_dir: str | Path = ".",
                 max_record_seconds: float | None = None):
        self.stream, self.captures = stream, Captures(capture_dir)
        self.max_record_seconds = max_record_seconds
        self.shown = OnScreen(seed=stream.controls.seed)
        self.frames_shown = 0
        self.meter_at, self.meter_count = time.perf_counter(), 0
        self.started = time.perf_counter()
        self.inbox: queue.SimpleQueue[OscCommand] = queue.SimpleQueue()  # live inputs' commands, any thread
        self.wake: Callable[[], None] = lambda: None
        self.front_actions: dict[str, Callable[[], object]] = {}  # the front end's own (screenshot, record)
        self.live_parts = ExitStack()  # OSC server, feedback socket, timeline: closed with the session
        self.feedback = None
        self.osc = None  # the OscServer, when --osc asked for one (its address, received and refused counts)
        self.midi = None  # the MidiControl, when --midi asked for one (its bindings, soft takeover, learn)
        self.pipe = None  # the FramePipe, when --pipe asked for one: every frame shown goes out raw

    def start(self) -> "PlaybackSession":
        self.stream.start()
        self.started = self.meter_at = time.perf_counter()
        return self

    def wake_on_new_chunk(self, wake: Callable[[], None]) -> None:
        """`wake()` from the producer thread after each chunk, or a live input's command: ends a front
        end's sleep early."""
        self.stream.frames.on_publish = self.wake = wake

    # --- live inputs ---------------------------------------------------------------------
    def attach_live(self, options: LiveOptions, model: str, front_actions: dict[str, Callable[[], object]]) -> None:
        """OSC, MIDI, sound in, the frames pipe, latent directions and the performance record, as
        `options` asks; `front_actions`: the front end's own actions a live input may take (screenshot,
        record)."""
        from .osc import OscServer, parse_endpoint

        self.front_actions = front_actions
        if options.directions:
            from .directions import load_directions

            self.stream.set_directions(load_directions(options.directions, self.stream.latent_dim))
        if options.record_controls:
            from .timeline import TimelineWriter

            self.live_parts.callback(TimelineWriter(options.record_controls, self.stream, model,
                                                    self.stream.batch).close)
        if options.osc_feedback:
            from pythonosc.udp_client import SimpleUDPClient

            self.feedback = SimpleUDPClient(*parse_endpoint(options.osc_feedback, "--osc-feedback"))
        if options.osc:
            server = OscServer(*parse_endpoint(options.osc, "--osc"), self.post, options.osc_token)
            self.osc = self.live_parts.enter_context(server)
            self.stream.live.attach("osc")
        if options.midi:
            self.attach_midi(options)
        if options.pipe:
            self.attach_pipe()
        if options.audio_in:
            self.attach_audio(options)

    def attach_audio(self, options: LiveOptions, rate: int | None = None):
        """Sound in, live, from --audio-in's PortAudio device; returns the worker its blocks go to (a
        WAV through the same path, in tests: `options.audio_in` None and the WAV's `rate`)."""
        from ..audio.live import AudioReactor, AudioWorker, SoundCard
        from ..audio.mapping import defaults_for, merged, read_mapping

        tables = read_mapping(options.audio_map) if options.audio_map else {}
        mapping = merged(defaults_for(self.stream.contract), tables)
        card = SoundCard(options.audio_in, self.stream.contract.fps) if options.audio_in else None
        post = lambda name, value: self.post(OscCommand("set", name, value, source="audio"))  # noqa: E731
        worker = AudioWorker(AudioReactor(mapping, self.stream.contract, card.rate if card else rate,
                                          self.stream.contract.fps, post))
        self.live_parts.callback(worker.close)
        if card is not None:
            self.live_parts.enter_context(card.open(worker.offer))
        self.stream.live.attach("audio")
        return worker

    def attach_pipe(self, fd: int | None = None) -> None:
        """Every frame put on screen from now on, raw RGBA, to `fd` (default: standard output)."""
        from .pipe import FramePipe

        self.pipe = FramePipe(self.stream, fd)
        self.live_parts.callback(self.pipe.close)

    @property
    def wants_pixels(self) -> bool:
        """Whether `on_screen` needs the frame's host pixels (a recording, the pipe)."""
        return self.captures.recording or self.pipe is not None

    def attach_midi(self, options: LiveOptions, port: bool = True) -> None:
        """MIDI control as `options` asks; `port`: open the named input (False: events come from
        `post(OscCommand("midi", ...))` alone, as tests inject them)."""
        from .midi import MidiControl, MidiPort, default_bindings, read_midi_map

        if options.midi_learn and not options.midi_map:
            raise UsageError("--midi-learn: pass --midi-map FILE.toml, where what is learnt is written")
        learning_anew = options.midi_learn and not Path(options.midi_map).exists()
        bindings = read_midi_map(options.midi_map) if options.midi_map and not learning_anew else default_bindings()
        self.midi = MidiControl(self.stream, bindings, self.act_any, options.midi_map if options.midi_learn else None)
        self.live_parts.callback(self.midi.close)
        if port:
            self.live_parts.enter_context(MidiPort(options.midi, lambda e: self.post(OscCommand("midi", "", e))))
        self.stream.live.attach("midi")

    def act_any(self, action: str) -> None:
        """A stream action, or the front end's own (screenshot, record)."""
        if not self.act(action):
            self.front_actions[action]()

    def post(self, command: OscCommand) -> None:
        """A live input's command, from its own thread: applied at the next tick, on the loop's thread."""
        self.inbox.put(command)
        self.wake()

    def apply_live(self) -> None:
        """Every queued command, in order; a value the model cannot take is one logged line. Called
        every tick: an empty inbox costs one check, no exception raised and caught per frame."""
        while not self.inbox.empty():  # only this thread takes from it: not empty means a get succeeds
            command = self.inbox.get_nowait()
            try:
                self.apply(command)
            except (UsageError, ValueError) as exc:  # a value the model cannot take; a capture not possible yet
                log.warning("%s refused: %s", "MIDI" if command.kind == "midi" else command.source.upper(), exc)

    def apply(self, command: OscCommand) -> None:
        if command.kind == "midi":
            self.stream.live.touched("midi", self.midi.apply(command.value))
        elif command.kind == "set":
            self.stream.set(command.name, command.value, source=command.source)
        elif command.kind == "state":
            self.send_state()
        elif not self.act(command.name):
            action = self.front_actions.get(command.name)
            if action is None:
                raise UsageError(f"{command.name}: not something this front end does")
            action()
        if command.kind == "action":
            self.stream.live.touched("osc", command.name)

    def send_state(self) -> None:
        """Every control's value to --osc-feedback, as /ganrt/state/<name>."""
        if self.feedback is None:
            log.warning("OSC /ganrt/state: no --osc-feedback HOST:PORT to send it to")
            return
        for name, value in vars(self.stream.controls).items():
            if value is None:  # a motion seed not set: OSC has no nil every client reads
                continue
            self.feedback.send_message(f"/ganrt/state/{name}", list(value) if isinstance(value, tuple) else value)


    # --- the frame loop -------------------------------------------------------------
    def tick(self, now: float | None = None) -> Frame | None:
        """Apply the live inputs' commands, then the frame due now by the playback clock, or None
        (keep what is on screen)."""
        self.apply_live()
        return self.stream.poll(now)

    def on_screen(self, frame: Frame, host: np.ndarray | None = None, when: float | None = None) -> bool:
        """`frame` is on screen (since `when`); `host`, its (B, H, W, 4) pixels, goes into a recording
        in progress. True when that recording is as long as it may be (the caller stops it)."""
        self.shown.seed, self.shown.index, self.shown.slot = frame.seed, frame.index, frame.slot
        self.frames_shown += 1
        self.stream.note_shown(frame, when)
        if host is not None and self.pipe is not None:
            self.pipe.offer(host)
        if host is None or not self.captures.recording:
            return False
        self.captures.append(host)
        return self.captures.recorder.full

    def next_wake(self) -> float:
        """Seconds the front end may sleep before the next content frame is due."""
        contract = self.stream.contract
        # a timed model's speed moves its t, not the clock: its frames are due at the content rate at any speed
        speed = 1.0 if contract.kind == "timed" else abs(self.stream.controls.speed)
        return 1.0 / (contract.fps * speed or 1.0) / WAKES_PER_FRAME

    def measure(self, now: float | None = None) -> bool:
        """Refresh the frames-shown-per-second figure every HUD_PERIOD_S; True when it did (the
        front end refreshes its HUD then)."""
        now = time.perf_counter() if now is None else now
        if now - self.meter_at < HUD_PERIOD_S:
            return False
        self.shown.display_fps = (self.frames_shown - self.meter_count) / (now - self.meter_at)
        self.meter_at, self.meter_count = now, self.frames_shown
        return True

    # --- the HUD's words ----------------------------------------------------------------
    def hud_lines(self, delivery: str) -> list[str]:
        """`delivery`: how frames reach the screen ("upload host", "png to 2 viewers"); with a live
        input attached, which ones, their last values and the look-ahead."""
        lines = hud_lines(self.stream, self.shown, delivery, self.captures.recording)
        if self.pipe is not None:
            lines.append(self.pipe.words())
        live = self.stream.live.words()
        return lines + [live] if live else lines

    def hud_summary(self) -> str:
        return hud_summary(self.stream, self.shown, self.captures.recording)

    # --- what the user does ---------------------------------------------------------------
    def act(self, action: str) -> bool:
        """Apply a stream action (pause, next_seed, faster...); False when `action` is not one."""
        actions = stream_actions(self.stream)
        if action not in actions:
            return False
        actions[action]()
        return True

    def set(self, name: str, value: object, source: str | None = None) -> None:
        """Set a control outright, checked against the model (the one bounds table); `source` names
        a live input (the page's sliders: "page"), which the ring then follows."""
        self.stream.set(name, value, source)

    def screenshot(self, canvas: np.ndarray) -> Path:
        """The raw frame(s) on screen, at the model's resolution, named by the seed that made them."""
        return self.captures.screenshot(canvas, self.shown.seed, self.shown.index)

    def start_recording(self, path: str | Path | None = None) -> None:
        """Record every frame shown from now on, into `path` (default: a new name in the capture folder)."""
        contract = self.stream.contract
        if not self.captures.recording:
            self.captures.toggle_recording(contract.resolution, self.stream.batch, contract.fps, path,
                                           max_seconds=self.max_record_seconds)

    def close(self) -> None:
        """The live inputs stop (a timeline gets its end line), a recording in progress lands in its
        file, the stream stops. Safe to call twice."""
        self.live_parts.close()
        self.captures.stop()
        self.stream.close()
