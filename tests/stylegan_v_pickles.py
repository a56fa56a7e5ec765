"""Test helper: StyleGAN-V snapshots in its own format (universome/stylegan-v), written from ganrt's
StyleGANV module (CI cannot hold snapshots made by its code: each embeds its source).

What a real one holds, and this writes (scripts/stylegan_parity.py compares the structure with a
snapshot its code made): NVlabs' persistence records and EasyDicts under `src.`-prefixed names; the
omegaconf config every module keeps, pickled as omegaconf's classes do (NEWOBJ, then BUILD with
{_metadata, _parent, _content} or {_metadata, _parent, _val}), the generator's config a node of the
whole experiment config with its `${...}` interpolations unresolved; the motion mapping's two
convolutions in a torch.nn.Sequential; D holding a plain TemporalDifferenceEncoder with an
Embedding; G_opt / D_opt as Adam with per-parameter state in a defaultdict keyed by tensors; vis and
stats. omegaconf is not imported here either.
"""

from __future__ import annotations

import collections
import typing
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ganrt.models.stylegan import sgv
from ganrt.models.stylegan.layers import Mapping
from stylegan_pickles import (NV_CLASS, SOURCE, EasyDict, FormatPickler, PlainObject, _Persistent,
                              reconstruct_persistent_obj, record_of)

NV_CLASS.update({sgv.StyleGANV: "Generator", sgv.Synthesis: "SynthesisNetwork", sgv.FirstBlock: "SynthesisBlock",
                 sgv.MotionEncoder: "MotionMappingNetwork", sgv.EqConv1d: "EqLRConv1d",
                 sgv.AlignedTimeEncoder: "AlignedTimeEncoder", sgv.GenInput: "GenInput",
                 sgv.TemporalInput: "TemporalInput"})
HAS_CFG = ("Generator", "MappingNetwork", "SynthesisNetwork", "SynthesisBlock", "SynthesisLayer",
           "MotionMappingNetwork", "AlignedTimeEncoder", "GenInput", "TemporalInput")


class DictConfig(PlainObject):
    """Stands for omegaconf.dictconfig.DictConfig (its name written by SGVPickler)."""


class ListConfig(PlainObject):
    """omegaconf.listconfig.ListConfig"""


class AnyNode(PlainObject):
    """omegaconf.nodes.AnyNode"""


class ContainerMetadata(PlainObject):
    """omegaconf.base.ContainerMetadata"""


class Metadata(PlainObject):
    """omegaconf.base.Metadata"""


class TemporalDifferenceEncoder(PlainObject):
    """training.layers.TemporalDifferenceEncoder (D's, a plain module)"""


class Adam(PlainObject):
    """torch.optim.adam.Adam"""


class SGVPickler(FormatPickler):
    """FormatPickler with StyleGAN-V's names: src.-prefixed persistence and EasyDict, omegaconf's classes."""

    def __init__(self, file):
        super().__init__(file, numpy1=False)
        self.names.update({id(reconstruct_persistent_obj): ("src.torch_utils.persistence",
                                                            "_reconstruct_persistent_obj"),
                           id(EasyDict): ("src.dnnlib.util", "EasyDict")})
        for cls in (DictConfig, ListConfig, AnyNode, ContainerMetadata, Metadata, TemporalDifferenceEncoder, Adam):
            module = {"DictConfig": "omegaconf.dictconfig", "ListConfig": "omegaconf.listconfig",
                      "AnyNode": "omegaconf.nodes", "TemporalDifferenceEncoder": "training.layers",
                      "Adam": "torch.optim.adam"}.get(cls.__name__, "omegaconf.base")
            self.names[id(cls)] = (module, cls.__name__)


def _metadata(key, container: type | None) -> PlainObject:
    state = {"ref_type": typing.Any, "object_type": container, "optional": True, "key": key, "flags": {},
             "flags_root": False, "resolver_cache": collections.defaultdict(dict)}
    if container is None:
        return Metadata(state)
    return ContainerMetadata({**state, "key_type": int if container is list else typing.Any,
                              "element_type": typing.Any})


def config_node(value, key=None, parent: PlainObject | None = None) -> PlainObject:
    """A plain tree (dicts, lists, values; strings may hold ${...}) as omegaconf nodes, parents linked."""
    if isinstance(value, dict):
        node = DictConfig({"_metadata": _metadata(key, dict), "_parent": parent})
        node.state["_content"] = {k: config_node(v, k, node) for k, v in value.items()}
    elif isinstance(value, list):
        node = ListConfig({"_metadata": _metadata(key, list), "_parent": parent})
        node.state["_content"] = [config_node(v, i, node) for i, v in enumerate(value)]
    else:
        node = AnyNode({"_metadata": _metadata(key, None), "_parent": parent, "_flags_cache": None,
                                     "_val": value})
    return node


def experiment_config(model: sgv.StyleGANV) -> dict:
    """An experiment config as its launcher saves it: groups composed, interpolations left in."""
    info, motion = model.info, model.info["motion"]
    generator = {"source": "networks", "use_noise": False, "w_dim": info["w_dim"], "c_dim": "${dataset.c_dim}",
                 "input": {"type": "temporal"}, "sampling": "${sampling}", "z_dim": info["z_dim"],
                 "motion": {"time_enc": {}, "z_dim": motion["motion_z_dim"], "v_dim": motion["code_dim"],
                            "motion_z_distance": "${model.generator.time_enc.min_period_len}", "gen_strategy": "conv",
                            "kernel_size": motion["kernel_size"], "use_fractional_t": True, "fourier": True},
                 "time_enc": {"cond_type": "concat_const", "dim": motion["time_dim"],
                              "min_period_len": motion["distance"], "max_period_len": motion["max_period"],
                              "phase_dropout_std": 1.0},
                 "fmaps": info["synthesis"]["channel_base"] / 32768, "channel_max": info["synthesis"]["channel_max"],
                 "mapping_net_n_layers": info["mapping"]["num_layers"]}
    return {"model": {"generator": generator, "discriminator": {"sampling": "${sampling}", "concat_res": 16},
                      "loss_kwargs": {"motion_reg": {"coef": 0.0}}, "name": "stylegan-v"},
            "dataset": {"path": "data/${dataset.name}.zip", "sampling": "${sampling}", "c_dim": info["c_dim"],
                        "max_num_frames": 1024, "fps": 30, "resolution": info["img_resolution"],
                        "name": "ffs_${dataset.resolution}"},
            "sampling": {"name": "${sampling.type}${sampling.num_frames_per_video}", "fps": "${dataset.fps}",
                         "max_num_frames": "${dataset.max_num_frames}", "num_frames_per_video": 3, "type": "random",
                         "total_dists": [1, 2, 4, 8], "max_dist": 32},
            "env": {"project_path": "stylegan-v", "python_bin": "${env.project_path}/env/bin/python"}}


def make_stylegan_v(resolution: int = 16, c_dim: int = 0, z_dim: int = 32, channels: int = 32, motion_dim: int = 16,
                    time_dim: int = 8, distance: int = 4, kernel_size: int = 3, seed: int = 0) -> sgv.StyleGANV:
    """A small StyleGAN-V with random weights away from their init (every tensor matters), frames
    with a standard deviation near 0.5 that change with t."""
    torch.manual_seed(seed)
    motion = dict(motion_z_dim=motion_dim, code_dim=motion_dim, c_dim=c_dim, kernel_size=kernel_size,
                  distance=distance, time_dim=time_dim, min_period=distance, max_period=1024)
    synthesis_kw = {"channel_base": channels * 8, "channel_max": channels, "num_fp16_res": 4, "conv_clamp": 256}
    synthesis = sgv.Synthesis(z_dim, resolution, 3, motion, **synthesis_kw)
    info = {"arch": "stylegan-v", "z_dim": z_dim, "w_dim": z_dim, "c_dim": c_dim, "img_resolution": resolution,
            "img_channels": 3, "mapping": {"num_layers": 2}, "synthesis": synthesis_kw, "motion": motion,
            "max_num_frames": 1024, "fps": 30}
    model = sgv.StyleGANV(Mapping(z_dim, c_dim, z_dim, 2), synthesis, info)
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if name.endswith("bias") and "affine" not in name:
                tensor.copy_(torch.randn(tensor.shape) * 0.5)
        model.mapping.w_avg.copy_(torch.randn(z_dim))
        std = model(*sample_inputs(model, 8)).std().item()
        for name, tensor in model.named_parameters():
            if "torgb" in name and "affine" not in name:
                tensor.mul_(0.5 / std)
    return model.eval()


def sample_inputs(model: sgv.StyleGANV, batch: int, frames: int = 4, seed: int = 0) -> list[torch.Tensor]:
    """z, motion_z (the window from row 0), anchor 0, t within it [, c], psi 1."""
    gen = torch.Generator().manual_seed(seed)
    motion = model.info["motion"]
    rows = 2 * motion["kernel_size"] + 2
    t = torch.rand(batch, frames, generator=gen) * (3 * motion["distance"])
    c = [torch.eye(model.c_dim)[torch.arange(batch) % model.c_dim]] if model.c_dim else []
    return [torch.randn(batch, model.info["z_dim"], generator=gen),
            torch.randn(batch, rows, motion["motion_z_dim"], generator=gen), torch.zeros(batch, dtype=torch.int64), t,
            *c, torch.ones(batch)]


def generator_record(model: sgv.StyleGANV, root: PlainObject) -> _Persistent:
    """G's record: kwargs as its train.py writes them, `cfg` (the generator's node) in them and in the
    state of every module that keeps one."""
    info, cfg = model.info, root.state["_content"]["model"].state["_content"]["generator"]
    kwargs = {"w_dim": info["w_dim"], "mapping_kwargs": EasyDict(num_layers=info["mapping"]["num_layers"], cfg=cfg),
              "synthesis_kwargs": EasyDict(info["synthesis"]), "cfg": cfg, "c_dim": info["c_dim"],
              "img_resolution": info["img_resolution"], "img_channels": info["img_channels"]}
    record = record_of(model, kwargs)
    pending = [record]
    while pending:
        item = pending.pop()
        state = item.meta["state"] if isinstance(item, _Persistent) else item.__dict__
        if isinstance(item, _Persistent) and item.meta["class_name"] in HAS_CFG:
            state["cfg"] = cfg
        pending.extend(v for v in state["_modules"].values() if v is not None)
    return record


def discriminator_record(root: PlainObject) -> _Persistent:
    """A token D: one weight, and its plain time-difference encoder holding an Embedding."""
    cfg = root.state["_content"]["model"].state["_content"]["discriminator"]
    embedding = torch.nn.Embedding(4, 8)
    encoder = TemporalDifferenceEncoder({"training": False, "_parameters": {}, "_buffers": {},
                                                      "_modules": {"const_embed": embedding}, "cfg": cfg, "d": 8})
    state = {"training": False, "_parameters": collections.OrderedDict(weight=torch.nn.Parameter(torch.randn(4, 4))),
             "_buffers": collections.OrderedDict(), "_modules": collections.OrderedDict(time_encoder=encoder),
             "cfg": cfg, "_init_args": (), "_init_kwargs": {"cfg": cfg, "c_dim": 0}}
    return _Persistent(dict(type="class", version=6, module_src=SOURCE, class_name="Discriminator", state=state))


def adam(model: torch.nn.Module) -> PlainObject:
    """An optimizer as torch pickles one: defaults, per-parameter state keyed by the parameters, groups."""
    params = [torch.nn.Parameter(p.detach().clone(), requires_grad=False) for p in model.parameters()][:3]
    state = collections.defaultdict(dict, {p: {"step": torch.tensor(1.0), "exp_avg": torch.zeros_like(p)}
                                          for p in params})
    return Adam({"defaults": {"lr": 0.0025, "betas": (0.0, 0.99)}, "state": state,
                              "param_groups": [{"params": params, "lr": 0.0025}]})


def write_stylegan_v_snapshot(model: sgv.StyleGANV, path: str | Path, extra: dict | None = None,
                              edit: Callable[[dict], None] | None = None) -> Path:
    """A network-snapshot-*.pkl as StyleGAN-V's training loop writes it; `extra` adds or replaces entries,
    `edit` changes the experiment config (a plain tree) before it is written."""
    configs = [experiment_config(model) for _ in range(2)]  # G_ema is a deep copy of G, its config included
    for config in configs if edit else []:
        edit(config)
    root, ema_root = (config_node(config) for config in configs)
    dataset = root.state["_content"]["dataset"]
    data = {"training_set_kwargs": {"class_name": "training.dataset.VideoFramesFolderDataset", "path": "data.zip",
                                    "cfg": dataset, "use_labels": bool(model.c_dim), "max_size": 100, "xflip": False,
                                    "resolution": model.info["img_resolution"]},
            "G": generator_record(model, root), "D": discriminator_record(root),
            "G_ema": generator_record(model, ema_root), "augment_pipe": None, "G_opt": adam(model),
            "D_opt": adam(torch.nn.Linear(2, 2)),
            "vis": EasyDict(num_videos=4, labels=np.zeros((4, model.c_dim), np.float32), grid_z=torch.randn(4, 8).split(2),
                            ts=torch.arange(16).float().unsqueeze(0).repeat(4, 1)),
            "stats": {"cur_nimg": 0, "cur_tick": 0, "batch_idx": 0}, **(extra or {})}
    path = Path(path)
    with open(path, "wb") as f:
        SGVPickler(f).dump(data)
    return path

