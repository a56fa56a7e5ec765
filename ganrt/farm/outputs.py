"""Where each seed's file goes: an `-o` template such as 'out/{seed:05d}.mp4', and the folder
its manifest lives in (the template's fixed part: 'out/')."""

from __future__ import annotations

import glob
import os
import string
from pathlib import Path

from ..errors import UsageError
from ..fileio import check_suffix
from ..sink import VIDEO_SUFFIXES

EXAMPLE = "out/{seed:05d}.mp4"


class OutputTemplate:
    def __init__(self, template: str):
        self.template = str(template)
        fields = [f for _, f, _, _ in self.parsed() if f is not None]
        if "seed" not in fields:
            raise UsageError(f"-o {template}: expected a template with {{seed}} in it, one file per seed, "
                             f"e.g. '{EXAMPLE}'")
        if set(fields) != {"seed"}:
            raise UsageError(f"-o {template}: only {{seed}} may be filled in, not "
                             f"{', '.join(sorted(set(fields) - {'seed'}))}; e.g. '{EXAMPLE}'")
        try:
            self.path(0)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"-o {template}: {exc}; write the seed as {{seed}} or {{seed:05d}}") from None
        check_suffix(self.template, *VIDEO_SUFFIXES, what="a video per seed")

    def parsed(self):
        try:
            return list(string.Formatter().parse(self.template))
        except ValueError as exc:
            raise UsageError(f"-o {self.template}: {exc}; e.g. '{EXAMPLE}'") from None

    def path(self, seed: int) -> Path:
        return Path(self.template.format(seed=seed))

    def relative_path(self, seed: int) -> str:
        """The seed's path as the manifest records it: relative to the manifest's folder."""
        return os.path.relpath(self.path(seed), self.folder())

    def remove_temp_files(self, seed: int) -> int:
        """Delete the temp files a killed worker left for `seed` (the file sink's hidden '.NAME.*');
        shards never share a seed, so no live writer owns them. Returns how many went."""
        path = self.path(seed)
        stale = list(path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(path.suffix)}"))
        for temp in stale:
            temp.unlink(missing_ok=True)
        return len(stale)

    def folder(self) -> Path:
        """The deepest folder every output shares: the literal text before the first field."""
        literal = self.parsed()[0][0]
        return Path(literal).parent if not literal.endswith(("/", "\\")) else Path(literal)

    def manifest_path(self, shard: tuple[int, int] | None = None) -> Path:
        """manifest.jsonl; a shard writes its own (manifest.shard-3-of-8.jsonl), so that shards running
        at once on a shared file system never append to, or repair, one another's file."""
        return self.folder() / ("manifest.jsonl" if shard is None else f"manifest.shard-{shard[0]}-of-{shard[1]}.jsonl")

    def manifests(self) -> list[Path]:
        """Every manifest in the folder, sharded or not: --resume trusts a file any of them recorded."""
        return sorted(self.folder().glob("manifest*.jsonl"))
