"""False-negative labels from repeated texts, against a naive union-find; and the batch sampler's guarantees."""

import torch

from mmcl.adapters.text import TextBatchSampler, labels_of_texts, shared_text_labels


def union_find_labels(anchors: list[int], positives: list[int]) -> list[int]:
    """Rows sharing any text, through chains, get the smallest row index among them."""
    parent = list(range(len(anchors)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(anchors)):
        for j in range(i):
            if {anchors[i], positives[i]} & {anchors[j], positives[j]}:
                a, b = root(i), root(j)
                parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(len(anchors))]


def test_labels_match_union_find_on_random_batches():
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        anchors = torch.randint(0, 40, (24,), generator=generator)
        positives = torch.randint(0, 40, (24,), generator=generator)
        expected = union_find_labels(anchors.tolist(), positives.tolist())
        assert shared_text_labels(anchors, positives).tolist() == expected


def test_chains_are_followed():
    # row 0 shares 2 with row 1, row 1 shares 3 with row 2: one group; row 3 alone
    assert shared_text_labels(torch.tensor([1, 2, 4, 9]), torch.tensor([2, 3, 3, 8])).tolist() == [0, 0, 0, 3]


def test_extra_candidates_take_the_label_of_a_row_with_their_text():
    anchors, positives = torch.tensor([1, 2, 1]), torch.tensor([5, 6, 7])
    labels = shared_text_labels(anchors, positives)
    extras = labels_of_texts(torch.tensor([6, 9, 7, 1]), anchors, positives, labels)
    assert extras.tolist() == [1, -1, 0, 0]


def test_batch_sampler_batches_have_no_repeated_text_and_are_full():
    generator = torch.Generator().manual_seed(1)
    rows = [tuple(torch.randint(0, 60, (2,), generator=generator).tolist()) for _ in range(200)]
    lengths = torch.randint(5, 50, (200,), generator=generator).tolist()
    sampler = TextBatchSampler(rows, batch_size=8, lengths=lengths, seed=3)
    batches = list(sampler)
    assert batches and all(len(batch) == 8 for batch in batches)
    for batch in batches:
        texts = [text for row in batch for text in set(rows[row])]
        assert len(texts) == len(set(texts))
    used = [row for batch in batches for row in batch]
    assert len(used) == len(set(used))


def test_batch_sampler_is_seeded_per_epoch_and_groups_lengths():
    rows = [(i, 1000 + i) for i in range(400)]
    lengths = torch.randint(1, 100, (400,), generator=torch.Generator().manual_seed(2)).tolist()
    grouped = TextBatchSampler(rows, batch_size=16, lengths=lengths, seed=0)
    assert grouped.batches(0) == TextBatchSampler(rows, batch_size=16, lengths=lengths, seed=0).batches(0)
    assert grouped.batches(0) != grouped.batches(1)

    def padding(batches: list[list[int]]) -> int:
        return sum(
            max(lengths[r] for r in batch) * len(batch) - sum(lengths[r] for r in batch) for batch in batches
        )

    shuffled = TextBatchSampler(rows, batch_size=16, seed=0)
    assert padding(grouped.batches(0)) < padding(shuffled.batches(0)) / 3
