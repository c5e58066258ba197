"""Shared test settings: deterministic, single-threaded enough to be fast on 2 cores."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
