"""Naive per-row reference implementations the losses are tested against (plain loops, no masking tricks)."""

from __future__ import annotations

import torch


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a @ b) / (a.norm() * b.norm())


def info_nce_loop(query, key, temperature, negatives=None, labels=None, negative_labels=None):
    """Row by row: candidates are all keys plus the row's negatives; loss = -mean log p(positives)."""
    losses = []
    for i in range(query.shape[0]):
        candidates = list(key)
        candidate_labels = list(labels) if labels is not None else None
        if negatives is not None:
            row_negatives = negatives if negatives.ndim == 2 else negatives[i]
            candidates += list(row_negatives)
            if candidate_labels is not None:
                if negative_labels is not None and negatives.ndim == 2:
                    candidate_labels += list(negative_labels)
                else:
                    candidate_labels += [None] * row_negatives.shape[0]
        logits = torch.stack([cosine(query[i], c) / temperature for c in candidates])
        log_p = logits - torch.logsumexp(logits, 0)
        if labels is None:
            positives = [i]
        else:
            positives = [j for j, y in enumerate(candidate_labels) if y is not None and y == labels[i]]
        losses.append(-torch.stack([log_p[j] for j in positives]).mean())
    return torch.stack(losses).mean()


def nt_xent_loop(z_a, z_b, temperature):
    z = torch.cat([z_a, z_b])
    n = z_a.shape[0]
    losses = []
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        others = [j for j in range(2 * n) if j != i]
        logits = torch.stack([cosine(z[i], z[j]) / temperature for j in others])
        positive_logit = cosine(z[i], z[positive]) / temperature
        losses.append(torch.logsumexp(logits, 0) - positive_logit)
    return torch.stack(losses).mean()


def distance(a, b, kind):
    if kind == "cosine":
        return 1 - cosine(a, b)
    return (a - b).norm()


def triplet_loop(anchor, positive, negative, margin, kind):
    return torch.stack(
        [
            torch.relu(distance(a, p, kind) - distance(a, n, kind) + margin)
            for a, p, n in zip(anchor, positive, negative, strict=True)
        ]
    ).mean()


def mined_triplet_loop(x, labels, margin, mining, kind):
    n = x.shape[0]
    d = [[distance(x[i], x[j], kind) for j in range(n)] for i in range(n)]
    same = [[bool(labels[i] == labels[j]) for j in range(n)] for i in range(n)]
    losses = []
    if mining == "batch_all":
        for a in range(n):
            for p in range(n):
                if p == a or not same[a][p]:
                    continue
                for m in range(n):
                    if not same[a][m]:
                        losses.append(torch.relu(d[a][p] - d[a][m] + margin))
        active = [value for value in losses if value > 0]
        return torch.stack(active).mean() if active else torch.tensor(0.0, dtype=x.dtype)
    if mining == "batch_hard":
        for a in range(n):
            positives = [d[a][p] for p in range(n) if p != a and same[a][p]]
            negatives = [d[a][m] for m in range(n) if not same[a][m]]
            if positives and negatives:
                losses.append(torch.relu(max(positives) - min(negatives) + margin))
        return torch.stack(losses).mean()
    for a in range(n):
        negatives = [d[a][m] for m in range(n) if not same[a][m]]
        if not negatives:
            continue
        for p in range(n):
            if p == a or not same[a][p]:
                continue
            farther = [value for value in negatives if value > d[a][p]]
            chosen = min(farther) if farther else max(negatives)
            losses.append(torch.relu(d[a][p] - chosen + margin))
    return torch.stack(losses).mean()
