"""The one-line answers to what a new user tries first: exporting what is already an ONNX, and
a --grid an engine was not built for (the fix is `ganrt build --batches`, not a re-export)."""

from __future__ import annotations

import json
import shutil

import pytest

from ganrt.cli import main
from ganrt.runtime.backends.select import demo_model
from ganrt.trt.flavour import installed_flavour
from ganrt.trt.sidecar import sidecar_path


def test_export_of_an_onnx_says_what_to_do_with_it(tmp_path, capsys):
    mine = shutil.copy(demo_model("onnx"), tmp_path / "mine.onnx")
    assert main(["export", str(mine), "-o", str(tmp_path / "again.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exported" in err and "not a readable checkpoint" not in err
    assert all(f"ganrt {verb} {mine}" in err for verb in ("view", "render", "bench", "build"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.onnx"]


@pytest.mark.rtx_build
@pytest.mark.skipif(installed_flavour("tensorrt-rtx") is None, reason="tensorrt-rtx is not installed")
def test_a_grid_the_engine_was_not_built_for_points_to_build_batches(tmp_path, capsys):
    engine = tmp_path / "demo.engine"
    assert main(["build", str(demo_model("onnx")), "-o", str(engine), "--batches", "1,1,4"]) == 0
    capsys.readouterr()
    assert main(["render", str(engine), "-o", str(tmp_path / "x.gif"), "--grid", "9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "built for batches 1 to 4, not 9" in err and "--batches 1,9,9" in err
    assert "re-export" not in err

    sidecar = json.loads(sidecar_path(engine).read_text())  # as if built from a batch-2 ONNX
    sidecar["batches"], sidecar["contract"]["batch"] = [2, 2, 2], 2
    for spec in sidecar["contract"]["inputs"] + sidecar["contract"]["outputs"]:  # a contract agrees with itself
        spec["shape"] = [2 if d == "batch" else d for d in spec["shape"]]
    sidecar_path(engine).write_text(json.dumps(sidecar))
    assert main(["render", str(engine), "-o", str(tmp_path / "x.gif"), "--grid", "3"]) == 2
    err = capsys.readouterr().err
    assert "built for batch 2, not 3" in err and "--dynamic-batch" in err and "ganrt build MODEL.onnx --batches" in err
    assert not (tmp_path / "x.gif").exists()
