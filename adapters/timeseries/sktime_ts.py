"""sktime / UEA ``.ts`` files: ``@`` header lines, then one case per line, dimensions separated by ``:``.

The format of the UEA & UCR archive's ``.ts`` distribution (Bagnall et al., "The UEA multivariate time
series classification archive, 2018"; read by ``sktime.datasets.load_from_tsfile``)::

    # comment
    @problemName Demo
    @timeStamps false
    @missing true
    @univariate false
    @dimensions 2
    @equalLength true
    @seriesLength 3
    @classLabel true a b
    @data
    1.0,2.0,3.0:4.0,5.0,?:a

Values are comma separated, ``?`` is a missing value (NaN), and the class label comes last. Files with
``@timeStamps true`` or regression targets (``@targetLabel true``) are rejected with a ValueError.

Example:
    >>> header = TsHeader(class_labels=("a", "b"), dimensions=2)
    >>> parse_ts_line("1,2,3:4,5,?:a", "demo.ts:0", header)
    ('a', array([[ 1.,  2.,  3.],
           [ 4.,  5., nan]]))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmcl.adapters.timeseries.read_errors import RecordError
from mmcl.adapters.timeseries.ucr_tsv import canonical_label


@dataclass(frozen=True)
class TsHeader:
    """The parts of a ``.ts`` header that reading needs.

    Attributes:
        class_labels: Labels declared by ``@classLabel true ...``, or None for unlabelled files.
        dimensions: Leads per case (1 for univariate files).
    """

    class_labels: tuple[str, ...] | None = None
    dimensions: int = 1


def read_ts_header(path: Path) -> TsHeader:
    """Parse the ``@`` lines up to ``@data``.

    Raises:
        ValueError: For timestamped or regression files, or a file without ``@data``.
    """
    class_labels, dimensions, univariate = None, None, True
    with open(path, encoding="utf-8") as file:
        for line in file:
            words = line.strip().split()
            if not words or words[0].startswith("#"):
                continue
            tag, values = words[0].lower(), [word.lower() for word in words[1:]]
            if tag == "@data":
                if not univariate and dimensions is None:
                    raise ValueError(
                        f"{path}: multivariate .ts file without '@dimensions N'; add that header line"
                    )
                return TsHeader(class_labels, 1 if univariate else dimensions)
            if tag == "@timestamps" and values[:1] == ["true"]:
                raise ValueError(
                    f"{path}: timestamped .ts files are not supported; export the series without timestamps"
                )
            if tag == "@targetlabel" and values[:1] == ["true"]:
                raise ValueError(
                    f"{path}: regression .ts files (@targetLabel true) are not supported, only classification"
                )
            if tag == "@classlabel" and values[:1] == ["true"]:
                class_labels = tuple(canonical_label(word) for word in words[2:])
            elif tag == "@univariate":
                univariate = values[:1] != ["false"]
            elif tag == "@dimensions":
                dimensions = int(values[0])
    raise ValueError(f"{path}: no '@data' line, so this is not a .ts file; check the path")


def ts_data_lines(path: Path) -> Iterator[tuple[str, str]]:
    """``(record, line)`` for each case after ``@data``; the record is ``"<file name>:<case>"``."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.strip().lower().startswith("@data"):
                break
        for case, line in enumerate(line for line in file if line.strip() and not line.startswith("#")):
            yield f"{path.name}:{case}", line


def parse_ts_line(line: str, record: str, header: TsHeader) -> tuple[str | None, np.ndarray]:
    """Label (None for unlabelled files) and ``(dimensions, time)`` float64 series of one case.

    Raises:
        RecordError: ``"malformed"`` for a wrong number of dimensions, unequal dimension lengths or a
            value that is not a number.
    """
    parts = line.strip().split(":")
    label = None
    if header.class_labels is not None:
        *parts, label = parts
        label = canonical_label(label)
    if len(parts) != header.dimensions:
        raise RecordError(
            record,
            "malformed",
            f"has {len(parts)} dimensions but the header declares {header.dimensions}; fix the file",
        )
    try:
        dimensions = [
            np.array([np.nan if value.strip() == "?" else float(value) for value in part.split(",")])
            for part in parts
        ]
    except ValueError as error:
        raise RecordError(
            record, "malformed", f"has a value that is not a number ({error}); fix the file"
        ) from None
    if len({len(values) for values in dimensions}) != 1:
        raise RecordError(
            record,
            "malformed",
            f"has dimensions of different lengths {[len(values) for values in dimensions]}; pad them to one length",
        )
    return label, np.stack(dimensions)
