"""Language encoder: a T5-family encoder (umT5 for the real model) and an offline tokenizer.

Language enters AIM only through the video stream's cross-attention, as the per-token hidden
states of a T5 encoder (Wan uses umT5-XXL). This machine has no model hub and no sentencepiece,
so the tokenizer comes either from a `tokenizer.json` in a local Wan2.2 Diffusers folder or is
trained here: a `tokenizers` Unigram seeded with `string.printable`, which is deterministic
across processes. Embeddings depend only on the instruction, so they are computed once per
instruction (`instruction_key`) and cached in the dataset by `aim_core.data.latent_cache`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from transformers import PreTrainedTokenizerFast, T5EncoderModel, UMT5Config, UMT5EncoderModel

from aim_core.models.tokenizer import EOS, PAD, UNK, train_unigram
from aim_core.models.frozen_module import FrozenModule

ENCODER_CLASSES = {"umt5": UMT5EncoderModel, "t5": T5EncoderModel}
TEXT_ENCODER_DIR, TOKENIZER_DIR = "text_encoder", "tokenizer"


def instruction_key(instruction: str) -> str:
    """Stable cache key of one instruction (its embedding is stored under `text/<key>`)."""
    return hashlib.sha256(instruction.encode("utf-8")).hexdigest()[:16]


def train_unigram_tokenizer(corpus: Iterable[str], vocab_size: int = 256) -> PreTrainedTokenizerFast:
    """`train_unigram` (deterministic, offline) wrapped for transformers."""
    return PreTrainedTokenizerFast(tokenizer_object=train_unigram(corpus, vocab_size), pad_token=PAD, eos_token=EOS,
                                   unk_token=UNK)


def tiny_umt5_config(vocab_size: int, d_model: int = 32, num_layers: int = 2) -> UMT5Config:
    """A toy umT5 encoder configuration for tests and CPU benchmarks."""
    return UMT5Config(vocab_size=vocab_size, d_model=d_model, d_kv=8, d_ff=2 * d_model, num_layers=num_layers,
                      num_heads=4, relative_attention_num_buckets=8, dropout_rate=0.0,
                      pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)


class TextEncoder(FrozenModule):
    """Tokenizer + T5-family encoder: instructions -> per-token embeddings [L_i, D] (padding dropped)."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast, model: T5EncoderModel | UMT5EncoderModel,
                 max_length: int = 512):
        super().__init__(model)
        self.tokenizer = tokenizer
        self.max_length = max_length

    @property
    def dim(self) -> int:
        return int(self.model.config.d_model)

    @classmethod
    def from_pretrained(cls, path: str | Path, max_length: int = 512,
                        dtype: torch.dtype = torch.float32) -> "TextEncoder":
        """Load `text_encoder/` and `tokenizer/tokenizer.json` of a (Wan2.2-Diffusers-layout) folder."""
        root = Path(path)
        config_file = root / TEXT_ENCODER_DIR / "config.json"
        tokenizer_file = root / TOKENIZER_DIR / "tokenizer.json"
        missing = [str(p) for p in (config_file, tokenizer_file) if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"Text encoder folder {root} is incomplete, missing: {', '.join(missing)}. Pass a "
                "Wan2.2-TI2V-5B-Diffusers folder (text_encoder/ + tokenizer/tokenizer.json) or one written by "
                "TextEncoder.save_pretrained. No hub download is attempted.")
        tokenizer = PreTrainedTokenizerFast.from_pretrained(str(root / TOKENIZER_DIR), local_files_only=True)
        model_type = UMT5Config.get_config_dict(str(root / TEXT_ENCODER_DIR))[0].get("model_type")
        if model_type not in ENCODER_CLASSES:
            raise ValueError(f"{config_file}: model_type {model_type!r}, expected one of {sorted(ENCODER_CLASSES)}")
        model = ENCODER_CLASSES[model_type].from_pretrained(str(root / TEXT_ENCODER_DIR), dtype=dtype,
                                                             local_files_only=True, use_safetensors=True)
        return cls(tokenizer, model, max_length)

    def save_pretrained(self, path: str | Path) -> None:
        root = Path(path)
        self.model.save_pretrained(str(root / TEXT_ENCODER_DIR))
        self.tokenizer.save_pretrained(str(root / TOKENIZER_DIR))

    def digest_config(self) -> dict:
        """Encoder config, tokenizer and max_length: each changes the embeddings."""
        return {"encoder": self.model.config.to_dict(), "tokenizer": self.tokenizer.backend_tokenizer.to_str(),
                "max_length": self.max_length}

    @torch.no_grad()
    def encode(self, instructions: Sequence[str]) -> list[torch.Tensor]:
        """One float32 [L_i, D] tensor per instruction, L_i its real token count (<= max_length)."""
        if isinstance(instructions, str):
            raise TypeError("encode takes a list of instructions, not one string")
        batch = self.tokenizer(list(instructions), padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")
        device = next(self.model.parameters()).device
        hidden = self.model(input_ids=batch.input_ids.to(device),
                            attention_mask=batch.attention_mask.to(device)).last_hidden_state.float().cpu()
        lengths = batch.attention_mask.sum(dim=1).tolist()
        return [h[:n].clone() for h, n in zip(hidden, lengths)]
