"""StyleGAN on the CPU: ganrt's best CPU engine against NVlabs' own eager PyTorch, same weights,
same threads, same machine, in alternating rounds.

    python benchmarks/stylegan_speed.py --repos DIR [--threads N] [--rounds 3] [--seconds 6] [--sgv-deps DIR]

DIR holds checkouts of NVlabs' stylegan2-ada-pytorch and stylegan3 (and universome/stylegan-v as
DIR/stylegan-v for the case sgv-256, its code run with omegaconf and scipy from --sgv-deps: a
256x256 StyleGAN-V at its 256x256 configs' widths, 8 frames a call: G_ema(z, c, t, motion_z=...) in
its eager PyTorch against ganrt's timed export). Their code builds a 256x256
StyleGAN2 (config-f-like widths: channel_base 32768, channel_max 512, 8 mapping layers) and a
256x256 StyleGAN3-T with random weights and pickles them (outside the repository: under NVIDIA's
licence, never committed); ganrt exports each pickle (FP32, batch 1, rgba8 frames) and plays it
on OpenVINO (and ONNX Runtime CPU). Baseline: `G_ema(z, c, 1.0, noise_mode='const',
force_fp32=True)` at batch 1 in their eager PyTorch (float frames, no byte conversion), with
torch.set_num_threads(N), and at 1 thread (the ratio is against the better). Frames/s per round; the ratio is taken round by round (a loaded
machine slows both alike), a figure whose rounds disagree by more than 25 % is marked unstable.

The roofline: each graph's GFLOP per frame (ganrt's count of its convolutions and matrix
products) against torch's matrix-multiply rate on the same threads (fp32; bf16 for the bf16
contestant). It bounds what any engine computing the same convolutions directly can reach:
roofline fps / NVlabs' fps is the largest ratio open to an FP32 engine here.
Writes benchmarks/results/stylegan-speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ganrt.bench.flops import gemm_gflops, graph_flops_per_frame  # noqa: E402
from ganrt.bench.machine import machine_info  # noqa: E402
from ganrt.bench.results import spread, write_record  # noqa: E402
from ganrt.bench.run import Contestant  # noqa: E402
from ganrt.export import ExportOptions, export_stylegan  # noqa: E402
from ganrt.export.checks import cpu_session  # noqa: E402
from ganrt.imaging import psnr_db  # noqa: E402

SIDE = ROOT / "scripts" / "stylegan_nvlabs_side.py"
SGV_SIDE = ROOT / "scripts" / "stylegan_v_side.py"
CASES = ("sg2ada-256", "sg3-t-256")  # cases of scripts/stylegan_nvlabs_side.py
SGV_CASES = ("sgv-256",)  # of scripts/stylegan_v_side.py
SGV_FRAMES = 8  # frames per call, both sides


def repo_of(case: str) -> str:
    return {"sg2": "stylegan2-ada-pytorch", "sg3": "stylegan3", "sgv": "stylegan-v"}[case[:3]]


def side_of(case: str, threads: int, sgv_deps: Path | None) -> tuple[Path, dict]:
    """The side script that runs the case's own code, and its environment."""
    env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": str(threads)}
    if case in SGV_CASES:
        return SGV_SIDE, {**env, "PYTHONPATH": str(sgv_deps)}
    return SIDE, env


UNSTABLE = 0.25
PAUSE_S = 1.0  # before each timed round: the thread pools of the contestant before it go idle


class Eager:
    """NVlabs' generator in its own process (their code on the path), one timed round per request."""

    def __init__(self, repo: Path, pkl: Path, threads: int, out: Path, side: tuple[Path, dict]):
        script, env = side
        self.proc = subprocess.Popen([sys.executable, str(script), "bench", str(pkl), str(threads), str(out)],
                                     cwd=repo, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline())["ready"]

    def round(self, seconds: float) -> float:
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["fps"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def roofline(flops_per_frame: float, rates: dict[str, float | None], fps_median: dict[str, float],
             best_eager_fps: float) -> dict:
    """GFLOP/s and the share of the matrix-multiply rate each contestant reaches; the FP32
    ceiling is the roofline's frames/s over NVlabs' (the best ratio direct convolution allows)."""
    def share(name: str, fps: float) -> float | None:
        rate = rates["bfloat16"] if name.endswith(":bf16") else rates["float32"]
        return fps * flops_per_frame / 1e9 / rate if rate else None

    fp32 = rates["float32"]
    return {"gflop_per_frame": flops_per_frame / 1e9, "gemm_gflops": rates,
            "share_of_roofline": {name: share(name, fps) for name, fps in fps_median.items()},
            "fp32_ceiling_ratio": fp32 * 1e9 / flops_per_frame / best_eager_fps if fp32 else None}


def max_rate(a: float | None, b: float | None) -> float | None:
    return max(a, b) if a and b else a or b


def parity_feeds(case: str, reference: dict, contract) -> dict[str, np.ndarray]:
    """ganrt's feeds for the eager side's one call: z (and for StyleGAN-V its motion noise from row 0,
    anchor 0, t 0..7), psi 1."""
    feeds = {"z": reference["z"], "psi": np.ones(1, np.float32)}
    if case in SGV_CASES:
        feeds.update(motion_z=reference["motion_z"][:, :contract.dims["motion_window"]],
                     anchor=np.zeros(1, np.int64), t=reference["t"])
    return feeds


def open_contestants(onnx_path: Path, names: list[str], threads: int) -> tuple[list, dict[str, str]]:
    """ganrt's backends on the export; one the backend refuses (bf16 past its PSNR check) is recorded, not measured."""
    from ganrt.errors import GanrtError

    opened, refused = [], {}
    for name in names:
        try:
            opened.append(Contestant(str(onnx_path), name, 1, threads))
        except GanrtError as exc:
            refused[name] = str(exc).split(": ", 1)[-1]
    return opened, refused


def measure(case: str, repos: Path, work: Path, threads: int, rounds: int, seconds: float,
            sgv_deps: Path | None = None) -> dict:
    pkl = work / f"{case}.pkl"
    side = side_of(case, threads, sgv_deps)
    subprocess.run([sys.executable, str(side[0]), "make", case, str(pkl)], cwd=repos / repo_of(case), check=True,
                   env=side[1], capture_output=True, timeout=1800)
    onnx_path = work / f"{case}.onnx"
    float_path = work / f"{case}-float.onnx"
    opts = dict(check=False, force=True, frames=SGV_FRAMES if case in SGV_CASES else None)  # parity: below
    report = export_stylegan(pkl, onnx_path, ExportOptions(**opts), truncation=None)
    export_stylegan(pkl, float_path, ExportOptions(output="float", **opts))
    # Their eager path at the same threads, and at 1 thread: torch's OpenMP pool can lose most of its
    # speed on a loaded machine (spinning barriers), so the ratio is taken against the better of the two.
    owner = "stylegan-v" if case in SGV_CASES else "nvlabs"
    eagers = {f"{owner}-eager-{t}t": Eager(repos / repo_of(case), pkl, t, work / f"{case}-eager.npz",
                                          side_of(case, t, sgv_deps))
              for t in sorted({threads, 1}, reverse=True)}
    reference = dict(np.load(work / f"{case}-eager.npz"))
    got = cpu_session(str(float_path)).run(None, parity_feeds(case, reference, report.contract))[0]
    got = got.reshape(reference["img"].shape)
    names = ["openvino", *(["openvino:bf16"] if "amx_bf16" in machine_info()["cpu_features"] else []), "ort-cpu"]
    contestants, refused = open_contestants(onnx_path, names, threads)
    names = [c.name for c in contestants]
    checked = {c.name: c.backend.psnr_db for c in contestants if getattr(c.backend, "psnr_db", None) is not None}
    rows = {**{name: [] for name in eagers}, **{name: [] for name in names}}
    load_before = os.getloadavg()  # other work on the machine slows every contestant; the record says how much
    # The matrix-multiply rate before and after the rounds, the better kept: neighbours only ever slow it.
    rates_before = {dtype: gemm_gflops(threads, dtype) for dtype in ("float32", "bfloat16")}
    try:
        for i in range(rounds):
            for name, eager in eagers.items():
                time.sleep(PAUSE_S)
                rows[name].append(eager.round(seconds))
            for contestant in contestants:
                time.sleep(PAUSE_S)
                contestant.bare(1.0 if i == 0 else 0.25, seconds)
                rows[contestant.name].append(contestant.bare_rounds[-1])
            print(case, {k: round(v[-1], 2) for k, v in rows.items()}, flush=True)
    finally:
        for eager in eagers.values():
            eager.close()
        for contestant in contestants:
            contestant.close()
    load_after = os.getloadavg()
    best_eager = [max(values) for values in zip(*(rows[name] for name in eagers))]  # per round
    ratios = {name: [a / b for a, b in zip(rows[name], best_eager)] for name in names}
    fps_median = {k: float(np.median(v)) for k, v in rows.items()}
    rates = {dtype: max_rate(rates_before[dtype], gemm_gflops(threads, dtype)) for dtype in ("float32", "bfloat16")}
    frames = report.contract.frames
    return {**roofline(graph_flops_per_frame(str(float_path), frames), rates, fps_median, float(np.median(best_eager))),
            "case": case, "model": report.contract.model, "resolution": report.contract.resolution,
            "parity_vs_nvlabs_db": psnr_db(reference["img"], got, 2.0), "fps_rounds": rows,
            "fps_median": fps_median, "best_eager_rounds": best_eager,
            "ratio_rounds": ratios, "ratio_median": {k: float(np.median(v)) for k, v in ratios.items()},
            "unstable": [k for k, v in {**rows, **ratios}.items() if spread(v) > UNSTABLE],
            "refused": refused, "checked_psnr_db": checked, "load_before": load_before, "load_after": load_after}


def markdown(rows: list[dict], machine: dict, threads: int, rounds: int, seconds: float) -> str:
    lines = ["# StyleGAN on the CPU: ganrt vs NVlabs' eager PyTorch", "",
             f"`python benchmarks/stylegan_speed.py --repos DIR` on {machine['cpu']} ({machine['cores']} cores, "
             f"{', '.join(machine['cpu_features'])}), {threads} threads for every contestant, batch 1, "
             f"{rounds} alternating rounds of {seconds:g} s, commit {machine['commit']}. Random weights built by "
             f"NVlabs' code; ganrt exports the same pickle (FP32, rgba8 frames). Baseline: their `G_ema(z, c, 1.0, "
             f"noise_mode='const', force_fp32=True)`, eager, float frames. Ratios are per round, then the median.",
             "NVlabs' eager path runs at the same threads and at 1 thread; each round's ratio is against the "
             "better of the two (torch's OpenMP pool can lose most of its speed when the cores are shared).",
             "StyleGAN-V (`sgv-256`, universome/stylegan-v's own code at its 256x256 configs' widths: channel_base "
             "16384, z/w/motion 512, time_enc.dim 256): its `G_ema(z, c, t, motion_z=..., truncation_psi=1, "
             "noise_mode='const', force_fp32=True)` for 8 frames a call against ganrt's timed export (T = 8). "
             "Rows measured at an earlier commit: " + ", ".join(sorted({f"{r['model']} {r['commit']}" for r in rows
                                                                       if r.get("commit") != machine["commit"]}))
             + ".",
             "", "| model | contestant | frames/s (median) | rounds | vs the original's eager, best (median of rounds) "
             "| GFLOP/s | of the roofline | unstable |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for name, fps in r["fps_median"].items():
            ratio = f"{r['ratio_median'][name]:.2f}x" if name in r["ratio_median"] else "baseline"
            share = r["share_of_roofline"].get(name)
            lines.append(f"| {r['model']} {r['resolution']}x{r['resolution']} | {name} | {fps:.2f} | "
                         f"{', '.join(f'{v:.2f}' for v in r['fps_rounds'][name])} | {ratio} | "
                         f"{fps * r['gflop_per_frame']:.0f} | {f'{100 * share:.0f} %' if share else '-'} | "
                         f"{'yes' if name in r['unstable'] else 'no'} |")
    lines += ["", "ganrt's FP32 export of each pickle against NVlabs' eager output for the same z (PSNR over "
              "[-1, 1]): " + ", ".join(f"{r['model']} {r['parity_vs_nvlabs_db']:.1f} dB" for r in rows) + ". "
              "openvino:bf16 (on CPUs with AMX/AVX512-BF16) is checked against FP32 before use by the backend.", ""]
    lines += [f"- {r['model']}: {name} not measured: the backend refused it ({why})" for r in rows
              for name, why in r.get("refused", {}).items()]
    lines += [f"- {r['model']}: {name} passed the backend's check against FP32 at {db:.1f} dB" for r in rows
              for name, db in r.get("checked_psnr_db", {}).items()]
    lines += [f"- {r['model']}: load average {r['load_before'][0]:.1f} before its rounds, {r['load_after'][0]:.1f} after "
              f"(2 cores; other engineers' work shares them)" for r in rows if "load_before" in r]
    lines += ["",
              "**The roofline.** torch's matrix multiply on the same threads, measured after each model's rounds "
              "(a noisy figure on a shared machine: the rate a model's row uses is named in it; rows measured since "
              "StyleGAN-V keep the better of a measurement before and one after their rounds). Against it:"]
    for r in rows:
        ceiling, rates = r["fp32_ceiling_ratio"], r["gemm_gflops"]
        lines.append(f"- {r['model']} {r['resolution']}x{r['resolution']}: {r['gflop_per_frame']:.1f} GFLOP per "
                     f"frame; sgemm {rates['float32']:.0f} GFLOP/s (bf16 {rates['bfloat16'] or 0:.0f}), so an FP32 "
                     f"engine that computes these convolutions directly at the full sgemm rate makes "
                     f"{rates['float32'] / r['gflop_per_frame']:.2f} frames/s: at most **{ceiling:.2f}x** "
                     f"{'its own' if r['model'] == 'stylegan-v' else 'NVlabs'} eager path (median), which itself reaches "
                     f"{100 * max(v for k, v in r['share_of_roofline'].items() if '-eager-' in k):.0f} % "
                     f"of that rate." + ceiling_share(r) if ceiling else f"- {r['model']}: no roofline (torch missing)")
    return "\n".join(lines) + "\n"


def ceiling_share(row: dict) -> str:
    """OpenVINO FP32's ratio as a share of the FP32 ceiling (the issue's target: 80 %)."""
    ratio = row["ratio_median"].get("openvino")
    if ratio is None or not row["fp32_ceiling_ratio"]:
        return ""
    return (f" OpenVINO FP32 at {ratio:.2f}x is {100 * ratio / row['fp32_ceiling_ratio']:.0f} % of that ceiling"
            + (f" ({row['frames_per_call']} frames a call)." if row.get("frames_per_call", 1) > 1 else "."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=Path, help="checkouts of both repositories (needed unless --markdown-only)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and contestant")
    parser.add_argument("--cases", default=",".join(CASES + SGV_CASES))
    parser.add_argument("--sgv-deps", type=Path, help="folder with omegaconf and scipy for StyleGAN-V's code")
    parser.add_argument("--markdown-only", action="store_true",
                        help="rewrite the .md from the .json record already there (no measuring)")
    args = parser.parse_args()
    if args.markdown_only:
        path = ROOT / "benchmarks" / "results" / "stylegan-speed.json"
        record = json.loads(path.read_text())
        path.with_suffix(".md").write_text(markdown(record["rows"], record["machine"], record["threads"],
                                                    record["rounds"], record["seconds"]))
        return
    if args.repos is None:
        parser.error("--repos DIR is needed to measure")
    machine, path = machine_info(), ROOT / "benchmarks" / "results" / "stylegan-speed.json"
    old = json.loads(path.read_text()) if path.is_file() else {}  # cases not run keep their rows
    rows = [{**r, "commit": r.get("commit", old["machine"]["commit"])} for r in old.get("rows", [])
            if r["case"] not in args.cases.split(",")]
    with tempfile.TemporaryDirectory(prefix="stylegan-speed-") as tmp:
        for case in args.cases.split(","):  # the record is rewritten after each case: a cut run keeps its rows
            rows.append({**measure(case, args.repos, Path(tmp), args.threads, args.rounds, args.seconds, args.sgv_deps),
                         "commit": machine["commit"]})
            record = {"machine": machine, "threads": args.threads, "rounds": args.rounds, "seconds": args.seconds,
                      "rows": rows}
            write_record(ROOT / "benchmarks" / "results", "stylegan-speed", record,
                         markdown(rows, machine, args.threads, args.rounds, args.seconds))
            print("wrote benchmarks/results/stylegan-speed.{json,md}", flush=True)


if __name__ == "__main__":
    main()
