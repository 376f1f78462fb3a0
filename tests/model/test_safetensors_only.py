"""House rule: only safetensors are loaded. Every folder a policy bundle or an encoder set is read from refuses
pickled weights (`.bin`), though diffusers and transformers would load them by default (the action codec, the
VAE and the text encoder did)."""
import pytest
import torch
from transformers import UMT5EncoderModel

from aim_core.models.action_codec import ActionCodec
from aim_core.models.aim_model import AIMModel
from aim_core.models.config import aim_tiny_config
from aim_core.models.text import TEXT_ENCODER_DIR, TextEncoder, tiny_umt5_config, train_unigram_tokenizer
from aim_core.models.vae import VideoVAE, tiny_wan_vae_config


def pickled_only(folder):
    assert list(folder.rglob("*.bin")) and not list(folder.rglob("*.safetensors"))
    return folder


def test_every_loader_refuses_pickled_weights(tmp_path):
    codec = ActionCodec()
    codec.save_pretrained(tmp_path / "codec", safe_serialization=False)
    VideoVAE.from_config(tiny_wan_vae_config()).model.save_pretrained(tmp_path / "vae", safe_serialization=False)
    AIMModel(aim_tiny_config()).save_pretrained(tmp_path / "transformer", safe_serialization=False)
    tokenizer = train_unigram_tokenizer(["click the bell", "place the shoe on the mat"])
    text = TextEncoder(tokenizer, UMT5EncoderModel(tiny_umt5_config(len(tokenizer))))
    text.save_pretrained(tmp_path / "text")
    for weights in (tmp_path / "text" / TEXT_ENCODER_DIR).glob("*.safetensors"):
        weights.unlink()
    torch.save(text.model.state_dict(), tmp_path / "text" / TEXT_ENCODER_DIR / "pytorch_model.bin")  # transformers 5
    # writes safetensors only, but still reads a pickled checkpoint beside a config

    loaders = {"codec": ActionCodec.from_pretrained, "vae": VideoVAE.from_pretrained,
               "transformer": AIMModel.from_pretrained, "text": TextEncoder.from_pretrained}
    for name, load in loaders.items():
        with pytest.raises(EnvironmentError):
            load(pickled_only(tmp_path / name))


def test_safetensors_folders_still_load(tmp_path):
    vae = VideoVAE.from_config(tiny_wan_vae_config())
    vae.model.save_pretrained(tmp_path / "vae")
    loaded = VideoVAE.from_pretrained(tmp_path / "vae")
    assert all(torch.equal(a, b) for a, b in zip(vae.model.state_dict().values(), loaded.model.state_dict().values()))
    tokenizer = train_unigram_tokenizer(["click the bell"])
    TextEncoder(tokenizer, UMT5EncoderModel(tiny_umt5_config(len(tokenizer)))).save_pretrained(tmp_path / "text")
    assert TextEncoder.from_pretrained(tmp_path / "text").dim == 32
