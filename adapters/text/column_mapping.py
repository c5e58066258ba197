"""Which column of a text file or dataset plays which role: single texts, or pairs with negatives or scores.

A mapping names either ``text`` (one text per row: unsupervised views come from augmentation) or ``anchor``
and ``positive`` (a pair per row), optionally with ``negatives`` (hard negatives: several columns, or one
column holding a list) and ``score`` (a similarity score such as STS 0–5, or a 0/1 paraphrase label).
Columns are header names, or 0-based indices for files without a header.

Example:
    >>> ColumnMapping(anchor=0, positive=1, score=2).roles()
    {'anchor': 0, 'positive': 1, 'score': 2}
"""

from __future__ import annotations

from dataclasses import dataclass, field

Column = str | int


@dataclass
class ColumnMapping:
    """Roles → columns.

    Attributes:
        text: the column of single texts (documents, raw sentences).
        anchor: the first text of each pair (the query).
        positive: the second text of each pair.
        negatives: hard-negative columns; one column holding a list of texts works too.
        score: the similarity score or 0/1 label of each pair.
    """

    text: Column | None = None
    anchor: Column | None = None
    positive: Column | None = None
    negatives: list[Column] = field(default_factory=list)
    score: Column | None = None

    def __post_init__(self) -> None:
        pair = self.anchor is not None or self.positive is not None
        if self.text is not None and (pair or self.negatives or self.score is not None):
            raise ValueError(
                "columns: map either `text` (single texts) or `anchor` and `positive` (pairs), not both"
            )
        if self.text is None and (self.anchor is None or self.positive is None):
            raise ValueError(
                "columns: map `text` (single texts), or both `anchor` and `positive` (pairs), e.g. "
                "{anchor: sentence1, positive: sentence2}"
            )
        for role, column in self.roles().items():
            for one in column if isinstance(column, list) else [column]:
                if isinstance(one, bool) or (isinstance(one, int) and one < 0):
                    raise ValueError(
                        f"columns.{role}: expected a column name or a 0-based index, got {one!r}"
                    )
        used = [
            c for column in self.roles().values() for c in (column if isinstance(column, list) else [column])
        ]
        repeated = sorted({str(c) for c in used if used.count(c) > 1})
        if repeated:
            raise ValueError(
                f"columns: {', '.join(repeated)} mapped to more than one role; map each column once"
            )

    def roles(self) -> dict[str, Column | list[Column]]:
        """The mapped roles and their columns, in a fixed order."""
        roles: dict[str, Column | list[Column]] = {}
        for role in ("text", "anchor", "positive", "negatives", "score"):
            value = getattr(self, role)
            if value is not None and value != []:
                roles[role] = value
        return roles

    @property
    def is_pairs(self) -> bool:
        """Whether rows are pairs (``anchor``/``positive``) rather than single texts."""
        return self.text is None
