"""Atomic file writes: the one way the package writes a file.

Every file ``acset_s2r`` writes (ACSet and schema JSON, plots, reports, proof bundles,
audit reports) goes through :func:`atomic_write_bytes`: the bytes go to a hidden
temporary file beside the target, are flushed to disk, and replace the target by a
rename, so a reader never sees half a file. A symlink is written through to its
target (the link stays a link), and a target that is not a regular file (a device, a
FIFO) is refused: renaming over it would replace it.

Missing parent folders are created, everywhere the package writes.
"""

from __future__ import annotations

import os
import stat
import tempfile
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
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
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
