import json

from ganrt.bench import LatencyStats, graph_flops_per_frame
from ganrt.cli import main
from ganrt.runtime.backends.select import demo_model


def test_bench_cli_records_json_and_plot(tmp_path, capsys):
    out, png = tmp_path / "b.json", tmp_path / "b.png"
    assert main(["bench", "--duration", "0.3", "--warmup", "0.1", "--json", str(out), "--plot", str(png)]) == 0
    (report,) = json.loads(out.read_text())
    by = {r["backend"]: r for r in report["results"]}
    assert set(by) == {"ort-cpu", "torch"}
    for r in by.values():
        lat = r["latency_ms"]
        assert 0 < lat["min"] <= lat["median"] <= lat["p90"] <= lat["p99"] <= lat["max"]
        assert r["throughput_fps"] > 0 and r["stream_fps"] > 0 and r["calls"] > 0
    assert report["machine"]["cores"] >= 1 and report["sgemm_gflops"] > 0
    assert png.stat().st_size > 1000
    assert "| ort-cpu" in capsys.readouterr().out


def test_flops_of_the_demo_graph():
    # 32x32 decoder of width 16: ConvTranspose 128->64 (8x8), 64->32 (16x16), 32->16 (32x32) + RGB conv
    flops = graph_flops_per_frame(str(demo_model("onnx")), 8)
    expected_convs = 2 * 16 * (128 * 64 * 4 * 4 + 64 * 32 * 8 * 8 + 32 * 16 * 16 * 16) + 2 * 16 * 3 * 9 * 32 * 32
    assert expected_convs < flops < expected_convs * 1.3  # + the stem Gemm and the GRU


def test_latency_stats_order():
    stats = LatencyStats.of([0.001 * i for i in range(1, 101)])
    assert stats.min == 1 and stats.max == 100 and abs(stats.median - 50.5) < 1e-9
