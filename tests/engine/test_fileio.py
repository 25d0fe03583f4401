"""Atomic writes: a failure leaves the old file, links are written through, non-files are refused."""

import os
import threading

import pytest

from acset_s2r.errors import AcsetS2RError
from acset_s2r.fileio import atomic_write_bytes, atomic_write_text


def test_a_write_failing_midway_leaves_the_old_file_and_no_temp(tmp_path):
    out = tmp_path / "f.txt"
    atomic_write_text(out, "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(out, "new text with a lone surrogate \ud800")
    assert out.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_a_failing_rename_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    out = tmp_path / "f.txt"
    atomic_write_text(out, "old")

    def refuse(src, dst):
        raise OSError("disk said no")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk said no"):
        atomic_write_text(out, "new")
    monkeypatch.undo()
    assert out.read_text() == "old" and os.listdir(tmp_path) == ["f.txt"]


def test_writing_through_a_symlink_keeps_the_link_and_updates_its_target(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new" and link.read_text() == "new"
    # the temporary file sat beside the target, and is gone
    assert os.listdir(tmp_path / "data") == ["real.json"]
    assert sorted(os.listdir(tmp_path)) == ["data", "link.json"]


def test_a_dangling_symlink_is_written_through_to_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "made.txt")
    atomic_write_bytes(link, b"abc")
    assert link.is_symlink() and (tmp_path / "made.txt").read_bytes() == b"abc"


def test_writing_to_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    caught: list[BaseException] = []

    def write() -> None:
        try:
            atomic_write_text(fifo, "data")
        except BaseException as err:  # handed to the test thread
            caught.append(err)

    # opening a FIFO with no reader blocks: a thread with a deadline shows that we never open it
    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the write blocked on the FIFO"
    assert len(caught) == 1 and isinstance(caught[0], AcsetS2RError)
    assert "pipe" in str(caught[0]) and "not a regular file" in str(caught[0])
    assert fifo.exists() and not fifo.is_file()  # still the FIFO
    assert os.listdir(tmp_path) == ["pipe"]


def test_writing_to_a_directory_is_refused(tmp_path):
    folder = tmp_path / "out"
    (folder / "inside").mkdir(parents=True)
    with pytest.raises(AcsetS2RError, match="not a regular file"):
        atomic_write_bytes(folder, b"x")
    assert folder.is_dir() and os.listdir(folder) == ["inside"]
    assert os.listdir(tmp_path) == ["out"]


def test_a_symlink_to_a_directory_is_refused_and_kept(tmp_path):
    (tmp_path / "folder").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "folder")
    with pytest.raises(AcsetS2RError):
        atomic_write_text(link, "x")
    assert link.is_symlink() and os.listdir(tmp_path / "folder") == []
