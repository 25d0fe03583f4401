"""Progress that suits where it is shown: a tqdm bar on a terminal, else one plain line per stage.

A bar redraws itself with escape codes, which a CI log or a notebook's captured stderr
keeps as garbage, line after line. Off a terminal a stage prints one line when it ends:
its name, the items done, the time taken and the last status it was given.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> for _ in track(range(3), "stage", stream=out):
...     pass
>>> out.getvalue().startswith("stage: 3/3 in ")
True
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable


def is_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class StageLine:
    """Iterates like tqdm and prints ``desc: n/total in T s[, status]`` once, at the end."""

    def __init__(self, iterable: Iterable, desc: str, stream, total: int | None = None):
        self.iterable, self.desc, self.stream = iterable, desc, stream
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.n, self.status, self._start, self._closed = 0, "", time.perf_counter(), False

    def __iter__(self):
        try:
            for item in self.iterable:
                # counted when handed out: zip() and break never ask for the next one
                self.n += 1
                yield item
        finally:
            self.close()

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **kwargs) -> None:
        items = dict(ordered_dict or {}, **kwargs)
        self.status = ", ".join(f"{k}={v}" for k, v in items.items())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.status = str(s)

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        done = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        status = f", {self.status}" if self.status else ""
        print(f"{self.desc}: {done} in {time.perf_counter() - self._start:.1f} s{status}", file=self.stream, flush=True)


class _Silent(StageLine):
    def close(self) -> None:
        self._closed = True


def track(iterable: Iterable, desc: str, *, enabled: bool = True, stream=None, **tqdm_kwargs):
    """``iterable`` with progress on ``stream`` (stderr): a tqdm bar when it is a terminal,
    one line at the end of the stage when it is not, nothing when not ``enabled``.

    The result has tqdm's ``set_postfix``, ``set_postfix_str``, ``update`` and ``close``.
    """
    stream = sys.stderr if stream is None else stream
    if not enabled:
        return _Silent(iterable, desc, stream, tqdm_kwargs.get("total"))
    if is_terminal(stream):
        from tqdm import tqdm  # the plain bar: tqdm.auto would draw widgets in a notebook

        return tqdm(iterable, desc=desc, file=stream, **tqdm_kwargs)
    return StageLine(iterable, desc, stream, tqdm_kwargs.get("total"))
