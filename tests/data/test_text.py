"""Offline T5-family text encoder: deterministic tokenizer, tiny umT5 save/load, errors."""
import json
import subprocess
import sys

import pytest
import torch

from aim_core.models.text import TextEncoder, instruction_key, tiny_umt5_config, train_unigram_tokenizer
from transformers import UMT5EncoderModel

CORPUS = ["Pick up the shoe and place it on the pad.", "Stack the red block on the blue block.",
          "Press the button!", "Put the bottle 2 cm to the left."]
PROBE = ["Place the shoe on the mat, please.", "stack blocks #3 ~ {x}"]

_CHILD = """
import json, sys
from aim_core.models.tokenizer import train_unigram
tok = train_unigram(json.loads(sys.argv[1]), vocab_size=120)
print(json.dumps({"tokenizer": tok.to_str(), "ids": [e.ids for e in tok.encode_batch(json.loads(sys.argv[2]))]}))
"""


def _in_fresh_process():
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(CORPUS), json.dumps(PROBE)],
                         capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "random"})
    return json.loads(out.stdout)


def test_tokenizer_is_deterministic_across_processes():
    first, second = _in_fresh_process(), _in_fresh_process()
    assert first == second
    tok = train_unigram_tokenizer(CORPUS, vocab_size=120)
    assert tok(PROBE).input_ids == first["ids"]
    assert tok.backend_tokenizer.to_str() == first["tokenizer"]
    ids = first["ids"][0]
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids  # printable alphabet: no <unk>


def _tiny_encoder():
    tok = train_unigram_tokenizer(CORPUS, vocab_size=120)
    torch.manual_seed(0)
    return TextEncoder(tok, UMT5EncoderModel(tiny_umt5_config(len(tok))), max_length=64)


def test_tiny_umt5_save_load_round_trip(tmp_path):
    enc = _tiny_encoder()
    embs = enc.encode(CORPUS[:2])
    assert [e.shape[1] for e in embs] == [32, 32]
    assert embs[0].shape[0] == len(enc.tokenizer(CORPUS[0]).input_ids)   # padding dropped
    enc.save_pretrained(tmp_path / "wan")
    loaded = TextEncoder.from_pretrained(tmp_path / "wan", max_length=64)
    assert loaded.digest() == enc.digest()
    for a, b in zip(loaded.encode(CORPUS[:2]), embs):
        assert torch.allclose(a, b, atol=1e-6)
    # batching does not change an instruction's embedding (padding is masked)
    assert torch.allclose(enc.encode(CORPUS[:1])[0], embs[0], atol=1e-5)


def test_errors_and_keys(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        TextEncoder.from_pretrained(tmp_path)
    with pytest.raises(TypeError):
        _tiny_encoder().encode("one string")
    assert instruction_key("a") == instruction_key("a") != instruction_key("b")
