"""Which skills of a corpus changed since a git ref (for ``skills audit --changed-since``).

A skill changed when any file in its folder differs between ``ref`` and the working tree
(committed, staged or not), or is new and not ignored. A skill deleted since ``ref``
counts too: the claims that still name it are the ones to look at.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from acset_s2r.errors import AcsetS2RError

__all__ = ["changed_skills"]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise AcsetS2RError("--changed-since needs git, and no git command was found") from None


def changed_skills(directory: str | Path, ref: str) -> tuple[str, ...]:
    """The names of the skill folders under ``directory`` that changed since ``ref``, sorted.

    Raises ``AcsetS2RError`` when ``directory`` is not in a git work tree or ``ref`` names
    no commit there.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     changed_skills(d, "HEAD")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    acset_s2r.errors.AcsetS2RError: ... is not inside a git work tree
    """
    root = Path(directory)
    if not root.is_dir():
        raise AcsetS2RError(f"skill directory {str(root)!r} does not exist or is not a directory")
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise AcsetS2RError(f"{str(root)!r} is not inside a git work tree; --changed-since needs one")
    if ref.startswith("-"):
        raise AcsetS2RError(f"{ref!r} is not a git ref")  # would be read as an option
    known = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if known.returncode != 0:
        raise AcsetS2RError(f"unknown git ref {ref!r} in the repository holding {str(root)!r}")
    diff = _git(root, "diff", "--name-only", "--no-renames", "--relative", "-z", known.stdout.strip(), "--", ".")
    new = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    for done in (diff, new):
        if done.returncode != 0:
            raise AcsetS2RError(f"git failed in {str(root)!r}: {done.stderr.strip()}")
    paths = [p for out in (diff.stdout, new.stdout) for p in out.split("\0") if p]
    # a file directly in DIR belongs to no skill
    return tuple(sorted({Path(p).parts[0] for p in paths if len(Path(p).parts) > 1}))
