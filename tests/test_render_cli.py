"""`ganrt render`, `view` (file fallback), `doctor`, backend choice, and a torch-free runtime."""

import subprocess
import sys
import textwrap

import imageio.v2 as imageio
import pytest

from ganrt.cli import main
from ganrt.errors import BackendError, UsageError
from ganrt.runtime import open_backend


def test_render_mp4_of_the_demo(tmp_path, capsys):
    out = tmp_path / "demo.mp4"
    assert main(["render", "-o", str(out), "--seconds", "2"]) == 0
    reader = imageio.get_reader(str(out))
    assert reader.get_meta_data()["fps"] == 15 and reader.count_frames() == 30
    first, last = reader.get_data(0), reader.get_data(29)
    assert first.shape == (256, 256, 3) and (first != last).any()
    from ganrt.optional import installed

    assert f"backend {'openvino' if installed('openvino') else 'ort-cpu'}" in capsys.readouterr().out


def test_render_gif_grid_and_folder(tmp_path):
    assert main(["render", "-o", str(tmp_path / "g.gif"), "--seconds", "1", "--grid", "4"]) == 0
    first = imageio.mimread(str(tmp_path / "g.gif"))[0]
    assert first.shape[:2] == (256 + 16, 256 + 16)  # 2x2 tiles of 128 px, 16-px separators between
    assert (first[128:144, :, :3] == 48).all() and (first[:, 128:144, :3] == 48).all()
    assert main(["render", "-o", str(tmp_path / "frames") + "/", "--seconds", "0.5", "--fps", "30"]) == 0
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 15


def test_render_bad_inputs(tmp_path, capsys):
    assert main(["render", "-o", str(tmp_path / "x.avi")]) == 2
    assert "expected .mp4, .gif or a folder (DIR/)" in capsys.readouterr().err
    assert main(["render", str(tmp_path / "missing.onnx"), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "no such model file" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.mp4"))


def test_view_without_a_display_renders_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    out = tmp_path / "v.mp4"
    assert main(["view", "-o", str(out), "--seconds", "0.5"]) == 0
    assert out.is_file() and "no window" in capsys.readouterr().out


def test_doctor_says_what_runs_and_why_not(capsys):
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_name = {line.split()[1]: line for line in lines}
    assert by_name["ort-cpu"].startswith("ok")
    for name in ("ort-cuda", "tensorrt", "tensorrt-rtx", "cuda"):  # no GPU on CI: each says why
        assert name in by_name and len(by_name[name].split(None, 2)[2]) > 10


def test_auto_reports_why_not_cuda():
    choice = open_backend(None, "auto")
    assert choice.backend.name in ("openvino", "ort-cpu", "ort-cuda")
    if choice.backend.name != "ort-cuda":
        assert "ort-cuda not used:" in choice.reason
    choice.backend.close()


def test_explicit_backend_never_falls_back():
    try:
        import onnxruntime

        has_cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    except ImportError:
        has_cuda = False
    if has_cuda:
        pytest.skip("this machine has onnxruntime CUDA; the refusal is for machines without it")
    with pytest.raises(BackendError, match="ort-cuda cannot run here"):
        open_backend(None, "ort-cuda")
    with pytest.raises(UsageError, match="tensorrt backend plays .engine files"):
        open_backend(None, "tensorrt")


def test_runtime_and_render_never_import_torch(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from ganrt.playback_ui.options import PlaybackOptions
        from ganrt.render import render
        render(PlaybackOptions(), {str(tmp_path / 'x.gif')!r}, seconds=0.5, progress=False)
        assert "torch" not in sys.modules, "the runtime imported torch"
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_failed_render_keeps_the_old_file(tmp_path, monkeypatch):
    from ganrt.playback_ui.options import PlaybackOptions
    from ganrt.render import render
    from ganrt.runtime.stream import FrameStream

    out = tmp_path / "keep.mp4"
    out.write_bytes(b"a good video")
    calls = {"n": 0}
    original = FrameStream.take

    def take_then_fail(self, timeout=10.0):  # the stream breaks after a few frames
        calls["n"] += 1
        if calls["n"] > 5:
            raise BackendError("device lost")
        return original(self, timeout)

    monkeypatch.setattr(FrameStream, "take", take_then_fail)
    with pytest.raises(BackendError, match="device lost"):
        render(PlaybackOptions(), out, seconds=2, progress=False)
    assert out.read_bytes() == b"a good video"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]  # no temp file left


def test_output_names_the_checkpoint_and_says_the_backend_once(tiny_checkpoints, tmp_path, capsys, caplog):
    import logging

    caplog.set_level(logging.INFO)
    assert main(["render", str(tiny_checkpoints["dcgan"]), "-o", str(tmp_path / "x.gif"), "--seconds", "0.3"]) == 0
    printed = capsys.readouterr().out + "\n".join(caplog.messages)
    reasons = [line for line in printed.splitlines() if "on OpenVINO CPU" in line or "on onnxruntime CPU" in line]
    assert len(reasons) == 1 and ": dcgan.pt on " in reasons[0]  # once, naming the checkpoint, not its cache file
    assert "batch batch" not in printed and not any(r.name.startswith("OpenGL") for r in caplog.records)


def test_a_frames_folder_rendered_again_shorter_holds_only_the_new_frames(tmp_path, capsys):
    frames = tmp_path / "frames"
    assert main(["render", "-o", f"{frames}/", "--seconds", "1"]) == 0
    first = sorted(p.name for p in frames.iterdir())
    assert len(first) == 16 and first[0] == ".ganrt-frames" and first[-1] == "frame_000014.png"
    assert main(["render", "-o", str(frames), "--seconds", "0.2", "--seed", "5"]) == 0  # no slash: a folder too
    assert sorted(p.name for p in frames.iterdir()) == [".ganrt-frames", *(f"frame_{i:06d}.png" for i in range(3))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]  # neither temp folder nor the old one left


FOREIGN = {"a file of the user's": ["notes.txt", "frame_000000.png"],
           "frames ganrt did not mark": ["frame_000000.png"],
           "a hidden file": [".DS_Store"]}


@pytest.mark.parametrize("what", FOREIGN)
def test_a_folder_ganrt_did_not_write_is_refused_before_any_work(what, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in FOREIGN[what]:
        (folder / name).write_text("the user's")
    assert main(["render", str(tmp_path / "missing.onnx"), "-o", f"{folder}/"]) == 2  # before the model is read
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{folder}/: a folder ganrt did not write" in err and "remove this one" in err
    assert sorted(p.name for p in folder.iterdir()) == sorted(FOREIGN[what])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_link_to_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert main(["render", "-o", f"{tmp_path / 'link'}/", "--seconds", "0.2"]) == 2
    assert f"link/: a link; pass the folder it points to ({tmp_path / 'real'})" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"] and not list((tmp_path / "real").iterdir())


def test_an_empty_folder_takes_the_frames(tmp_path):
    (tmp_path / "empty").mkdir()
    assert main(["render", "-o", str(tmp_path / "empty"), "--seconds", "0.2"]) == 0
    assert len(list((tmp_path / "empty").glob("frame_*.png"))) == 3


@pytest.mark.parametrize("command", ["render", "view"])
@pytest.mark.parametrize("out", ["", ".", "./", ".."])
def test_the_current_folder_is_never_a_frames_folder(command, out, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main([command, "-o", out, "--seconds", "0.2"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "the current folder cannot hold the frames" in captured.err
    assert "no window" not in captured.out  # refused before any work
    assert sorted(tmp_path.rglob("*")) == [tmp_path / "here"]
