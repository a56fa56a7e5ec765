"""Network pickles of NVlabs' StyleGAN repositories, read as data without torch (numpy only),
so a deployment without PyTorch can still say what a .pkl is."""

from .reader import read_pickle, read_snapshot
from .records import NetRecord

__all__ = ["NetRecord", "read_pickle", "read_snapshot"]
