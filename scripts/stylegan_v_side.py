"""The StyleGAN-V half of scripts/stylegan_parity.py and benchmarks/stylegan_speed.py: runs INSIDE a
checkout of universome/stylegan-v (its code on sys.path, omegaconf and scipy importable), never
imported by ganrt.

    python stylegan_v_side.py make CASE OUT.pkl      compose its configs/ with OmegaConf as hydra would, build
                                                   G/D/G_ema/augment_pipe/G_opt/D_opt/vis/stats the way its
                                                   train.py and training loop do (random weights), pickle
    python stylegan_v_side.py run PKL IO.npz         G_ema(z, c, t, motion_z=..., truncation_psi=psi,
                                                   noise_mode='const', force_fp32=True) for every z_* in IO
    python stylegan_v_side.py bench PKL THREADS OUT.npz   timed eager rounds, one per stdin line

Its code and the pickles it writes stay under NVIDIA's licence (StyleGAN-V builds on
stylegan2-ada-pytorch): the pickles are written outside the repository and never committed.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import sys
import types

import numpy as np

# Small generators for parity (CPU, seconds) and one at the widths of its 256x256 configs for the
# speed record. d: motion_z_distance (its configs tie it to time_enc.min_period_len: 16 for
# FaceForensics, 256 for SkyTimelapse).
CASES = {
    "sgv": dict(res=32, c_dim=0, fmaps=0.125, cmax=64, z=64, motion=64, time_dim=32, d=16, map=2),
    "sgv-cond": dict(res=32, c_dim=3, fmaps=0.125, cmax=64, z=64, motion=64, time_dim=32, d=16, map=2),
    "sgv-sky": dict(res=32, c_dim=0, fmaps=0.125, cmax=64, z=64, motion=48, time_dim=16, d=256, map=8),
    "sgv-256": dict(res=256, c_dim=0, fmaps=0.5, cmax=512, z=512, motion=512, time_dim=256, d=16, map=2),
}
BGC = dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1, brightness=1, contrast=1, lumaflip=1,
           hue=1, saturation=1)


def shims() -> None:
    """dnnlib imports requests (downloads, never used here)."""
    try:
        import requests  # noqa: F401
    except ImportError:
        sys.modules["requests"] = types.ModuleType("requests")


def compose(spec: dict):
    """configs/config.yaml's defaults merged the way hydra 1.0 does (groups under their names,
    infra.yaml at the root), its launcher's instantiation replaced by plain values, then the case's
    sizes set: interpolations such as motion_z_distance: ${model.generator.time_enc.min_period_len}
    stay unresolved, as in a real experiment's config."""
    from omegaconf import OmegaConf

    def group(*names):
        return OmegaConf.merge(*(OmegaConf.load(f"configs/{n}.yaml") for n in names))

    cfg = OmegaConf.merge(OmegaConf.create({
        "model": group("model/base", "model/stylegan-v"), "dataset": group("dataset/base", "dataset/ffs"),
        "sampling": group("sampling/base", "sampling/random"), "env": group("env/base", "env/local"),
        "training": group("training/base")}), OmegaConf.load("configs/infra.yaml"))
    cfg.env.project_path = os.getcwd()  # ${hydra:runtime.cwd}, resolved by its launcher
    cfg.git_hash = "0000000"
    cfg.sbatch_args.mem = "256G"
    cfg.sbatch_args_str = cfg.env_args_str = ""
    g = cfg.model.generator
    g.fmaps, g.channel_max, g.mapping_net_n_layers = spec["fmaps"], spec["cmax"], spec["map"]
    g.z_dim = g.w_dim = spec["z"]
    g.motion.z_dim = g.motion.v_dim = spec["motion"]
    g.time_enc.dim, g.time_enc.min_period_len = spec["time_dim"], spec["d"]
    cfg.dataset.resolution, cfg.dataset.c_dim = spec["res"], spec["c_dim"]
    cfg.model.discriminator.fmaps = spec["fmaps"]
    return cfg


def network_kwargs(cfg, dnnlib):
    """G and D kwargs as its train.py writes them (cfg=auto: mixed precision, conv_clamp 256)."""
    g_cfg, d_cfg = cfg.model.generator, cfg.model.discriminator
    G = dnnlib.EasyDict(class_name="training.networks.Generator", w_dim=g_cfg.w_dim,
                        mapping_kwargs=dnnlib.EasyDict(), synthesis_kwargs=dnnlib.EasyDict())
    D = dnnlib.EasyDict(class_name="training.networks.Discriminator", block_kwargs=dnnlib.EasyDict(),
                        mapping_kwargs=dnnlib.EasyDict(), epilogue_kwargs=dnnlib.EasyDict())
    G.synthesis_kwargs.channel_base = int(g_cfg.fmaps * 32768)
    D.channel_base = int(d_cfg.fmaps * 32768)
    G.synthesis_kwargs.channel_max = g_cfg.channel_max
    D.channel_max = g_cfg.channel_max
    G.mapping_kwargs.num_layers = g_cfg.mapping_net_n_layers
    G.mapping_kwargs.cfg = g_cfg
    G.synthesis_kwargs.num_fp16_res = D.num_fp16_res = 4
    G.synthesis_kwargs.conv_clamp = D.conv_clamp = 256
    G.cfg, D.cfg = g_cfg, d_cfg
    D.epilogue_kwargs.mbstd_group_size = 4
    D.mapping_kwargs.num_layers = 2
    return G, D


def times(n: int, frames: int, torch):
    return torch.arange(frames).float().unsqueeze(0).repeat(n, 1) * 5.0


def randomize(G, torch) -> None:
    """Weights away from their init (biases, w_avg), then the RGB layers scaled so frames have a
    standard deviation near 0.5."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in list(G.named_parameters()) + list(G.named_buffers()):
            if name.endswith(".bias") and "affine" not in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.2)
            elif name.endswith("w_avg"):
                p.copy_(torch.randn(p.shape, generator=gen))
        n = 8 if G.img_resolution <= 64 else 2
        z = torch.randn([n, G.z_dim], generator=gen)
        c = torch.eye(max(G.c_dim, 1))[torch.arange(n) % max(G.c_dim, 1)][:, :G.c_dim]
        for _ in range(3 if n == 8 else 1):
            std = G(z, c, times(n, 4, torch), noise_mode="const", force_fp32=True).std().item()
            for name, p in G.named_parameters():
                if "torgb" in name and name.endswith(("weight", "bias")) and "affine" not in name:
                    p.mul_(0.5 / std)


def optimizer(module, torch):
    """Adam as its training loop sets it up, after one step on random gradients (so its state holds
    tensors keyed by parameters, as a real snapshot's does)."""
    params = list(module.parameters())
    opt = torch.optim.Adam(params, lr=0.0025, betas=(0.0, 0.99), eps=1e-8)
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    opt.step()
    for p in params:
        p.grad = None
    return opt


def make(case: str, out: str) -> None:
    import torch
    from src import dnnlib

    spec = CASES[case]
    torch.manual_seed(0)
    cfg = compose(spec)
    G_kwargs, D_kwargs = network_kwargs(cfg, dnnlib)
    common = dict(c_dim=spec["c_dim"], img_resolution=spec["res"], img_channels=3)
    G = dnnlib.util.construct_class_by_name(**G_kwargs, **common).eval().requires_grad_(False)
    D = dnnlib.util.construct_class_by_name(**D_kwargs, **common).train().requires_grad_(False)
    randomize(G, torch)
    G.train()
    G_ema = copy.deepcopy(G).eval()
    augment_pipe = dnnlib.util.construct_class_by_name(class_name="training.augment.AugmentPipe", **BGC)
    augment_pipe.train().requires_grad_(False)
    augment_pipe.p.copy_(torch.as_tensor(0.3))
    G_opt, D_opt = optimizer(G, torch), optimizer(D, torch)
    n = 4
    vis = dnnlib.EasyDict(num_videos=n, grid_size=(2, 2), labels=np.zeros((n, spec["c_dim"]), np.float32),
                          frames_idx=np.zeros((n, 3), np.int64), grid_z=torch.randn(n, G.z_dim).split(2),
                          grid_c=torch.zeros(n, spec["c_dim"]).split(2), grid_t=torch.zeros(n, 3).long().split(2),
                          video_len=16, vgrid_z=torch.randn(n, G.z_dim), vgrid_c=torch.zeros(n, spec["c_dim"]),
                          ts=times(n, 16, torch))
    training_set_kwargs = dnnlib.EasyDict(class_name="training.dataset.VideoFramesFolderDataset", path="data.zip",
                                          cfg=cfg.dataset, use_labels=bool(spec["c_dim"]), max_size=100,
                                          xflip=False, resolution=spec["res"])
    data = dict(training_set_kwargs=dict(training_set_kwargs))
    for name, module in [("G", G), ("D", D), ("G_ema", G_ema), ("augment_pipe", augment_pipe), ("G_opt", G_opt),
                         ("D_opt", D_opt), ("vis", dict(vis)), ("stats", {"cur_nimg": 0, "cur_tick": 0,
                                                                           "batch_idx": 0})]:
        if isinstance(module, torch.nn.Module):
            module = copy.deepcopy(module).eval().requires_grad_(False).cpu()
        else:
            module = copy.deepcopy(module)
        data[name] = module
    with open(out, "wb") as f:
        pickle.dump(data, f)
    print(json.dumps({"case": case, "numpy": np.__version__, "torch": torch.__version__}))


def load(pkl: str):
    import legacy

    with open(pkl, "rb") as f:
        return legacy.load_network_pkl(f)["G_ema"].eval()


def run(pkl: str, io: str) -> None:
    """For every tag: img_TAG (S, T, 3, H, W) from z_TAG, c_TAG, t_TAG, motion_z_TAG, psi_TAG. (Its code
    computes in float32 wherever it casts, the time encoder's t included: no float64 evaluation here.)"""
    import torch

    G = load(pkl)
    feeds = dict(np.load(io))
    outs = {}
    for key in sorted(k for k in feeds if k.startswith("z_")):
        tag = key[2:]
        z, c, t, motion_z = (torch.from_numpy(feeds[f"{n}_{tag}"]) for n in ("z", "c", "t", "motion_z"))
        with torch.no_grad():
            img = G(z, c, t, motion_z=motion_z, truncation_psi=float(feeds[f"psi_{tag}"]), noise_mode="const",
                    force_fp32=True)
        outs[f"img_{tag}"] = img.reshape(t.shape[0], t.shape[1], *img.shape[1:]).numpy()
    np.savez(io, **feeds, **outs)


def bench(pkl: str, threads: int, out: str) -> None:
    """Eager G_ema, one sample of 8 frames a call (t = 0..7, its motion noise given): one call for the
    record's parity line, then one timed round per stdin line (its duration), frames/s printed back."""
    import time

    import torch

    torch.set_num_threads(threads)
    G = load(pkl)
    rng = np.random.default_rng(0)
    motion_dim = G.synthesis.motion_encoder.cfg.motion.z_dim
    z = torch.from_numpy(rng.standard_normal((1, G.z_dim)).astype(np.float32))
    motion_z = torch.from_numpy(rng.standard_normal((1, 128, motion_dim)).astype(np.float32))
    c, t = torch.zeros([1, G.c_dim]), torch.arange(8).float().unsqueeze(0)

    def call():
        return G(z, c, t, motion_z=motion_z, truncation_psi=1.0, noise_mode="const", force_fp32=True)

    with torch.no_grad():
        np.savez(out, z=z.numpy(), motion_z=motion_z.numpy(), t=t.numpy(), img=call().numpy())
        print(json.dumps({"ready": True, "frames_per_call": t.shape[1]}), flush=True)
        for line in sys.stdin:
            call()  # warm again after the others ran
            duration, count, start = float(line), 0, time.perf_counter()
            while count == 0 or time.perf_counter() - start < duration:
                call()
                count += t.shape[1]
            print(json.dumps({"fps": count / (time.perf_counter() - start)}), flush=True)


def main() -> None:
    shims()
    sys.path[:0] = [".", "src"]
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        run(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
