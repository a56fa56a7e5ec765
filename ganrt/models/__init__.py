"""Reference generators, their registry and the checkpoint format.

Importing this package imports torch; the runtime only does so for the torch backend.
"""

from .base import VideoGenerator, initial_state
from .dcgan import DCGAN, DCGANConfig
from .mocogan import MoCoGAN, MoCoGANConfig
from .registry import create_model, list_models, register_model
from .tgan import TGAN, TGANConfig
from .vgan import VGAN, VGANConfig


@register_model
def mocogan(**overrides) -> MoCoGAN:
    return MoCoGAN(MoCoGANConfig(**overrides))


@register_model
def tgan(**overrides) -> TGAN:
    return TGAN(TGANConfig(**overrides))


@register_model
def vgan(**overrides) -> VGAN:
    return VGAN(VGANConfig(**overrides))


@register_model
def dcgan(**overrides) -> DCGAN:
    return DCGAN(DCGANConfig(**overrides))


__all__ = ["VideoGenerator", "initial_state", "create_model", "list_models", "register_model",
           "MoCoGAN", "MoCoGANConfig", "TGAN", "TGANConfig", "VGAN", "VGANConfig",
           "DCGAN", "DCGANConfig"]
