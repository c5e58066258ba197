"""Every distributed path of the core on two real processes (gloo): gathered losses and gradients equal
one process on the whole batch; queue and EMA identical on both ranks."""

from pathlib import Path

import pytest

from tests.distributed.launch import run_two_processes

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    return run_two_processes(Path(__file__).with_name("core_worker.py"), tmp_path_factory.mktemp("core"))


@pytest.mark.parametrize(
    "case", ["info_nce_equal", "info_nce_unequal", "supcon_unequal", "nt_xent_equal", "nt_xent_chunked"]
)
def test_gathered_loss_and_gradients_equal_one_process(ranks, case):
    for result in ranks:
        assert result[case]["loss"] < 1e-10, result[case]
        assert result[case]["grad"] < 1e-10, result[case]


def test_rank_offset_counts_rows_of_lower_ranks(ranks):
    assert [r["rank_offset"] for r in ranks] == [0, 3]


def test_queue_identical_on_both_ranks_after_enqueue(ranks):
    # size 7; each step writes rank 0's 3 rows then rank 1's: step 0 -> slots 0-5, step 1 -> 6, 0-4,
    # step 2 -> 5, 6, 0-3; the pointer ends at 18 % 7 = 4
    expected = [20.0, 21.0, 21.0, 21.0, 11.0, 20.0, 20.0]
    for result in ranks:
        assert result["queue_keys"] == expected
        assert result["queue_labels"] == [0, 1, 1, 1, 1, 0, 0]
        assert result["queue_pointer"] == 4


def test_moco_ddp_ema_and_queue_identical_on_both_ranks(ranks):
    for result in ranks:
        assert result["ema_rank_difference"] == 0.0
        assert result["queue_rank_difference"] == 0.0
        assert result["queue_filled"] == 20
        assert result["ema_moved"]
