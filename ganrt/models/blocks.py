"""Building blocks shared by the reference generators.

Every op here exports to plain ONNX that TensorRT handles well: Gemm, ConvTranspose
k4/s2/p1, BatchNorm (folded into the convolution at export), ReLU, sigmoid, tanh, and the
motion's recurrence over T as ONNX's one GRU op. No InstanceNorm/LayerNorm, no data-dependent
control flow.
"""

from __future__ import annotations

import math

import torch
from torch import nn

MIN_RESOLUTION, MAX_RESOLUTION = 32, 512


def check_resolution(resolution: int) -> int:
    """Number of 2x upsampling stages from 4x4 to `resolution` (a power of two)."""
    if not (MIN_RESOLUTION <= resolution <= MAX_RESOLUTION) or resolution & (resolution - 1):
        raise ValueError(f"resolution must be a power of two from {MIN_RESOLUTION} to "
                         f"{MAX_RESOLUTION}, got {resolution}")
    return int(math.log2(resolution)) - 2


def stage_channels(resolution: int, width: int, max_channels: int = 512) -> list[int]:
    """Channels of each decoder stage, 4x4 first: halving per stage, `width` at full size."""
    stages = check_resolution(resolution)
    return [min(width * 2 ** (stages - i), max_channels) for i in range(stages + 1)]


class ImageDecoder(nn.Module):
    """DCGAN-style decoder: latent (N, D) -> image (N, 3, R, R) in [-1, 1].

    With `palette` (K colours in [-1, 1]) the last layer picks each pixel's colour from
    them (PaletteHead) instead of emitting free RGB.
    """

    def __init__(self, latent_dim: int, resolution: int, width: int,
                 palette: list[list[float]] | None = None):
        super().__init__()
        channels = stage_channels(resolution, width)
        self.stem_channels = channels[0]
        self.stem = nn.Sequential(
            nn.Linear(latent_dim, channels[0] * 16, bias=False),
        )
        self.stem_norm = nn.BatchNorm2d(channels[0])
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)
        self.to_rgb = nn.Conv2d(channels[-1], 3, 3, 1, 1)
        self.palette = PaletteHead(palette, channels[-1]) if palette else None

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        x = self.stem(latent).view(-1, self.stem_channels, 4, 4)  # (N, C0, 4, 4)
        x = torch.relu(self.stem_norm(x))
        x = self.body(x)  # (N, C_last, R, R)
        rgb = torch.tanh(self.to_rgb(x))  # (N, 3, R, R)
        return rgb if self.palette is None else self.palette(rgb, x)


class PaletteHead(nn.Module):
    """Each pixel a softmax-weighted mix of K fixed colours: flat shapes in exactly the
    data's colours, blends only where the softmax is undecided (edges).

    The logits start as "nearest colour to the free RGB": -|rgb - c_k|^2 / tau, whose
    |rgb|^2 term is the same for every k and drops out of the softmax, leaving a 1x1
    convolution (2 c_k . rgb - |c_k|^2) / tau. A decoder trained without the head thus
    keeps its picture when the head is added; a second 1x1 convolution on the last
    features (zero at first) lets training refine the choice. Exports as 1x1 Convs and
    the softmax's elementwise ops (ReduceMax, Exp, ReduceSum, Div).
    """

    TEMPERATURE = 0.25  # squared-distance units; palette colours are >= 1.8 apart

    def __init__(self, palette: list[list[float]], features: int):
        super().__init__()
        colours = torch.tensor(palette, dtype=torch.float32)  # (K, 3)
        # As a 1x1 convolution from K weights to RGB: (3, K, 1, 1). Rebuilt from the config, not saved.
        self.register_buffer("colours", colours.t().reshape(3, len(palette), 1, 1).contiguous(), persistent=False)
        self.from_rgb = nn.Conv2d(3, len(palette), 1)
        self.from_features = nn.Conv2d(features, len(palette), 1, bias=False)
        with torch.no_grad():
            self.from_rgb.weight.copy_((2 * colours / self.TEMPERATURE).view(len(palette), 3, 1, 1))
            self.from_rgb.bias.copy_(-(colours ** 2).sum(1) / self.TEMPERATURE)
            self.from_features.weight.zero_()
        self.entropy: torch.Tensor | None = None  # training only: of the last forward's choice

    def forward(self, rgb: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        # rgb (N, 3, R, R), features (N, C, R, R) -> (N, 3, R, R)
        logits = self.from_rgb(rgb) + self.from_features(features)  # (N, K, R, R)
        if self.training:  # mean per-pixel entropy of the choice: 0 = one colour, ln K = undecided
            self.entropy = -(torch.softmax(logits, 1) * torch.log_softmax(logits, 1)).sum(dim=1).mean()
        # The softmax written out as exp(l - max) / sum: ONNX Runtime's CPU Softmax(axis=1) on NCHW
        # transposes (a fifth of the demo's time), while these plain ops are fast there, and OpenVINO
        # fuses this exact pattern back into its own softmax (mixing before normalizing defeats that).
        # exp(l - max) <= 1 keeps it safe in FP16.
        exp = torch.exp(logits - logits.amax(dim=1, keepdim=True))  # (N, K, R, R)
        weights = exp / exp.sum(dim=1, keepdim=True)
        return torch.nn.functional.conv2d(weights, self.colours)  # sum_k w_k c_k


class MotionGRUCell(nn.Module):
    """A GRU cell: Linear + sigmoid/tanh, with torch's GRU equations and gate order (r, z, n; the
    candidate's hidden bias inside the reset product), so its weights are a one-layer GRU's.

    `forward` is one step, written out. `sequence` runs T steps: torch's own GRU on these weights in
    eager mode, and ONNX's GRU op (linear_before_reset=1) when exported, one node whose T is dynamic,
    which ONNX Runtime, OpenVINO and TensorRT's parser all take (tests/test_dynamic_frames.py holds
    both to the step-by-step cell). The op is written directly (torch.onnx.ops): torch.export keeps
    torch.gru's T symbolic only in the first export of a process, and unrolls it in the next ones.
    """

    def __init__(self, input_dim: int, hidden_dim: int):
        super().__init__()
        self.gates_x = nn.Linear(input_dim, 3 * hidden_dim)
        self.gates_h = nn.Linear(hidden_dim, 3 * hidden_dim)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xr, xz, xn = self.gates_x(x).chunk(3, dim=1)  # each (B, H)
        hr, hz, hn = self.gates_h(h).chunk(3, dim=1)
        reset = torch.sigmoid(xr + hr)
        update = torch.sigmoid(xz + hz)
        candidate = torch.tanh(xn + reset * hn)
        return (1 - update) * candidate + update * h  # (B, H), stays in (-1, 1)

    def sequence(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, Din), h (B, H) -> every step's state (B, T, H) and the last (B, H)."""
        if torch.onnx.is_in_onnx_export():
            return self.onnx_gru(x, h)
        weights = [self.gates_x.weight, self.gates_h.weight, self.gates_x.bias, self.gates_h.bias]
        # torch.gru(input, hx (layers, B, H), params, has_biases, layers, dropout, train, bidirectional, batch_first)
        states, last = torch.gru(x, h.unsqueeze(0), weights, True, 1, 0.0, self.training, False, True)
        return states, last[0]

    def onnx_gru(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`sequence` as one ONNX GRU node (opset 14+: layout 0, time first)."""
        hidden = self.gates_h.weight.shape[1]
        weights = self.gates_x.weight[None], self.gates_h.weight[None]  # W (1, 3H, Din), R (1, 3H, H)
        biases = torch.cat([self.gates_x.bias, self.gates_h.bias])[None]  # B (1, 6H): W's then R's
        w, r, b = (onnx_gate_order(t, hidden) for t in (*weights, biases))
        steps, batch = x.shape[1], x.shape[0]
        states, last = torch.onnx.ops.symbolic_multi_out(
            "GRU", (x.transpose(0, 1), w, r, b, None, h[None]), {"hidden_size": hidden, "linear_before_reset": 1},
            dtypes=(x.dtype, x.dtype), shapes=((steps, 1, batch, hidden), (1, batch, hidden)))
        return states[:, 0].transpose(0, 1), last[0]  # Y (T, 1, B, H) -> (B, T, H); Y_h (1, B, H) -> (B, H)


def onnx_gate_order(blocks: torch.Tensor, hidden: int) -> torch.Tensor:
    """Gate blocks of H along axis 1, torch's order (r, z, n) -> ONNX's (z, r, h), repeated for biases (6H)."""
    parts = blocks.split(hidden, dim=1)
    return torch.cat([p for i in range(0, len(parts), 3) for p in (parts[i + 1], parts[i], parts[i + 2])], dim=1)
