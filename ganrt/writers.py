"""The encoders behind the file sink (sink.py): an MP4 (ffmpeg), a GIF (Pillow) or a folder of PNGs,
each writing to the sink's temp file or folder.

Each writer takes (H, W, 3) uint8 frames one by one and either `close`s (the file is complete)
or `abort`s (Ctrl-C, an error: stop at once, encode nothing more). The GIF's colour
quantization happens per frame as it arrives, so the render's progress bar covers it, and the
final encode has a bar of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Protocol

import numpy as np


class FrameWriter(Protocol):
    def append(self, image: np.ndarray) -> None: ...
    def close(self, progress: bool) -> None: ...
    def abort(self) -> None: ...


class FolderWriter:
    """frame_000000.png, ... in a folder (the sink's temp folder, swapped in whole at the end)."""

    def __init__(self, folder: str | Path):
        self.folder, self.count = Path(folder), 0

    def append(self, image: np.ndarray) -> None:
        from PIL import Image

        Image.fromarray(image).save(self.folder / f"frame_{self.count:06d}.png", format="PNG")
        self.count += 1

    def close(self, progress: bool) -> None:
        pass

    def abort(self) -> None:
        pass


class Mp4Writer:
    """H.264 through ganrt's own ffmpeg process (encoder.py); ffmpeg encodes while frames arrive."""

    def __init__(self, path: str, size: tuple[int, int], fps: float):
        from .encoder import FfmpegEncoder

        self.encoder = FfmpegEncoder(path, size, fps)  # size: (width, height)

    def append(self, image: np.ndarray) -> None:
        self.encoder.write(image)

    def close(self, progress: bool) -> None:
        self.encoder.close()  # ffmpeg finishes the frames it holds and writes the index

    def abort(self) -> None:
        self.encoder.kill()  # waits for it: no temp file can come back after the caller removes it


class GifWriter:
    """Each frame quantized to 256 colours on arrival; the file is encoded on close."""

    def __init__(self, path: str, fps: float):
        self.path, self.duration_ms, self.frames = path, 1000 / fps, []

    def append(self, image: np.ndarray) -> None:
        from PIL import Image

        self.frames.append(Image.fromarray(image).quantize(256, method=Image.Quantize.FASTOCTREE))

    def close(self, progress: bool) -> None:
        first, rest = self.frames[0], self.frames[1:]
        first.save(self.path, format="GIF", save_all=True, append_images=counted(rest, progress),
                   duration=self.duration_ms, loop=0)

    def abort(self) -> None:
        self.frames.clear()


def counted(frames: list, progress: bool) -> Iterator:
    """The frames, with a progress bar advancing as the encoder takes them."""
    from tqdm import tqdm

    with tqdm(total=len(frames) + 1, desc="encode gif", unit="frame", disable=not progress) as bar:
        bar.update()  # the first frame, written with the file header
        for frame in frames:
            yield frame
            bar.update()
