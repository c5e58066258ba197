"""The sentence encoder: pooling of a plain transformers model by hand, and the saved folder's embeddings."""

import pytest
import torch
from sentence_transformers import SentenceTransformer
from transformers import AutoTokenizer, BertModel

from mmcl.adapters.text import load_sentence_encoder
from mmcl.hub import save_encoder
from tests.adapters.text.conftest import SENTENCES


def manual_pooling(folder, texts: list[str], pooling: str) -> torch.Tensor:
    """Pool BertModel's last hidden state by hand: mean over attended tokens, [CLS], or the last attended."""
    tokenizer, model = AutoTokenizer.from_pretrained(folder), BertModel.from_pretrained(folder).eval()
    tokens = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**tokens).last_hidden_state
    mask = tokens["attention_mask"]
    if pooling == "mean":
        return (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    if pooling == "cls":
        return hidden[:, 0]
    return hidden[torch.arange(len(texts)), mask.sum(1) - 1]


@pytest.mark.parametrize("pooling", ["mean", "cls", "last-token"])
def test_plain_transformers_model_with_pooling(tiny_bert_dir, pooling):
    encoder = load_sentence_encoder(str(tiny_bert_dir), pooling=pooling).eval()
    with torch.no_grad():
        embeddings = encoder(encoder.tokenize(SENTENCES))
    torch.testing.assert_close(
        embeddings, manual_pooling(tiny_bert_dir, SENTENCES, pooling), rtol=1e-4, atol=1e-5
    )
    assert encoder.dimension == 32


def test_sentence_transformer_folder_matches_encode(tiny_model_dir, encoder):
    reference = SentenceTransformer(str(tiny_model_dir), device="cpu")
    encoder.eval()
    with torch.no_grad():
        embeddings = encoder(encoder.tokenize(SENTENCES))
    torch.testing.assert_close(
        embeddings, reference.encode(SENTENCES, convert_to_tensor=True), rtol=1e-4, atol=1e-5
    )


def test_extra_view_entries_are_ignored_and_missing_tokens_are_named(encoder):
    tokens = encoder.tokenize(SENTENCES[:2])
    encoder.eval()
    with torch.no_grad():
        plain = encoder(tokens)
        with_extras = encoder(
            {**tokens, "text_ids": torch.tensor([1, 2]), "scores": torch.tensor([0.5, 1.0])}
        )
    torch.testing.assert_close(plain, with_extras)
    with pytest.raises(ValueError, match="expects the tokenizer's tensors"):
        encoder({"text_ids": torch.tensor([1])})


def test_trained_encoder_saved_loads_with_the_same_embeddings(encoder, tmp_path):
    optimizer = torch.optim.SGD(encoder.parameters(), lr=0.5)
    tokens = encoder.tokenize(SENTENCES)
    encoder(tokens).pow(2).sum().backward()
    optimizer.step()  # the weights now differ from the base model's
    encoder.eval()
    with torch.no_grad():
        trained = encoder(encoder.tokenize(SENTENCES))
    save_encoder(encoder.model, tmp_path / "model")
    loaded = SentenceTransformer(str(tmp_path / "model"), device="cpu")
    torch.testing.assert_close(
        loaded.encode(SENTENCES, convert_to_tensor=True), trained, rtol=1e-5, atol=1e-6
    )


def test_truncation_lengths_and_max_length(encoder):
    long_text = " ".join(["word"] * 100)
    assert encoder.token_lengths(["a b", long_text]) == [4, 102]
    assert encoder.tokenize([long_text], max_length=16)["input_ids"].shape == (1, 16)
    assert encoder.tokenize([long_text])["input_ids"].shape == (1, encoder.max_seq_length)


def test_pooling_for_a_sentence_transformer_folder_is_refused(tiny_model_dir):
    with pytest.raises(ValueError, match="with its own pooling"):
        load_sentence_encoder(str(tiny_model_dir), pooling="cls")


@pytest.mark.parametrize("pooling", [None, "cls"])
def test_parameters_that_never_reach_the_embedding_are_frozen(tiny_model_dir, tiny_bert_dir, pooling):
    torch.manual_seed(0)
    state = torch.get_rng_state()
    folder = tiny_bert_dir if pooling else tiny_model_dir
    encoder = load_sentence_encoder(str(folder), pooling=pooling)
    assert torch.equal(torch.get_rng_state(), state)  # the probe pass draws no random numbers
    assert encoder.training and all(p.grad is None for p in encoder.parameters())
    frozen = [name for name, p in encoder.named_parameters() if not p.requires_grad]
    assert [name.rsplit(".", 3)[-3:] for name in frozen] == [
        ["pooler", "dense", "weight"],
        ["pooler", "dense", "bias"],
    ]
    # every other parameter gets a gradient from a loss on the embeddings (BERT's pooler never does)
    encoder(encoder.tokenize(SENTENCES)).square().sum().backward()
    assert all((p.grad is not None) == p.requires_grad for p in encoder.parameters())
