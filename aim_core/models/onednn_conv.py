"""3D convolutions through oneDNN on the CPU where PyTorch would take its slow reference kernel.

PyTorch (2.13, CPU) runs a `conv3d` with a batch of one through `slow_conv3d` (im2col and a GEMM) and only larger
batches through oneDNN. The VAE encodes and decodes one video at a time (the latent cache an episode, a policy its
own camera stream), so nearly all of its time went there: the small VAE's 3x3x3 convolutions of 192x256 canvases ran
about 10x slower than oneDNN's kernel for the same shapes (benchmarks/RESULTS.md, "oneDNN"). `use_onednn_conv3d`
gives every `nn.Conv3d` in a module a class whose convolution calls `aten.mkldnn_convolution` for exactly those calls
(CPU, float32 or bfloat16, a batch of one, numeric padding, oneDNN enabled); every other call, and every call on a
GPU, is PyTorch's own. The weights, `state_dict` and saved files are unchanged; the modules pickle by class name (the
latent cache's worker processes receive the VAE that way).
"""
from __future__ import annotations

import torch
from diffusers.models.autoencoders.autoencoder_kl_wan import WanCausalConv3d
from torch import nn


def _takes_onednn(conv: nn.Conv3d, x: torch.Tensor) -> bool:
    return (x.device.type == "cpu" and x.shape[0] == 1 and x.dtype in (torch.float32, torch.bfloat16)
            and not isinstance(conv.padding, str) and conv.padding_mode == "zeros"
            and torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled)


class _OneDNNConv3dMixin:
    """`nn.Conv3d._conv_forward`, through oneDNN where `_takes_onednn`."""

    def _conv_forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if _takes_onednn(self, x):
            return torch.ops.aten.mkldnn_convolution(x, weight, bias, list(self.padding), list(self.stride),
                                                     list(self.dilation), self.groups)
        return super()._conv_forward(x, weight, bias)


class OneDNNConv3d(_OneDNNConv3dMixin, nn.Conv3d):
    """`nn.Conv3d` with `_OneDNNConv3dMixin`."""


class OneDNNCausalConv3d(_OneDNNConv3dMixin, WanCausalConv3d):
    """diffusers' `WanCausalConv3d` (causal padding, feature caches) with `_OneDNNConv3dMixin`."""


_ONEDNN_CLASSES = {nn.Conv3d: OneDNNConv3d, WanCausalConv3d: OneDNNCausalConv3d}


def use_onednn_conv3d(module: nn.Module) -> nn.Module:
    """Give every `nn.Conv3d` (and `WanCausalConv3d`) in `module` its oneDNN class, in place; returns `module`."""
    for child in module.modules():
        swapped = _ONEDNN_CLASSES.get(type(child))
        if swapped is not None:
            child.__class__ = swapped
    return module
