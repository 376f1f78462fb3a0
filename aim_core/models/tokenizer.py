"""Offline T5-style tokenizer: a `tokenizers` Unigram trained on the fly, identical in every process.

No model hub and no sentencepiece here, so a tokenizer for a freshly initialised text encoder
is trained from the dataset's instructions. Kept free of torch/transformers so that building
one (e.g. in a worker, or to check determinism) is cheap.
"""
from __future__ import annotations

import json
import string
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
MIN_VOCAB = len(string.printable) + 16
SCORE_DECIMALS = 6


def train_unigram(corpus: Iterable[str], vocab_size: int = 256) -> Tokenizer:
    """A T5-style (Metaspace + Unigram, `</s>` appended) tokenizer trained offline on `corpus`.

    Deterministic across processes: the corpus is de-duplicated and sorted, the alphabet is the
    fixed `string.printable`, and the trained vocabulary is canonicalised. (The trainer gives
    single characters slightly different scores in each process, and multi-character scores
    differ in the last bits of float summation: scores are rounded, a character, which can only
    be segmented as itself, gets one fixed score below every multi-character piece, and pieces
    are ordered by score then text.)
    """
    texts = sorted(set(corpus))
    if not texts:
        raise ValueError("train_unigram needs at least one text (e.g. the dataset's instructions)")
    if vocab_size < MIN_VOCAB:
        raise ValueError(f"vocab_size {vocab_size} < {MIN_VOCAB}: the vocabulary must hold string.printable, "
                         "the special tokens and some pieces")
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=[PAD, EOS, UNK], unk_token=UNK,
                                      initial_alphabet=list(string.printable), show_progress=False)
    trained = _t5_style(Tokenizer(models.Unigram()))
    trained.train_from_iterator(texts, trainer=trainer)
    pieces = {p: round(s, SCORE_DECIMALS) for p, s in json.loads(trained.to_str())["model"]["vocab"]
              if p not in (PAD, EOS, UNK)}
    char_score = min([s for p, s in pieces.items() if len(p) > 1], default=0.0) - 1.0
    ranked = sorted(((p, s if len(p) > 1 else char_score) for p, s in pieces.items()), key=lambda ps: (-ps[1], ps[0]))
    tok = _t5_style(Tokenizer(models.Unigram([(PAD, 0.0), (EOS, 0.0), (UNK, 0.0)] + ranked, unk_id=2)))
    tok.add_special_tokens([PAD, EOS, UNK])
    tok.post_processor = processors.TemplateProcessing(single=f"$A {EOS}", special_tokens=[(EOS, 1)])
    return tok


def _t5_style(tok: Tokenizer) -> Tokenizer:
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    return tok
