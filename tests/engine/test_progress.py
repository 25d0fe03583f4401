"""acset_s2r.progress: a bar on a terminal, one plain line per stage elsewhere."""

from __future__ import annotations

import io

from acset_s2r.progress import is_terminal, track


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_off_a_terminal_each_stage_is_one_plain_line():
    out = io.StringIO()
    for name, n in (("first", 3), ("second", 5)):
        bar = track(range(n), name, stream=out, leave=False)
        for i in bar:
            bar.set_postfix(ret=f"{i:.1f}")
        bar.close()  # a second close, as train_cem does, prints nothing more
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("first: 3/3 in ") and lines[0].endswith(", ret=2.0")
    assert lines[1].startswith("second: 5/5 in ")
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


def test_a_stage_left_early_still_says_how_far_it_got():
    out = io.StringIO()
    for i in track(iter(range(10)), "stage", stream=out):
        if i == 3:
            break
    assert out.getvalue().startswith("stage: 4 in ")  # items 0..3 were handed out


def test_on_a_terminal_a_bar_and_when_disabled_nothing():
    term = _Terminal()
    assert is_terminal(term) and not is_terminal(io.StringIO())
    assert list(track(range(4), "bar", stream=term)) == [0, 1, 2, 3]
    assert "\r" in term.getvalue() and "4/4" in term.getvalue()
    quiet = io.StringIO()
    assert list(track(range(4), "quiet", enabled=False, stream=quiet)) == [0, 1, 2, 3]
    assert quiet.getvalue() == ""
