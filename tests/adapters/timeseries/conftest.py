"""Shared fixtures of the time-series adapter tests: the real data folder and a private datasets cache."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "timeseries"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data/timeseries`` relative to the repository root (skips when it is absent)."""
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is not available")
    return DATA.resolve()


@pytest.fixture(autouse=True)
def private_datasets_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the datasets cache of each test away from the user's ``~/.cache`` (and from other tests)."""
    cache = tmp_path_factory.mktemp("hf_datasets_cache")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    datasets.disable_progress_bars()
    return cache
