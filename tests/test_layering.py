"""The house has one direction of imports: models <- export <- runtime <- playback_ui <- the resolver
(playable, playback_open: what the user named -> a playing stream) <- viewer | web | render | farm |
bench, cli on top; the two front ends (viewer, web) never import each other; contract, errors, fileio,
gpu, optional and trt are the low-level pieces everyone may use. No two modules import each other,
even inside a function."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ganrt"


def runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:` (type names only: no import at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


def imported_ganrt_modules(folder: str, typing_too: bool = True) -> dict[str, set[str]]:
    """{file: absolute ganrt module names it imports}, relative imports resolved; `typing_too`
    False leaves out the imports made for type names only."""
    found = {}
    for path in (PACKAGE / folder).rglob("*.py") if (PACKAGE / folder).is_dir() else [PACKAGE / folder]:
        package = ["ganrt", *path.relative_to(PACKAGE).parent.parts]
        names = set()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree) if typing_too else runtime_nodes(tree):
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
    ("contract_onnx.py", ("ganrt.runtime", "ganrt.export", "ganrt.models")),
    ("playback_ui", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.export", "ganrt.models", "ganrt.playable",
                     "ganrt.playback_open", "ganrt.farm")),
    ("playable.py", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.render", "ganrt.farm")),
    ("playback_open.py", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.render", "ganrt.farm")),
    ("viewer", ("ganrt.web", "ganrt.cli")),
    ("web", ("ganrt.viewer", "ganrt.cli", "ganrt.export", "ganrt.models")),
    ("bench", ("ganrt.viewer", "ganrt.web", "ganrt.cli", "ganrt.render", "ganrt.farm", "ganrt.playback_ui")),
    ("doctor.py", ("ganrt.cli", "ganrt.bench.run", "ganrt.bench.report")),  # machine info only
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


# ganrt.web from the bottom up: a module imports (at run time) only web modules of the layers
# below its own; the Hub composes the frame pump, the viewer registry and the capture service,
# which never import it (a viewer session names it as a type only), and only the adapter and
# the server know aiohttp.
WEB_LAYERS = [{"protocol", "encode", "security", "hub_states", "headless"}, {"flow"},
              {"viewers", "capture_service"}, {"pump"}, {"hub"}, {"aiohttp_app"}, {"server"}, {"__init__"}]


def test_the_web_core_is_layered():
    layer_of = {name: n for n, names in enumerate(WEB_LAYERS) for name in names}
    imports = imported_ganrt_modules("web", typing_too=False)
    assert {Path(f).stem for f in imports} == set(layer_of), "a new ganrt/web module: give it a layer here"
    for file, names in imports.items():
        own = layer_of[Path(file).stem]
        web = {n.split(".")[2] for n in names if n.startswith("ganrt.web.")} & set(layer_of)
        assert all(layer_of[n] < own for n in web), (file, sorted(web))
    for path in (PACKAGE / "web").glob("*.py"):
        if path.stem not in ("aiohttp_app", "server"):
            modules = {getattr(n, "module", None) or "" for n in ast.walk(ast.parse(path.read_text()))
                       if isinstance(n, ast.ImportFrom)}
            modules |= {a.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Import)
                        for a in n.names}
            assert not {m for m in modules if m.split(".")[0] == "aiohttp"}, path


def module_graph() -> dict[str, set[str]]:
    """{ganrt module: the ganrt modules it imports at run time, at any depth of the file}; a
    `from package import submodule` counts as the submodule."""
    files = {".".join(p.with_suffix("").relative_to(PACKAGE.parent).parts).removesuffix(".__init__"): p
             for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = ["ganrt", *path.relative_to(PACKAGE).parent.parts]
        deps = set()
        for node in runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                deps |= ({f"{module}.{a.name}" for a in node.names} & set(files)) or {module}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = deps & set(files) - {name}
    return graph


def test_no_import_cycles():
    """Tarjan's strongly connected components of the module graph: every one a single module."""
    graph, order, low, stack, cycles = module_graph(), {}, {}, [], []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in graph[module]:
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            component = stack[stack.index(module):]
            del stack[stack.index(module):]
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in order:
            visit(module)
    assert not cycles
