"""The evaluation tests fit many tiny models: one thread (torch intra-op, BLAS, OpenMP) keeps them fast on a
shared 2-core machine, where two contending threads made each small fit 15-100x slower."""

from collections.abc import Iterator

import pytest
import torch
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(threads)
