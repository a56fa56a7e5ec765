"""`ganrt render MODEL --audio track.wav -o video.mp4`: a music video. The track is analysed one
video frame at a time (ganrt.audio.analysis), each frame's features become control values
(ganrt.audio.mapping), and the render's frame source applies them through the stream's own
controls (`stream.set`, the bounds table) at frame-exact points, as a replayed performance is
applied: the same track, model and backend give the same video, frame for frame.

- clip and image models: a frame whose values differ from the last one's is made again with them
  (as a live change re-makes the frame on screen), then the render moves on;
- recurrent (step) models cannot re-make a frame: their values change per chunk of T frames, set
  while the producer waits one chunk ahead (so the chunk that takes them is known), and the speed
  (loudness, and a surge on each hit) plays them faster or slower, frame by frame (content frames
  skipped or held), instead of a walk rate.

The video lands first (the one file sink), then ffmpeg (imageio-ffmpeg's) muxes the track in, cut
at the video's length, into a temp file renamed over the output: a failure anywhere leaves no
partial file and an earlier output untouched. A GIF or a frames folder carries no sound: their
motion follows the track all the same.
"""

from __future__ import annotations

import logging
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import UsageError
from ..fileio import PendingFile, is_folder
from ..playback_ui.options import PlaybackOptions
from ..render import RenderReport, render
from ..runtime.playback import PlaybackStream
from ..runtime.slots import Frame
from ..sink import check_destination
from ..video import VideoPlan
from .analysis import analyse_track
from .mapping import MotionMapper, defaults_for, merged, read_mapping
from .wavfile import Track, read_wav

log = logging.getLogger(__name__)


@dataclass
class Score:
    """Control values per output frame, and what analysing the track cost."""

    values: list[dict[str, object]]
    onsets: list[int]  # output frames where a hit began
    analysis_s: float


def music_video(options: PlaybackOptions, audio: str | Path, out: str | Path, mapping: str | Path | None = None,
                progress: bool = True) -> tuple[RenderReport, Score]:
    """Render `options`' stream for the length of `audio`, moved by it, into `out` (the track muxed
    into an .mp4)."""
    check_destination(out)
    tables = read_mapping(mapping) if mapping else {}  # before the track and the model: a typo costs nothing
    track = read_wav(audio)
    scored: list[Score] = []
    source = lambda stream, plan, first: audio_frames(stream, plan, first, scored, track, tables)  # noqa: E731
    if is_folder(out) or Path(out).suffix.lower() != ".mp4":
        log.info("%s carries no sound: the motion follows %s, the track is not in it", out, audio)
        return render(options, out, seconds=track.seconds, progress=progress, source=source), scored[0]
    silent = PendingFile(out)  # the video without sound, hidden beside `out`
    try:
        report = render(options, silent.temp, seconds=track.seconds, progress=progress, source=source)
        mux(Path(silent.temp), Path(audio), Path(out), report.frames / report.fps)
    finally:
        silent.discard()
    report.path = Path(out)
    return report, scored[0]


def score_track(track: Track, stream: PlaybackStream, fps: float, frames: int, tables: dict) -> Score:
    """The track's control values at `fps`, `frames` output frames, for this stream's model."""
    import time

    mapping = merged(defaults_for(stream.contract), tables)
    started = time.perf_counter()
    features = analyse_track(track.samples, track.rate, fps, frames, mapping.onset.sensitivity)
    analysis_s = time.perf_counter() - started
    mapper = MotionMapper(mapping, stream.contract, fps)
    values = [mapper.step(f) for f in features]
    log.info("audio: %d frames analysed in %.0f ms (%.2f ms a frame), %d hits", frames, analysis_s * 1e3,
             analysis_s / max(1, frames) * 1e3, sum(f.onset for f in features))
    return Score(values, [i for i, f in enumerate(features) if f.onset], analysis_s)


def audio_frames(stream: PlaybackStream, plan: VideoPlan, first: Frame, scored: list, track: Track,
                 tables: dict) -> Iterator[Frame]:
    """The render's frame source: the track's length of frames, each made at its control values."""
    frames = max(1, math.ceil(track.seconds * plan.fps - 1e-9))
    score = score_track(track, stream, plan.fps, frames, tables)
    scored.append(score)
    if stream.contract.kind == "step":
        return step_frames(stream, plan, score.values)
    return walk_frames(stream, plan, first, score.values)


def walk_frames(stream: PlaybackStream, plan: VideoPlan, first: Frame, values: list[dict]) -> Iterator[Frame]:
    """Clip and image models: each output frame's values set before it is taken (the frame on screen
    made again with them where they changed), content frames at the plan's rate."""
    content_per_output = stream.contract.fps * plan.speed / plan.fps
    applied: dict[str, object] = {}
    frame = first
    for i, wanted in enumerate(values):
        if apply_changes(stream, wanted, applied):
            frame = stream.frames.take_current()  # the frame on screen, made again at the new values
        while frame.index < math.floor(i * content_per_output + 1e-9):
            frame = stream.take()
        yield frame


def step_frames(stream: PlaybackStream, plan: VideoPlan, values: list[dict]) -> Iterator[Frame]:
    """Recurrent models: content frames advanced at each output frame's speed; each chunk's values
    (the strongest impulse among its frames) set while the producer waits, one chunk ahead."""
    per_chunk = stream.frames.frames_per_chunk
    content = content_positions(values, stream.contract.fps / plan.fps)
    chunks = chunk_values(values, content, per_chunk)
    applied: dict[str, object] = {}
    stream.frames.set_look_ahead(1)
    apply_changes(stream, chunks[0], applied)
    stream.set_seed(stream.controls.seed)  # start over: what the ring made before the look-ahead goes
    frame = None
    for position in content:
        while frame is None or frame.index < position:
            frame = next_step_frame(stream, chunks, applied)
        yield frame


def next_step_frame(stream: PlaybackStream, chunks: list[dict], applied: dict) -> Frame:
    """The next content frame. Before a chunk is taken, the producer (one chunk ahead at most) has
    made it and waits: the chunk it makes next gets its values now."""
    frames = stream.frames
    ring = frames.ring
    if ring.next_t == 0 or ring.pending is not None or ring.next_chunk < ring.base:
        with frames.cond:
            while ring.pending is not None or ring.produced < ring.held + 2:
                frames.raise_if_failed()
                frames.cond.wait(0.5)
            upcoming = ring.produced - ring.base  # relative to the restart, as `chunks` counts
        apply_changes(stream, chunks[min(upcoming, len(chunks) - 1)], applied)
    return frames.take_current()


def content_positions(values: list[dict], base_step: float) -> list[int]:
    """Content frame shown at each output frame: the speed of each frame accumulated."""
    positions, at = [], 0.0
    for wanted in values:
        positions.append(math.floor(at + 1e-9))
        at += base_step * float(wanted.get("speed", 1.0))
    return positions


def chunk_values(values: list[dict], content: list[int], per_chunk: int) -> list[dict]:
    """Per chunk of content frames: the values of its output frame with the strongest impulse (a
    chunk no output frame shows keeps the one before's)."""
    chunks: list[dict | None] = [None] * (content[-1] // per_chunk + 2)
    for wanted, position in zip(values, content):
        best = chunks[position // per_chunk]
        if best is None or abs(wanted["direction"][1]) > abs(best["direction"][1]):
            chunks[position // per_chunk] = wanted
    for c, best in enumerate(chunks):
        chunks[c] = best if best is not None else (chunks[c - 1] if c else values[0])
    return chunks


def apply_changes(stream: PlaybackStream, wanted: dict, applied: dict) -> bool:
    """Set the values that differ from those applied last (speed is the source's own); True if any did."""
    changed = False
    for name, value in wanted.items():
        if name != "speed" and applied.get(name) != value:
            stream.set(name, value)
            applied[name] = value
            changed = True
    return changed


def mux(video: Path, audio: Path, out: Path, seconds: float) -> None:
    """`video` with `audio` as its sound, cut at `seconds`, into `out` (whole or not at all)."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(video),
               "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k",
               "-t", f"{seconds:.6f}", "-movflags", "+faststart", "-f", "mp4"]
    pending = PendingFile(out)
    try:
        done = subprocess.run([*command, pending.temp], capture_output=True, text=True)
        if done.returncode != 0:
            said = done.stderr.strip()
            why = said.splitlines()[-1][:200] if said else f"exit status {done.returncode}"
            raise UsageError(f"{out}: ffmpeg could not mux {audio} in ({why}); the video was not written")
        pending.land()
    finally:
        pending.discard()
