"""The VAE's 3D convolutions run through oneDNN at a batch of one, with PyTorch's own results and gradients."""
import pickle

import numpy as np
import torch
from diffusers.models.autoencoders.autoencoder_kl_wan import WanCausalConv3d
from torch import nn
from torch.profiler import profile

from aim_core.models.onednn_conv import OneDNNCausalConv3d, OneDNNConv3d, use_onednn_conv3d
from aim_core.models.vae import VideoVAE, tiny_wan_vae_config


def _kernels(fn) -> set[str]:
    with profile() as prof:
        fn()
    return {e.key for e in prof.key_averages()} & {"aten::slow_conv3d_forward", "aten::mkldnn_convolution"}


def test_batch_one_convolutions_take_onednn_with_pytorch_s_results_and_gradients():
    torch.manual_seed(0)
    reference = nn.Sequential(WanCausalConv3d(4, 8, 3, padding=1), nn.Conv3d(8, 6, (3, 1, 1), stride=(2, 1, 1)))
    fast = use_onednn_conv3d(pickle.loads(pickle.dumps(reference)))
    assert [type(m) for m in fast] == [OneDNNCausalConv3d, OneDNNConv3d]
    assert fast.state_dict().keys() == reference.state_dict().keys()
    x = torch.randn(1, 4, 5, 16, 24, requires_grad=True)
    assert _kernels(lambda: reference(x)) == {"aten::slow_conv3d_forward"}  # why this module exists
    assert _kernels(lambda: fast(x)) == {"aten::mkldnn_convolution"}
    torch.testing.assert_close(fast(x), reference(x), atol=1e-4, rtol=1e-4)
    grads = [torch.autograd.grad(m(x).square().sum(), [x, *m.parameters()]) for m in (fast, reference)]
    for ours, theirs in zip(*grads):
        torch.testing.assert_close(ours, theirs, atol=2e-3, rtol=1e-3)
    batch = torch.randn(2, 4, 5, 16, 24)  # larger batches: PyTorch's own choice, unchanged
    torch.testing.assert_close(fast(batch), reference(batch), atol=0, rtol=0)
    with torch.backends.mkldnn.flags(enabled=False):  # oneDNN switched off: PyTorch's kernel, bit for bit
        assert _kernels(lambda: fast(x)) == {"aten::slow_conv3d_forward"}
        torch.testing.assert_close(fast(x), reference(x), atol=0, rtol=0)


def test_the_vae_encodes_through_onednn_and_pickles_for_worker_processes(tmp_path):
    vae = VideoVAE.from_config(tiny_wan_vae_config(z_dim=8), seed=0)
    assert all(type(m) is not WanCausalConv3d for m in vae.model.modules())
    video = np.random.default_rng(0).integers(0, 256, (1, 5, 32, 48, 3), dtype=np.uint8)
    assert _kernels(lambda: vae.encode(video)) == {"aten::mkldnn_convolution"}
    with torch.backends.mkldnn.flags(enabled=False):
        slow = vae.encode(video)
    torch.testing.assert_close(vae.encode(video), slow, atol=1e-4, rtol=1e-4)
    copy = pickle.loads(pickle.dumps(vae))  # how the latent cache's workers receive it
    torch.testing.assert_close(copy.encode(video), vae.encode(video), atol=0, rtol=0)
    vae.save_pretrained(tmp_path / "vae")
    loaded = VideoVAE.from_pretrained(tmp_path / "vae")
    torch.testing.assert_close(loaded.encode(video), vae.encode(video), atol=0, rtol=0)
