"""The NVlabs half of scripts/stylegan_parity.py: runs INSIDE a checkout of NVlabs'
stylegan2-ada-pytorch or stylegan3 (their code on sys.path), never imported by ganrt.

    python stylegan_nvlabs_side.py make CASE OUT.pkl     build G/D/G_ema(/augment_pipe) the way their
                                                       train.py + training loop do, random weights, pickle
    python stylegan_nvlabs_side.py run PKL IO.npz        G_ema(z, c, psi, noise_mode='const', force_fp32=True)
    python stylegan_nvlabs_side.py bench PKL THREADS OUT.npz   timed eager rounds, one per stdin line

Their code and the pickles it writes stay under NVIDIA's licence: the pickles are written
outside the repository and never committed.
"""

from __future__ import annotations

import copy
import json
import pickle
import sys
import types

import numpy as np


def shims() -> None:
    """stylegan3's ops import pkg_resources.parse_version, which current setuptools lacks; dnnlib
    imports requests (for downloads, never used here)."""
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        from packaging.version import parse as parse_version

        sys.modules["pkg_resources"] = types.SimpleNamespace(parse_version=parse_version)
    try:
        import requests  # noqa: F401
    except ImportError:
        sys.modules["requests"] = types.ModuleType("requests")


# Small generators (CPU, seconds), shaped like the official configs.
CASES = {
    "sg2ada": dict(cls="training.networks.Generator", res=32, c_dim=0, cbase=4096, cmax=64, map=8, aug=None),
    "sg2ada-cond": dict(cls="training.networks.Generator", res=32, c_dim=5, cbase=4096, cmax=64, map=8, aug=None),
    "sg2ada-numpy1": dict(cls="training.networks.Generator", res=32, c_dim=0, cbase=4096, cmax=64, map=8, aug=None),
    "sg2ada-aug": dict(cls="training.networks.Generator", res=32, c_dim=0, cbase=4096, cmax=64, map=2, aug="bgc"),
    "sg3-stylegan2": dict(cls="training.networks_stylegan2.Generator", res=32, c_dim=0, cbase=4096, cmax=64, map=8,
                          aug=None),
    "sg3-t": dict(cls="training.networks_stylegan3.Generator", res=32, c_dim=0, cbase=2048, cmax=64, map=2, aug="sg3"),
    "sg3-r": dict(cls="training.networks_stylegan3.Generator", res=32, c_dim=3, cbase=2048, cmax=64, map=2, aug=None),
    # speed record: 256x256 with the official widths (config-f-like StyleGAN2, StyleGAN3-T), z/w 512
    "sg2ada-256": dict(cls="training.networks.Generator", res=256, c_dim=0, cbase=32768, cmax=512, map=8, aug=None,
                       z=512),
    "sg3-t-256": dict(cls="training.networks_stylegan3.Generator", res=256, c_dim=0, cbase=32768, cmax=512, map=2,
                      aug=None, z=512),
}
BGC = dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1, brightness=1, contrast=1, lumaflip=1,
           hue=1, saturation=1)


def generator_kwargs(case: str, spec: dict, dnnlib):
    """G kwargs as each repository's train.py writes them for this config."""
    width = spec.get("z", 64)
    g = dnnlib.EasyDict(class_name=spec["cls"], z_dim=width, w_dim=width, mapping_kwargs=dnnlib.EasyDict())
    g.mapping_kwargs.num_layers = spec["map"]
    if case.startswith("sg2ada"):  # stylegan2-ada-pytorch: nested synthesis_kwargs
        g.synthesis_kwargs = dnnlib.EasyDict(channel_base=spec["cbase"], channel_max=spec["cmax"], num_fp16_res=4,
                                             conv_clamp=256)
        return g
    g.channel_base, g.channel_max, g.num_fp16_res, g.conv_clamp = spec["cbase"], spec["cmax"], 4, 256
    if case == "sg3-stylegan2":
        g.fused_modconv_default = "inference_only"
    else:
        g.magnitude_ema_beta = 0.5 ** (32 / (20 * 1e3))
        if case == "sg3-r":
            g.conv_kernel, g.use_radial_filters = 1, True
            g.channel_base *= 2
            g.channel_max *= 2
    return g


def randomize(G, torch) -> None:
    """Weights away from their init so every parameter matters: noise strengths, biases, w_avg,
    magnitude EMAs; then the last layers scaled so the image has a standard deviation near 0.5."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in list(G.named_parameters()) + list(G.named_buffers()):
            if name.endswith("noise_strength"):
                p.copy_(torch.randn([], generator=gen) * 0.5)
            elif name.endswith(".bias") and "affine" not in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.2)
            elif name.endswith("w_avg"):
                p.copy_(torch.randn(p.shape, generator=gen))
            elif name.endswith("magnitude_ema"):
                p.copy_(0.5 + torch.rand([], generator=gen))
        n = 16 if G.img_resolution <= 64 else 2  # large ones: a rough contrast is enough (speed only)
        z = torch.randn([n, G.z_dim], generator=gen)
        c = torch.eye(max(G.c_dim, 1))[torch.arange(n) % max(G.c_dim, 1)][:, :G.c_dim]
        last = f"L{getattr(G.synthesis, 'num_layers', -1)}_"
        for _ in range(3 if n == 16 else 1):
            std = G(z, c, noise_mode="const", force_fp32=True).std().item()
            for name, p in G.named_parameters():
                if ("torgb" in name or name.split(".")[1].startswith(last)) and \
                        name.endswith(("weight", "bias")) and "affine" not in name:
                    p.mul_(0.5 / std)


def make(case: str, out: str) -> None:
    import dnnlib
    import torch

    spec = CASES[case]
    torch.manual_seed(0)
    common = dict(c_dim=spec["c_dim"], img_resolution=spec["res"], img_channels=3)
    G = dnnlib.util.construct_class_by_name(**generator_kwargs(case, spec, dnnlib), **common).train()
    G.requires_grad_(False)
    d_kwargs = dnnlib.EasyDict(class_name=spec["cls"].rsplit(".", 1)[0].replace("stylegan3", "stylegan2")
                               + ".Discriminator", block_kwargs=dnnlib.EasyDict(), mapping_kwargs=dnnlib.EasyDict(),
                               epilogue_kwargs=dnnlib.EasyDict(), channel_base=spec["cbase"], channel_max=spec["cmax"])
    D = dnnlib.util.construct_class_by_name(**d_kwargs, **common).train().requires_grad_(False)
    randomize(G, torch)
    G_ema = copy.deepcopy(G).eval()
    augment_pipe = None
    if spec["aug"]:
        augment_pipe = dnnlib.util.construct_class_by_name(class_name="training.augment.AugmentPipe", **BGC)
        augment_pipe.train().requires_grad_(False)
        augment_pipe.p.copy_(torch.as_tensor(0.3))
    data = dict(training_set_kwargs=dict(class_name="training.dataset.ImageFolderDataset", path="data.zip",
                                         use_labels=bool(spec["c_dim"]), resolution=spec["res"]))
    for name, module in [("G", G), ("D", D), ("G_ema", G_ema), ("augment_pipe", augment_pipe)]:
        if module is not None:
            module = copy.deepcopy(module).eval().requires_grad_(False).cpu()
        data[name] = module
    with open(out, "wb") as f:
        pickle.dump(data, f)
    print(json.dumps({"case": case, "numpy": np.__version__, "torch": torch.__version__}))


def run(pkl: str, io: str) -> None:
    import legacy
    import torch

    with open(pkl, "rb") as f:
        G = legacy.load_network_pkl(f)["G_ema"].eval()
    feeds = dict(np.load(io))
    outs = {}
    for key in sorted(k for k in feeds if k.startswith("z_")):
        tag = key[2:]
        z = torch.from_numpy(feeds[key])
        c = torch.from_numpy(feeds[f"c_{tag}"]) if G.c_dim else torch.zeros([z.shape[0], 0])
        psi = float(feeds[f"psi_{tag}"])
        with torch.no_grad():
            img = G(z, c, truncation_psi=psi, noise_mode="const", force_fp32=True)
        outs[f"img_{tag}"] = img.numpy()
    np.savez(io, **feeds, **outs)


def bench(pkl: str, threads: int, out: str) -> None:
    """Eager G_ema at batch 1 on the CPU: one image for the record's parity line, then one timed
    round per line read from stdin (its duration in seconds), frames/s printed back."""
    import time

    import legacy
    import torch

    torch.set_num_threads(threads)
    with open(pkl, "rb") as f:
        G = legacy.load_network_pkl(f)["G_ema"].eval()
    z = torch.from_numpy(np.random.default_rng(0).standard_normal((1, G.z_dim)).astype(np.float32))
    c = torch.zeros([1, G.c_dim])
    with torch.no_grad():
        np.savez(out, z=z.numpy(), img=G(z, c, truncation_psi=1.0, noise_mode="const", force_fp32=True).numpy())
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            G(z, c, truncation_psi=1.0, noise_mode="const", force_fp32=True)  # warm again after the others ran
            duration, count, start = float(line), 0, time.perf_counter()
            while count == 0 or time.perf_counter() - start < duration:
                G(z, c, truncation_psi=1.0, noise_mode="const", force_fp32=True)
                count += 1
            print(json.dumps({"fps": count / (time.perf_counter() - start)}), flush=True)


def main() -> None:
    shims()
    sys.path.insert(0, ".")
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        run(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
