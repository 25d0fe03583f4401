"""Writes onto things that are not regular files, and the temporary files of killed writers.

The device is a null device made with mknod inside the test's own folder (skipped where
that is not allowed), never the system's /dev/null.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from acset_s2r import ACSet, catalog
from acset_s2r.errors import AcsetS2RError
from acset_s2r.fileio import atomic_write_bytes, atomic_write_text
from acset_s2r.serialization import write_json


def _null_device(folder):
    path = folder / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (OSError, AttributeError) as err:
        pytest.skip(f"cannot make a character device here: {err}")
    return path


def _tree(folder) -> dict:
    return {p.name: (stat.S_IFMT(os.lstat(p).st_mode), os.readlink(p) if p.is_symlink() else None)
            for p in folder.iterdir()}


def test_a_character_device_and_a_link_to_it_are_refused_and_kept(tmp_path):
    dev = _null_device(tmp_path)
    (tmp_path / "link").symlink_to(dev)
    os.mkfifo(tmp_path / "fifo")
    before = _tree(tmp_path)
    X = ACSet(catalog.SchGraph)
    X.add_parts("V", 2)
    for target in ("null", "link", "fifo"):
        with pytest.raises(AcsetS2RError, match="not a regular file"):
            write_json(X, tmp_path / target)
    assert _tree(tmp_path) == before  # nothing replaced, no temporary file left
    assert stat.S_ISCHR(os.stat(dev).st_mode) and os.major(os.stat(dev).st_rdev) == 1


def test_the_audit_report_is_not_written_onto_a_device(tmp_path, capsys):
    from acset_s2r.cli import main

    dev = _null_device(tmp_path)
    (tmp_path / "skills" / "a").mkdir(parents=True)
    (tmp_path / "skills" / "a" / "SKILL.md").write_text("**Trit**: +1\n", encoding="utf-8")
    before = _tree(tmp_path)
    assert main(["skills", "audit", str(tmp_path / "skills"), "--json", str(dev)]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert _tree(tmp_path) == before


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "f.json"
    dead = tmp_path / f".f.json.{_dead_pid()}.abcd1234.tmp"
    live = tmp_path / f".f.json.{os.getpid()}.efgh5678.tmp"
    old_style = tmp_path / ".f.json.ijkl9012.tmp"
    fresh_old_style = tmp_path / ".f.json.mnop3456.tmp"
    other = tmp_path / f".f.json.x.{_dead_pid()}.qrst7890.tmp"  # the temporary of a file called f.json.x
    for p in (dead, live, old_style, fresh_old_style, other):
        p.write_bytes(b"half")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old_style, (two_days_ago, two_days_ago))
    atomic_write_text(out, "whole")
    assert out.read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (out, live, fresh_old_style, other))


_KILLED_WRITER = """
import os, sys, time
from acset_s2r import fileio
def hang(fd):
    print("writing", flush=True)
    time.sleep(60)
fileio.os.fsync = hang
fileio.atomic_write_bytes(sys.argv[1], b"x" * 1_000_000)
"""


def test_a_writer_killed_mid_write_leaves_a_temporary_that_the_next_write_removes(tmp_path):
    out = tmp_path / "data.bin"
    atomic_write_bytes(out, b"old")
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    left = [p.name for p in tmp_path.iterdir() if p.name != "data.bin"]
    assert len(left) == 1 and left[0].endswith(".tmp") and out.read_bytes() == b"old"
    atomic_write_bytes(out, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"] and out.read_bytes() == b"new"


def test_missing_parent_folders_are_created_by_every_writer(tmp_path):
    from acset_s2r.serialization import write_schema_json

    X = ACSet(catalog.SchGraph)
    write_json(X, tmp_path / "a" / "b" / "x.json")
    write_schema_json(catalog.SchGraph, tmp_path / "c" / "d" / "s.json")
    atomic_write_text(tmp_path / "e" / "f" / "t.txt", "t")
    assert (tmp_path / "a" / "b" / "x.json").is_file() and (tmp_path / "c" / "d" / "s.json").is_file()
    assert (tmp_path / "e" / "f" / "t.txt").read_text() == "t"
