"""A user's latent directions from a .npy file (`--directions dirs.npy`): a file from a stranger,
so it is read without pickles, its header checked before its data is read, and its values bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..runtime.controls import MAX_DIRECTIONS

MAX_DIM = 1 << 16  # a latent of 65,536 values is far past any GAN's


def load_directions(path: str | Path, latent_dim: int) -> np.ndarray:
    """(K <= 8, latent_dim) float32 rows, each scaled to unit length, or a one-line UsageError."""
    path = Path(path)
    expected = f"a .npy of shape (K, {latent_dim}), K from 1 to {MAX_DIRECTIONS}, finite float values"
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise UsageError(f"{path}: .npy format {version}; expected {expected} (format 1.0 or 2.0)")
            try:  # the header alone (numpy caps its size): nothing allocated yet
                shape, _, dtype = read_header(f)
            except Exception as exc:  # numpy parses it as a Python literal: SyntaxError, TokenError, ... (fuzzed)
                raise UsageError(f"{path}: its .npy header does not parse ({type(exc).__name__}); expected "
                                 f"{expected}") from None
            if dtype.kind != "f" or len(shape) != 2 or not 1 <= shape[0] <= MAX_DIRECTIONS or shape[1] != latent_dim \
                    or latent_dim > MAX_DIM:
                raise UsageError(f"{path}: {dtype} {tuple(shape)}; expected {expected}")
        directions = np.load(path, allow_pickle=False).astype(np.float32)
    except UsageError:
        raise
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not readable as {expected} ({' '.join(str(exc).split())[:120]})") from None
    with np.errstate(over="ignore"):  # a row of huge values has an infinite length: refused below
        norms = np.linalg.norm(directions.astype(np.float64), axis=1, keepdims=True)
    if not np.isfinite(directions).all() or not np.isfinite(norms).all() or (norms == 0).any():
        raise UsageError(f"{path}: holds NaN, infinities, a zero row or values too large to scale; expected "
                         f"{expected}")
    return (directions / norms).astype(np.float32)
