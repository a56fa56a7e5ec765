"""`ganrt doctor` on this machine: the OpenVINO line (what `auto` picks and why, bf16 on this CPU),
and TensorRT-RTX's two verdicts, builds here / runs here. Real imports, nothing mocked."""

from __future__ import annotations

import re
import time

import pytest

from ganrt.bench.machine import cpu_model_and_features
from ganrt.cli import main
from ganrt.gpu import device_available
from ganrt.optional import installed
from ganrt.trt.flavour import installed_flavour


def doctor_lines(capsys) -> list[tuple[str, str, str]]:
    """(verdict, name, detail) per line."""
    start = time.perf_counter()
    assert main(["doctor"]) == 0
    assert time.perf_counter() - start < 30  # it measures nothing
    out = capsys.readouterr().out
    assert not re.search(r"GFLOP|frames/s|\d+(\.\d+)?x\b", out)  # and quotes no figure
    return [tuple(line.split(None, 2)) for line in out.splitlines()]


@pytest.mark.skipif(not installed("openvino"), reason="openvino is not installed (pip install 'ganrt[openvino]')")
def test_doctor_shows_openvino_and_what_auto_picks(capsys):
    lines = {name: (verdict, detail) for verdict, name, detail in doctor_lines(capsys)}
    assert lines["openvino"][0] == "ok" and re.match(r"OpenVINO \d{4}\.\d", lines["openvino"][1])
    _, features = cpu_model_and_features()
    bf16_cpu = "amx_bf16" in features or "avx512_bf16" in features
    verdict, detail = lines["cpu-bf16"]
    assert ("AMX" in detail) == ("amx_bf16" in features) and ("neither" in detail) == (not bf16_cpu)
    if verdict == "ok":
        assert "try --cpu-precision bf16" in detail
    if lines["ort-cuda"][0] == "no":
        assert lines["auto"][1].startswith("an ONNX plays on openvino") and "ort-cuda is not usable" in lines["auto"][1]


@pytest.mark.skipif(installed_flavour("tensorrt-rtx") is None, reason="tensorrt-rtx is not installed")
def test_doctor_splits_rtx_builds_here_from_runs_here(capsys):
    rtx = [(verdict, detail) for verdict, name, detail in doctor_lines(capsys) if name == "tensorrt-rtx"]
    assert [detail.split(":")[0] for _, detail in rtx] == ["builds here", "runs here"]
    assert rtx[0][0] == "ok"
    if not device_available()[0]:
        assert rtx[1][0] == "no" and "cannot run engines" in rtx[1][1]
