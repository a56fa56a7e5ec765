"""ganrt's StyleGAN exports against NVlabs' own code, same weights.

    python scripts/stylegan_parity.py --repos DIR [--work DIR] [--cases sg2ada,sg3-t,...]

DIR holds checkouts of NVlabs' stylegan2-ada-pytorch and stylegan3 (as DIR/stylegan2-ada-pytorch,
DIR/stylegan3). For each case their code builds a small random-weight generator the way their
train.py and training loop do and pickles a snapshot (in --work, outside the repository: each
pickle embeds their source, under NVIDIA's licence; never commit one). ganrt exports it (FP32
and FP16 ONNX, read as data: no code from the pickle runs) and ONNX Runtime's frames are
compared with G_ema(z, c, psi, noise_mode='const', force_fp32=True) at psi 1.0 and 0.7.
A "wrong image" control (NVlabs' frame for another z) shows how far below the bar a wrong
image lands. Also records how the CI fixture writer's pickles compare with a real one.
Writes benchmarks/results/stylegan-parity.{json,md}.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from ganrt.bench.machine import machine_info  # noqa: E402
from ganrt.bench.results import write_record  # noqa: E402
from ganrt.export import ExportOptions, export_stylegan  # noqa: E402
from ganrt.export.checks import cpu_session  # noqa: E402
from ganrt.imaging import psnr_db  # noqa: E402
from pickle_structure import compare_structure  # noqa: E402

SIDE = Path(__file__).resolve().parent / "stylegan_nvlabs_side.py"
REPO_OF = {"sg2ada": "stylegan2-ada-pytorch", "sg3": "stylegan3"}
CASES = {  # case: what it stands for
    "sg2ada": "stylegan2-ada-pytorch, unconditional (config-f-like skip generator, conv_clamp 256)",
    "sg2ada-cond": "stylegan2-ada-pytorch, conditional (5 classes)",
    "sg2ada-numpy1": "stylegan2-ada-pytorch, pickled under numpy 1 (numpy.core.* names)",
    "sg2ada-aug": "stylegan2-ada-pytorch with a real AugmentPipe (bgc) in the snapshot",
    "sg3-stylegan2": "stylegan3 repository, --cfg=stylegan2 (its own networks_stylegan2)",
    "sg3-t": "stylegan3 repository, StyleGAN3-T, with a real AugmentPipe",
    "sg3-r": "stylegan3 repository, StyleGAN3-R (1x1 convs, radial filters), conditional (3 classes)",
}
PSIS = (1.0, 0.7)
SAMPLES = 8
FP32_BAR, FP16_BAR = 40.0, 30.0


def nvlabs(repos: Path, case: str, *args: str, numpy1: Path | None = None) -> str:
    """Run NVlabs' side of this script inside the case's repository checkout."""
    env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "2", **({"PYTHONPATH": str(numpy1)} if numpy1 else {})}
    repo = repos / REPO_OF[case.split("-")[0]]
    result = subprocess.run([sys.executable, str(SIDE), *args], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=900)
    if result.returncode:
        raise RuntimeError(f"{case}: NVlabs side failed: {result.stderr.strip().splitlines()[-1]}")
    return result.stdout


def numpy1_path(work: Path) -> Path | None:
    """A folder with numpy 1.x for the numpy-1 case (pip --target; None when pip cannot fetch it)."""
    target = work / "numpy1"
    if not (target / "numpy").is_dir():
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(target), "numpy<2"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            return None
    return target


def make_inputs(c_dim: int, z_dim: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    z = rng.standard_normal((SAMPLES, z_dim), dtype=np.float32)
    c = np.eye(max(c_dim, 1), dtype=np.float32)[np.arange(SAMPLES) % max(c_dim, 1)][:, :c_dim]
    out = {}
    for psi in PSIS:
        tag = f"{psi:g}".replace(".", "p")
        out.update({f"z_{tag}": z, f"c_{tag}": c, f"psi_{tag}": np.float32(psi)})
    return out


def run_case(case: str, repos: Path, work: Path) -> dict:
    started = time.perf_counter()
    np1 = numpy1_path(work) if case.endswith("numpy1") else None
    if case.endswith("numpy1") and np1 is None:
        return {"case": case, "skipped": "numpy<2 could not be installed with pip (offline?)"}
    pkl = work / f"{case}.pkl"
    made = nvlabs(repos, case, "make", case, str(pkl), numpy1=np1)
    exports = {}
    for precision in ("fp32", "fp16"):
        out = work / f"{case}-{precision}.onnx"
        opts = ExportOptions(precision=precision, output="float", dynamic_batch=True, force=True,
                             check=precision == "fp32")  # FP16 is measured against NVlabs below
        exports[precision] = export_stylegan(pkl, out, opts)
    contract = exports["fp32"].contract
    io = work / f"{case}-io.npz"
    np.savez(io, **make_inputs(contract.dims.get("c", 0), contract.dims["z"]))
    nvlabs(repos, case, "run", str(pkl), str(io))
    data = dict(np.load(io))
    row = {"case": case, "what": CASES[case], "model": contract.model, "resolution": contract.resolution,
           "numpy_of_pickle": made.strip().split('"numpy": "')[-1].split('"')[0], "by_psi": {}}
    for psi in PSIS:
        tag = f"{psi:g}".replace(".", "p")
        feeds = {"z": data[f"z_{tag}"], "psi": np.full(SAMPLES, psi, np.float32)}
        if "c" in contract.input_names:
            feeds["c"] = data[f"c_{tag}"]
        reference = data[f"img_{tag}"]
        result = {"image_std": float(reference.std()),
                  "wrong_image_db": psnr_db(reference, np.roll(reference, 1, axis=0), 2.0)}
        for precision, report in exports.items():
            got = cpu_session(str(report.path)).run(None, feeds)[0][:, 0]
            result[f"{precision}_db"] = psnr_db(reference, got, 2.0)
            result[f"{precision}_max_abs"] = float(np.abs(reference - got).max())
        row["by_psi"][f"{psi:g}"] = result
    row["passed"] = all(r["fp32_db"] >= FP32_BAR and r["fp16_db"] >= FP16_BAR for r in row["by_psi"].values())
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def markdown(rows: list[dict], structure: list[dict], machine: dict) -> str:
    lines = ["# StyleGAN parity: ganrt's ONNX vs NVlabs' own code, same weights", "",
             f"Generated by `python scripts/stylegan_parity.py --repos DIR` on {machine['cpu']} "
             f"({machine['cores']} cores), commit {machine['commit']}. Small random-weight generators (32x32, "
             f"z/w 64, channels <= 64 (128 for R)) built by NVlabs' code the way their train.py does, weights moved "
             f"away from init, output std near 0.5. Reference: `G_ema(z, c, psi, noise_mode='const', "
             f"force_fp32=True)` on CPU; ganrt: ONNX Runtime CPU on the exported graph; {SAMPLES} samples per psi. "
             f"PSNR over [-1, 1] (peak-to-peak 2). Bars: FP32 >= {FP32_BAR:g} dB, FP16 >= {FP16_BAR:g} dB. "
             f"'wrong image': NVlabs' own frames against the frames of another z, what a wrong export would score.",
             "", "| case | model | psi | image std | FP32 PSNR (dB) | FP32 max abs | FP16 PSNR (dB) | wrong image (dB) "
             "| pass |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['case']} | not run: {row['skipped']} | | | | | | | |")
            continue
        for psi, r in row["by_psi"].items():
            lines.append(f"| {row['case']} | {row['model']} | {psi} | {r['image_std']:.2f} | {r['fp32_db']:.1f} | "
                         f"{r['fp32_max_abs']:.1e} | {r['fp16_db']:.1f} | {r['wrong_image_db']:.1f} | "
                         f"{'yes' if row['passed'] else 'NO'} |")
    lines += ["", "Cases: " + "; ".join(f"`{r['case']}`: {r.get('what', '')}" for r in rows), "",
              "## The CI fixture writer against a real NVlabs pickle", "",
              "tests/stylegan_pickles.py writes the pickles CI uses, from ganrt's own modules. Compared here with "
              "the snapshots NVlabs' code wrote above:", "", "| property | NVlabs | fixture writer | same |",
              "|---|---|---|---|"]
    for item in structure:
        lines.append(f"| {item['property']} | {item['nvlabs']} | {item['fixture']} | "
                     f"{'yes' if item['same'] else 'no: ' + item.get('why', '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", required=True, type=Path, help="folder with stylegan2-ada-pytorch and stylegan3")
    parser.add_argument("--work", type=Path, help="where pickles and ONNX files go (default: a temp folder)")
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="stylegan-parity-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        for case in args.cases.split(","):
            rows.append(run_case(case, args.repos, work))
            print(rows[-1], flush=True)
        real = [work / f"{c}.pkl" for c in ("sg2ada-aug", "sg3-t", "sg2ada-numpy1") if (work / f"{c}.pkl").is_file()]
        structure = compare_structure(real, work) if real else []
    machine = machine_info()
    record = {"machine": machine, "bars_db": {"fp32": FP32_BAR, "fp16": FP16_BAR}, "rows": rows,
              "fixture_structure": structure}
    write_record(ROOT / "benchmarks" / "results", "stylegan-parity", record, markdown(rows, structure, machine))
    print("wrote benchmarks/results/stylegan-parity.{json,md}")
    sys.exit(0 if all(r.get("passed", True) for r in rows) else 1)


if __name__ == "__main__":
    main()
