import pytest

from mmcl.atomic_file import write_atomically


def test_writes_into_place_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    assert write_atomically(target, lambda path: path.write_text("done")) == target
    assert target.read_text() == "done"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def half_write(path):
        path.write_text("half")
        raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError, match="crash while writing"):
        write_atomically(target, half_write)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
