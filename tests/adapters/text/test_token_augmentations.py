"""Batched token augmentations against per-row Python references: what is kept, in which order, with padding."""

import pytest
import torch

from mmcl.adapters.text import TokenCrop, TokenDeletion, TokenShuffle
from mmcl.adapters.text.token_selection import keep_tokens

CLS, SEP, PAD = 101, 102, 0
SPECIAL = [PAD, CLS, SEP]


def batch(rows: list[list[int]]) -> dict[str, torch.Tensor]:
    """Right-padded tokens of rows of content ids, each wrapped in [CLS] ... [SEP]."""
    width = max(len(row) for row in rows) + 2
    ids = torch.full((len(rows), width), PAD)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row) + 2] = torch.tensor([CLS, *row, SEP])
        mask[i, : len(row) + 2] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}


def rows_of(tokens: dict[str, torch.Tensor]) -> list[list[int]]:
    """Each row's attended ids, after checking the padding is consistent."""
    result = []
    for ids, mask in zip(tokens["input_ids"].tolist(), tokens["attention_mask"].tolist(), strict=True):
        length = sum(mask)
        assert mask == [1] * length + [0] * (len(mask) - length), "attended tokens must come first"
        assert all(token == PAD for token in ids[length:])
        result.append(ids[:length])
    return result


CONTENT = [[5, 6, 7, 8, 9, 10, 11, 12], [20, 21], [30], [40, 41, 42, 43, 44]]


def test_keep_tokens_matches_a_loop():
    tokens = batch(CONTENT)
    keep = torch.rand(tokens["input_ids"].shape) < 0.6
    keep &= tokens["attention_mask"].bool()
    expected = [
        [t for t, k in zip(ids, flags, strict=True) if k]
        for ids, flags in zip(tokens["input_ids"].tolist(), keep.tolist(), strict=True)
    ]
    kept = keep_tokens(tokens, keep, pad_id=PAD)
    assert rows_of(kept) == expected
    assert kept["input_ids"].shape[1] == max(len(row) for row in expected)
    assert kept["token_type_ids"].eq(0).all()


def is_subsequence(short: list[int], long: list[int]) -> bool:
    iterator = iter(long)
    return all(token in iterator for token in short)


def test_deletion_keeps_specials_order_and_one_token_per_row():
    torch.manual_seed(1)
    tokens = batch(CONTENT * 50)
    deleted = rows_of(TokenDeletion(0.5, special_ids=SPECIAL, pad_id=PAD)(tokens))
    for original, row in zip(CONTENT * 50, deleted, strict=True):
        assert row[0] == CLS and row[-1] == SEP
        assert 1 <= len(row) - 2 <= len(original)
        assert is_subsequence(row[1:-1], original)
    kept_share = sum(len(row) - 2 for row in deleted) / sum(len(row) for row in CONTENT * 50)
    assert 0.45 < kept_share < 0.6  # 1 - p, plus the rescued single-token rows


def test_deletion_with_probability_zero_is_the_identity():
    tokens = batch(CONTENT)
    assert rows_of(TokenDeletion(0.0, special_ids=SPECIAL, pad_id=PAD)(tokens)) == rows_of(tokens)


@pytest.mark.parametrize("ratio", [0.5, 0.8, 1.0])
def test_crop_keeps_a_contiguous_window_of_the_ratio(ratio):
    torch.manual_seed(2)
    cropped = rows_of(TokenCrop(special_ids=SPECIAL, pad_id=PAD, ratio=ratio)(batch(CONTENT * 20)))
    starts = set()
    for original, row in zip(CONTENT * 20, cropped, strict=True):
        window = row[1:-1]
        assert row[0] == CLS and row[-1] == SEP
        assert len(window) == max(1, round(len(original) * ratio))
        start = original.index(window[0])
        assert original[start : start + len(window)] == window
        if original is CONTENT[0]:
            starts.add(start)
    assert len(starts) == (1 if ratio == 1.0 else len(CONTENT[0]) - round(len(CONTENT[0]) * ratio) + 1)


def test_document_spans_are_windows_of_a_fixed_length():
    torch.manual_seed(3)
    crop = TokenCrop(special_ids=SPECIAL, pad_id=PAD, length=3)
    first, second = rows_of(crop(batch(CONTENT))), rows_of(crop(batch(CONTENT)))
    for original, a, b in zip(CONTENT, first, second, strict=True):
        for row in (a, b):
            window = row[1:-1]
            assert len(window) == min(3, len(original))
            start = original.index(window[0])
            assert original[start : start + len(window)] == window


def test_shuffle_permutes_content_only():
    torch.manual_seed(4)
    tokens = batch(CONTENT * 30)
    shuffled = TokenShuffle(special_ids=SPECIAL)(tokens)
    assert torch.equal(shuffled["attention_mask"], tokens["attention_mask"])
    orders = set()
    for original, row in zip(CONTENT * 30, rows_of(shuffled), strict=True):
        assert row[0] == CLS and row[-1] == SEP
        assert sorted(row[1:-1]) == sorted(original)
        if original is CONTENT[0]:
            orders.add(tuple(row[1:-1]))
    assert len(orders) > 20  # 30 draws of 8! orders are (almost surely) mostly distinct


def test_invalid_parameters_fail():
    with pytest.raises(ValueError, match="probability"):
        TokenDeletion(1.0, special_ids=SPECIAL, pad_id=PAD)
    with pytest.raises(ValueError, match="exactly one"):
        TokenCrop(special_ids=SPECIAL, pad_id=PAD, ratio=0.5, length=3)
    with pytest.raises(ValueError, match="ratio"):
        TokenCrop(special_ids=SPECIAL, pad_id=PAD, ratio=0.0)
