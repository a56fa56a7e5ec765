"""Backends behind one interface, seeded stream inputs, and FrameStream.

Nothing here imports torch unless the torch backend is chosen.
"""

from .backends import Backend, open_backend
from .playback import PlaybackStream, open_stream
from .ring import StreamCounters
from .slots import Frame
from .stream import FrameStream

__all__ = ["Backend", "open_backend", "open_stream", "PlaybackStream", "Frame", "FrameStream", "StreamCounters"]
