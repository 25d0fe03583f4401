"""Atomic file writes: the one way the package writes a file.

Every file ``acset_s2r`` writes (ACSet and schema JSON, plots, reports, proof bundles,
audit reports) goes through :func:`atomic_write_bytes`: the bytes go to a hidden
temporary file beside the target, are flushed to disk, and replace the target by a
rename, so a reader never sees half a file. A symlink is written through to its
target (the link stays a link), and a target that is not a regular file (a device, a
FIFO) is refused: renaming over it would replace it.

Missing parent folders are created, everywhere the package writes: the one rule for
``write_json``, ``write_schema_json``, plots, reports and ``--json`` files alike.

A writer killed between creating its temporary file and the rename leaves that file
behind; the next write to the same target deletes it (the name records the writer's
process id, and a file whose process is gone, or older than a day, is stale).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from pathlib import Path

from acset_s2r.errors import AcsetS2RError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _resolve_target(path: Path) -> Path:
    """The regular file a write to ``path`` should replace (through symlinks)."""
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise AcsetS2RError(f"refusing to write {str(path)!r}: it is not a regular file (a folder, device or FIFO)")
    return target


_STALE_AFTER = 24 * 3600.0  # seconds; for temporary files whose writer's id cannot be read


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process
    return True


def _remove_stale_temporaries(target: Path) -> None:
    """Delete temporary files that killed writers left beside ``target``."""
    # .NAME.PID.XXXXXXXX.tmp (mkstemp's 8 random characters); older writers left no PID
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}\.tmp")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            stale = not _alive(int(match[1])) if match[1] else (
                time.time() - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER
            )
            if stale:
                os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to delete


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_bytes(folder / "sub" / "a.bin", b"abc")
    >>> (folder / "sub" / "a.bin").read_bytes()
    b'abc'
    """
    target = _resolve_target(Path(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the old file's)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write_text(out, "hello")
    >>> out.read_text()
    'hello'
    """
    # encode first, so a text that cannot be written leaves the old file untouched
    atomic_write_bytes(path, text.encode("utf-8"))


def read_toml(path: str | os.PathLike, what: str, error: type[AcsetS2RError]) -> dict:
    """The TOML document at ``path``; a missing or malformed file is ``error`` naming ``what``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "task.toml"
    >>> _ = f.write_text('name = "x"')
    >>> read_toml(f, "task file", AcsetS2RError)
    {'name': 'x'}
    >>> read_toml(f.with_name("missing.toml"), "task file", AcsetS2RError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    acset_s2r.errors.AcsetS2RError: task file '...missing.toml' does not exist
    """
    import tomllib

    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {str(path)!r} does not exist") from None
    except OSError as exc:  # a folder, no permission
        raise error(f"{what} {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{what} {str(path)!r} is not valid TOML: {exc}") from None
