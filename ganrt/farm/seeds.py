"""Which seeds a run renders: `--seeds 0-99,200,300-310`, the `--shard i/n` slice of them, and
how they are grouped into jobs of one backend call each.

A shard is a contiguous block of the sorted seeds (shard i of n: seeds[i*len//n : (i+1)*len//n]),
so the n shards partition the seeds exactly, need no coordination (Slurm array task i, Kubernetes
Indexed Job i), and keep consecutive seeds together, which is what a batch of streams wants.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

MAX_SEEDS = 10_000_000  # a typo like 0-99999999999 is refused rather than planned


def parse_seeds(text: str) -> list[int]:
    """'0-9,20,30-32' -> [0..9, 20, 30, 31, 32], sorted, each once; ranges include both ends."""
    seeds: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise UsageError(f"--seeds {text}: '{part}' is not a seed or a range; expected e.g. 0-9999 or 0-9,20,30-39")
        lo, hi = int(first), int(last or first)
        if hi < lo:
            raise UsageError(f"--seeds {text}: range {part} runs backwards; write {hi}-{lo}")
        if len(seeds) + hi - lo + 1 > MAX_SEEDS:
            raise UsageError(f"--seeds {text}: more than {MAX_SEEDS:,} seeds; split the run with --shard")
        seeds.update(range(lo, hi + 1))
    return sorted(seeds)


def parse_shard(text: str) -> tuple[int, int]:
    """'3/8' -> (3, 8): shard 3 of 8, counted from 0 (Slurm's and Kubernetes' task indices)."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 0 <= int(index) < int(count):
        raise UsageError(f"--shard {text}: expected I/N with 0 <= I < N, e.g. 3/8 (shards count from 0)")
    return int(index), int(count)


def shard_of(seeds: list[int], index: int, count: int) -> list[int]:
    """Shard `index` of `count`: a contiguous block of the sorted seeds; the blocks partition them."""
    return seeds[index * len(seeds) // count:(index + 1) * len(seeds) // count]


@dataclass(frozen=True)
class Job:
    """One backend run: streams base .. base + width - 1 play, and each seed in `seeds` gets its
    file from the streams seed .. seed + grid - 1 (stream i of a batch plays base + i)."""

    base: int
    seeds: tuple[int, ...]


def plan_jobs(seeds: list[int], batch: int) -> list[Job]:
    """Group sorted seeds into jobs of at most `batch` files, each job's seeds within
    [base, base + batch): consecutive seeds share a job; a lone seed gets a job of its own."""
    jobs: list[Job] = []
    i = 0
    while i < len(seeds):
        base, j = seeds[i], i
        while j < len(seeds) and seeds[j] < base + batch:
            j += 1
        jobs.append(Job(base, tuple(seeds[i:j])))
        i = j
    return jobs
