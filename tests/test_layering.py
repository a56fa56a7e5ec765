"""The house has one direction of imports: models <- export <- runtime <- viewer, cli on top;
contract, errors, fileio, gpu, optional and trt are the low-level pieces everyone may use."""

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
])
def test_no_upward_imports(folder, forbidden):
    wrong = {f: sorted(n for n in names if n.startswith(forbidden))
             for f, names in imported_ganrt_modules(folder).items()}
    assert not {f: n for f, n in wrong.items() if n}


def test_runtime_never_imports_the_exporter_or_above():
    wrong = {f: sorted(n for n in names if n.startswith(("ganrt.export", "ganrt.viewer", "ganrt.playable",
                                                           "ganrt.render", "ganrt.cli", "ganrt.bench")))
             for f, names in imported_ganrt_modules("runtime").items()}
    assert not {f: n for f, n in wrong.items() if n}


@pytest.mark.parametrize("consumer", ["viewer", "render.py", "farm"])
def test_consumers_open_streams_only_through_open_stream(consumer):
    """The viewer and render reach the runtime through ganrt.runtime.playback (types aside)."""
    for path in ((PACKAGE / consumer).rglob("*.py") if (PACKAGE / consumer).is_dir() else [PACKAGE / consumer]):
        text = path.read_text()
        assert "open_backend" not in text and "FrameStream(" not in text, path
