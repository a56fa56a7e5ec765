"""How a network pickle is built, as comparable facts: pickle protocol, the globals it names,
persistence meta keys, a layer's state keys, the Generator's kwargs layout, and the layout of a
tensor blob. Used by stylegan_parity.py to hold the CI fixture writer (tests/stylegan_pickles.py)
against pickles NVlabs' code wrote. Reads with pickletools and ganrt's data-only reader: no
code from either pickle runs."""

from __future__ import annotations

import io
import pickle
import pickletools
import struct
from pathlib import Path

from ganrt.netpickle import reader


def globals_of(data: bytes) -> tuple[int, set[str]]:
    """(protocol, {module.name}) of a pickle stream, STACK_GLOBAL names resolved through the memo."""
    memo, pushed, protocol, found = {}, [], 0, set()
    for op, arg, _ in pickletools.genops(data):
        if op.name == "PROTO":
            protocol = arg
        elif op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("BINGET", "LONG_BINGET"):
            pushed.append(memo.get(arg))
        elif op.name in ("GLOBAL",):
            found.add(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            found.add(f"{pushed[-2]}.{pushed[-1]}")
            pushed.append(None)
        else:
            pushed.append(arg if isinstance(arg, str) else None)
        pushed = pushed[-4:]
    return protocol, found


def records_of(path: Path) -> list[dict]:
    """Every persistence meta dict of the pickle, in order (captured while the data-only reader runs)."""
    captured = []
    original = reader.ALLOWED[("torch_utils.persistence", "_reconstruct_persistent_obj")]
    names = [name for name, found in reader.ALLOWED.items() if found is original]  # StyleGAN-V's src. too

    def spy(meta):
        captured.append(meta)
        return original(meta)

    reader.ALLOWED.update({name: spy for name in names})
    try:
        data = reader.read_pickle(path)
    finally:
        reader.ALLOWED.update({name: original for name in names})
    return captured, data


class _Blob(pickle.Unpickler):
    def find_class(self, module, name):
        return f"{module}.{name}"

    def persistent_load(self, pid):
        return pid


def blob_layout(data: bytes) -> str:
    """The first tensor blob's sequence of parts, e.g. 'magic, 1001, sys_info[...], pid(...), keys[1], int64 + data'."""
    blob = next(arg for op, arg, _ in pickletools.genops(data) if op.name in ("BINBYTES", "SHORT_BINBYTES")
                and arg[:2] == b"\x80\x02")
    f = io.BytesIO(blob)
    magic, proto, sys_info, pid, keys = (_Blob(f).load() for _ in range(5))
    (numel,) = struct.unpack("<q", f.read(8))
    rest = len(blob) - f.tell()
    pid_form = f"({pid[0]}, {pid[1]}, key, {pid[3]}, numel, {pid[5]})"
    return (f"magic {magic == 0x1950A86A20F9469CFC6C}, protocol {proto}, sys_info {sorted(sys_info)}, "
            f"pid {pid_form}, keys x{len(keys)}, int64 numel then {'numel x 4 bytes' if rest == numel * 4 else rest}")


def facts(path: Path) -> dict[str, str]:
    raw = path.read_bytes()
    protocol, names = globals_of(raw)
    metas, data = records_of(path)
    layer = next(m for m in metas if m["class_name"] == "SynthesisLayer")
    generator = next(m for m in metas if m["class_name"] == "Generator")
    kwargs = generator["state"]["_init_kwargs"]
    return {"pickle protocol": str(protocol),
            "globals": ", ".join(sorted(n for n in names if not n.startswith("torch._utils") or True)),
            "persistence meta keys": ", ".join(sorted(metas[0])),
            "persistence version": str(sorted({m["version"] for m in metas})),
            "a layer's torch state keys": ", ".join(k for k in layer["state"] if k.startswith("_")),
            "Generator kwargs": ", ".join(f"{k}{'{...}' if isinstance(v, dict) else ''}" for k, v in kwargs.items()),
            "kwargs dict types": ", ".join(sorted({type(v).__name__ for v in kwargs.values() if isinstance(v, dict)})),
            "tensor blob": blob_layout(raw), **(stylegan_v_facts(data) if "cfg" in kwargs else {})}


def stylegan_v_facts(data: dict) -> dict[str, str]:
    """What a StyleGAN-V snapshot adds: its entries, the config nodes' state, an interpolation as stored,
    the motion mapping's container, what the skipped entries were read as."""
    record = data["G_ema"]
    cfg = record.kwargs["cfg"]
    motion = cfg.state["_content"]["motion"].state["_content"]["motion_z_distance"]
    encoder = record.modules["synthesis"].modules["motion_encoder"]
    return {"snapshot entries": ", ".join(data),
            "config node state keys": ", ".join(sorted(cfg.state)),
            "motion_z_distance as stored": f"{type(motion).__name__} {motion.state.get('_val')}",
            "motion mapping container": f"{encoder.modules['conv'].class_name} of "
                                        f"{', '.join(m.class_name for m in encoder.modules['conv'].modules.values())}",
            "G_opt, D's time encoder read as": f"{type(data['G_opt']).__name__}, "
                                               f"{data['D'].modules['time_encoder'].name}"}


def compare_structure(real: list[Path], work: Path) -> list[dict]:
    """Facts of each real pickle next to those of a fixture written like it."""
    from stylegan_pickles import make_generator, write_snapshot
    from stylegan_v_pickles import make_stylegan_v, write_stylegan_v_snapshot

    out = []
    for path in real:
        sg3 = path.name.startswith("sg3")
        if path.name.startswith("sgv"):
            fixture = write_stylegan_v_snapshot(make_stylegan_v(c_dim=3), work / f"fixture-{path.stem}.pkl")
        else:
            fixture = write_snapshot(make_generator("stylegan3" if sg3 else "stylegan2"),
                                     work / f"fixture-{path.stem}.pkl", nested=not sg3, numpy1="numpy1" in path.name)
        ours, theirs = facts(fixture), facts(path)
        for key in theirs:
            same = ours[key] == theirs[key]
            item = {"property": f"{path.stem}: {key}", "nvlabs": theirs[key], "fixture": ours[key], "same": same}
            if not same and key == "Generator kwargs":
                item["why"] = "same layout, the fixture's own config values (architecture etc.)"
            out.append(item)
    return out
