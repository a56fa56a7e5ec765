import json
from dataclasses import replace

import pytest

from ganrt.bench.flops import graph_flops_per_frame
from ganrt.bench.report import ratio_line
from ganrt.bench.results import LatencyStats, spread
from ganrt.bench.run import Contestant
from ganrt.cli import main
from ganrt.runtime.backends.select import demo_model


def test_bench_cli_records_json_and_plot(tmp_path, capsys):
    out, png = tmp_path / "b.json", tmp_path / "b.png"
    assert main(["bench", "--duration", "0.6", "--warmup", "0.1", "--rounds", "2", "--backends", "ort-cpu,torch",
                 "--threads", "1", "--json", str(out), "--plot", str(png)]) == 0
    (report,) = json.loads(out.read_text())["reports"]
    by = {r["backend"]: r for r in report["results"]}
    assert set(by) == {"ort-cpu", "torch"}
    assert by["ort-cpu"]["model"] == "demo.onnx" and by["torch"]["model"] == "demo.pt"
    for r in by.values():
        lat = r["latency_ms"]
        assert 0 < lat["min"] <= lat["median"] <= lat["p90"] <= lat["p99"] <= lat["max"]
        assert r["throughput_fps"] > 0 and r["stream_fps"] > 0 and r["calls"] > 0 and r["threads"] == 1
        assert len(r["bare_fps_rounds"]) == len(r["stream_fps_rounds"]) == 2
        assert r["device_timing"] is None and "do not apply" in r["device_timing_note"]
    assert report["threads"] == {"backend": 1, "producer": 1, "consumer": 1}
    assert report["machine"]["cores"] >= 1 and report["sgemm_gflops"] > 0 and "cpu_features" in report["machine"]
    assert png.stat().st_size > 1000
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("backend "))
    assert header.split() == ["backend", "median", "ms", "p99", "ms", "bare", "loop", "frames/s", "FrameStream",
                              "frames/s", "trust"]  # the terminal's compact table, not the file's markdown
    assert "|---" not in printed and any(line.startswith("ort-cpu ") for line in printed.splitlines())


def test_bench_keeps_what_it_measured(tiny_checkpoints, tmp_path, capsys):
    from ganrt.export import ExportOptions, export_checkpoint

    fixed = export_checkpoint(tiny_checkpoints["mocogan"], tmp_path / "b1.onnx", ExportOptions(batch=1)).path
    out = tmp_path / "b.json"
    assert main(["bench", str(fixed), "--backends", "ort-cpu", "--batch", "1", "4", "--duration", "0.2",
                 "--warmup", "0.05", "--rounds", "1", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    assert [r["results"][0]["batch"] for r in record["reports"]] == [1]
    assert len(record["not_measured"]) == 1 and "batch 4" in record["not_measured"][0]
    assert "not measured: batch 4" in capsys.readouterr().err


def measure_rounds(sleep_per_round: list[float]):
    """Real ort-cpu bare-loop rounds of the demo, each call slowed by a sleep (the sleep dominates,
    so rounds with equal sleeps agree even on a loaded machine)."""
    import time

    contestant = Contestant(str(demo_model("onnx")), "ort-cpu", 1, 1)
    run = contestant.backend.run
    try:
        for sleep in sleep_per_round:
            contestant.backend.run = lambda binding, s=sleep: (run(binding), time.sleep(s))
            contestant.bare(0.02, 0.3)
            contestant.backend.run = run
            contestant.stream_rounds.append(contestant.bare_rounds[-1])  # pair each round with itself
        return contestant.result(1, 1.0)
    finally:
        contestant.close()


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_unstable_rounds_are_flagged_and_steady_ones_are_not():
    steady = measure_rounds([0.01, 0.01, 0.01])
    assert spread(steady.bare_fps_rounds) < 0.2 and steady.trusted, steady.bare_fps_rounds
    disturbed = measure_rounds([0.01, 0.04, 0.01])
    assert "bare loop" in disturbed.unstable and not disturbed.trusted
    faulty = replace(steady, stream_fps_rounds=[1.5 * f for f in steady.bare_fps_rounds],
                     stream_fps=1.5 * steady.throughput_fps)
    assert faulty.fault and "1.50x its own bare loop" in faulty.fault


def test_ratios_are_not_printed_from_untrusted_figures():
    from ganrt.bench.results import BenchReport

    steady = measure_rounds([0.01, 0.01])
    # torch 3x faster in round 2 only, bare and stream alike: its own rounds agree with each other, its ratio to
    # ort-cpu does not
    triple = lambda rounds: [rounds[0], 3 * rounds[1]]  # noqa: E731
    shaky = replace(steady, backend="torch", stream_fps_rounds=triple(steady.stream_fps_rounds),
                    bare_fps_rounds=triple(steady.bare_fps_rounds))
    report = BenchReport(model="demo.onnx", machine={}, warmup_s=0, duration_s=0, rounds=2, flops_per_frame=1,
                         sgemm_gflops=None, results=[steady, shaky])
    line = ratio_line(report, "ort-cpu", "torch")
    assert "not given, its rounds disagree" in line and "rerun on a quiet machine" in line
    assert ratio_line(report, "ort-cpu", "ort-cpu") == "ort-cpu and ort-cpu run at the same rate (FrameStream, median of rounds)"
    half = replace(steady, backend="torch", stream_fps_rounds=[f / 2 for f in steady.stream_fps_rounds])
    both = replace(report, results=[half, steady])
    assert ratio_line(both, "torch", "ort-cpu") == "ort-cpu is 2.00x faster than torch (FrameStream, median of rounds)"


def test_flops_of_the_demo_graph():
    # 32x32 decoder of width 16: ConvTranspose 128->64 (8x8), 64->32 (16x16), 32->16 (32x32) + RGB conv
    flops = graph_flops_per_frame(str(demo_model("onnx")), 8)
    expected_convs = 2 * 16 * (128 * 64 * 4 * 4 + 64 * 32 * 8 * 8 + 32 * 16 * 16 * 16) + 2 * 16 * 3 * 9 * 32 * 32
    assert expected_convs < flops < expected_convs * 1.3  # + the stem Gemm and the GRU


def test_latency_stats_order():
    stats = LatencyStats.of([0.001 * i for i in range(1, 101)])
    assert stats.min == 1 and stats.max == 100 and abs(stats.median - 50.5) < 1e-9
    assert spread([1.0]) == 0 and spread([90.0, 100.0, 110.0]) == pytest.approx(0.2)
    # 4+ rounds: the interquartile range, so one disturbed round does not decide
    assert spread([100.0, 101.0, 99.0, 100.0, 40.0]) == pytest.approx(0.01)
