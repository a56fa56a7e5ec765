"""The house has one direction of imports: models <- export <- runtime <- playback_ui <- the resolver
(playable, playback_open: what the user named -> a playing stream) <- viewer | web | render | farm,
cli on top; the two front ends (viewer, web) never import each other; contract, errors, fileio,
gpu, optional and trt are the low-level pieces everyone may use."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ganrt"


def imported_ganrt_modules(folder: str) -> dict[str, set[str]]:
    """{file: absolute ganrt module names it imports}, relative imports resolved."""
    found = {}
    for path in (PACKAGE / folder).rglob("*.py") if (PACKAGE / folder).is_dir() else [PACKAGE / folder]:
        package = ["ganrt", *path.relative_to(PACKAGE).parent.parts]
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(PACKAGE))] = {n for n in names if n.startswith("ganrt")}
    return found


@pytest.mark.parametrize("folder, forbidden", [
    ("export", ("ganrt.runtime", "ganrt.viewer", "ganrt.cli")),
    ("trt", ("ganrt.runtime", "ganrt.export", "ganrt.viewer", "ganrt.models")),
    ("gpu.py", ("ganrt.runtime", "ganrt.export", "ganrt.trt")),
    ("contract.py", ("ganrt.runtime", "ganrt.export", "ganrt.models")),
    ("playback_ui", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.export", "ganrt.models", "ganrt.playable",
                     "ganrt.playback_open", "ganrt.farm")),
    ("playable.py", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.render", "ganrt.farm")),
    ("playback_open.py", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.render", "ganrt.farm")),
    ("viewer", ("ganrt.web", "ganrt.cli")),
    ("web", ("ganrt.viewer", "ganrt.cli", "ganrt.export", "ganrt.models")),
    ("interrupts.py", ("ganrt",)),  # below fileio, which every layer may use
    ("fileio.py", ("ganrt.runtime", "ganrt.export", "ganrt.models", "ganrt.sink", "ganrt.video")),
    ("sink.py", ("ganrt.runtime", "ganrt.playback_ui", "ganrt.viewer", "ganrt.web", "ganrt.farm", "ganrt.cli")),
    ("video.py", ("ganrt.playback_ui", "ganrt.viewer", "ganrt.web", "ganrt.farm", "ganrt.cli", "ganrt.export")),
])
def test_no_upward_imports(folder, forbidden):
    wrong = {f: sorted(n for n in names if n.startswith(forbidden))
             for f, names in imported_ganrt_modules(folder).items()}
    assert not {f: n for f, n in wrong.items() if n}


def test_runtime_never_imports_the_exporter_or_above():
    wrong = {f: sorted(n for n in names if n.startswith(("ganrt.export", "ganrt.viewer", "ganrt.playable",
                                                           "ganrt.render", "ganrt.cli", "ganrt.bench",
                                                           "ganrt.playback_ui", "ganrt.web")))
             for f, names in imported_ganrt_modules("runtime").items()}
    assert not {f: n for f, n in wrong.items() if n}


@pytest.mark.parametrize("consumer", ["viewer", "web", "playback_ui", "render.py", "farm"])
def test_consumers_open_streams_only_through_open_playback(consumer):
    """The window, the page, render and render-many open what plays through one door,
    ganrt.playback_open.open_playback (the options checked once, the model resolved once)."""
    for path in ((PACKAGE / consumer).rglob("*.py") if (PACKAGE / consumer).is_dir() else [PACKAGE / consumer]):
        text = path.read_text()
        for other_door in ("open_backend", "FrameStream(", "open_stream(", "playable_model("):
            assert other_door not in text, (path, other_door)


def test_the_front_ends_share_their_playback_ui_instead_of_copying_it():
    """The HUD's words, the actions, the captures and the frame loop's bookkeeping live in
    ganrt.playback_ui only (the PlaybackSession); both front ends are thin over it."""
    for front_end in ("viewer", "web"):
        texts = "".join(path.read_text() for path in (PACKAGE / front_end).rglob("*.py"))
        assert "def hud_lines(stream" not in texts and "class Captures" not in texts and "KEY_ACTIONS = " not in texts
        assert "playback_ui.session" in texts and "playback_ui.actions" in texts
        # what the session owns is not written again: the fps meter, the on-screen record, the sleep
        assert "display_fps =" not in texts and "OnScreen(" not in texts and "on_publish =" not in texts
