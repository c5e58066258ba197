"""Shared fixtures of the time-series adapter tests: the real data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "timeseries"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data/timeseries`` relative to the repository root (skips when it is absent)."""
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is not available")
    return DATA.resolve()
