"""Random mutation sequences on an ACSet against a naive reference model.

The model keeps each table as a Python list of row dicts, answers every query by a
linear scan, and deletes by literal one-at-a-time pop-and-swap (largest id first),
so it shares no code or idea with the columns and indexes it checks.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from acset_s2r import ACSet, AcsetS2RError, Schema
from acset_s2r.acset import PreimageIndex

SCH = Schema.build(
    "SchStateful",
    obs=["A", "B"],
    homs=[("next", "A", "A"), ("owner", "B", "A")],
    attrtypes=["Label", "Count"],
    attrs=[("label", "A", "Label"), ("count", "B", "Count")],
)
HOMS = {"next": ("A", "A"), "owner": ("B", "A")}
ATTRS = {"label": "A", "count": "B"}
NAMES = {"A": ["next", "label"], "B": ["owner", "count"]}
LABELS = st.one_of(st.none(), st.sampled_from(["x", "y", "", "zz"]))
COUNTS = st.one_of(st.none(), st.integers(-2, 2))
VALUES = {"label": LABELS, "count": COUNTS}


class Model:
    """Tables as lists of ``{name: value}`` rows; None is undefined."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {"A": [], "B": []}

    def copy(self) -> Model:
        out = Model()
        out.rows = {ob: [dict(r) for r in rows] for ob, rows in self.rows.items()}
        return out

    def rem_one(self, ob: str, i: int) -> None:
        rows = self.rows[ob]
        last = len(rows) - 1
        rows[i] = rows[last]
        rows.pop()
        for name, (dom, codom) in HOMS.items():
            if codom != ob:
                continue
            for row in self.rows[dom]:
                if row[name] == i:
                    row[name] = None
                elif row[name] == last:
                    row[name] = i

    def rem_many(self, ob: str, ids) -> list[int | None]:
        """Delete; return the old -> new map worked out by following each row."""
        tags = list(range(len(self.rows[ob])))
        for i in sorted(set(ids), reverse=True):
            tags[i] = tags[-1]
            tags.pop()
            self.rem_one(ob, i)
        new = [None] * (len(tags) + len(set(ids)))
        for pos, old in enumerate(tags):
            new[old] = pos
        return new


class ACSetMachine(RuleBasedStateMachine):
    threshold = PreimageIndex.REBUILD_MIN

    def __init__(self) -> None:
        super().__init__()
        self.saved_threshold = PreimageIndex.REBUILD_MIN
        PreimageIndex.REBUILD_MIN = self.threshold
        self.X = ACSet(SCH, Label=str, Count=int)
        self.M = Model()

    def teardown(self) -> None:
        PreimageIndex.REBUILD_MIN = self.saved_threshold

    # -- helpers -------------------------------------------------------------------
    def n(self, ob: str) -> int:
        return len(self.M.rows[ob])

    def draw_ids(self, data, ob: str, max_size: int = 4) -> list[int]:
        if not self.n(ob):
            return []
        return data.draw(st.lists(st.integers(0, self.n(ob) - 1), max_size=max_size), label=f"{ob} ids")

    def draw_value(self, data, name: str):
        if name in HOMS:
            m = self.n(HOMS[name][1])
            return data.draw(st.one_of(st.none(), st.integers(0, m - 1)) if m else st.none(), label=name)
        return data.draw(VALUES[name], label=name)

    @staticmethod
    def to_engine(name: str, vals: list) -> list:
        return [-1 if v is None else v for v in vals] if name in HOMS else vals

    def expect_failure(self, call) -> None:
        before = self.X.copy()
        with pytest.raises(AcsetS2RError):
            call()
        assert self.X == before

    # -- mutations -----------------------------------------------------------------
    @initialize(a=st.integers(0, 3), b=st.integers(0, 3))
    def start(self, a, b):
        self.X.add_parts("A", a)
        self.X.add_parts("B", b)
        self.M.rows["A"] += [{"next": None, "label": None} for _ in range(a)]
        self.M.rows["B"] += [{"owner": None, "count": None} for _ in range(b)]

    @rule(ob=st.sampled_from(["A", "B"]), data=st.data())
    def add_part(self, ob, data):
        row = {}
        for name in NAMES[ob]:
            if name in HOMS:
                m = self.n(HOMS[name][1]) + (1 if HOMS[name][1] == ob else 0)
                row[name] = data.draw(st.one_of(st.none(), st.integers(0, m - 1)) if m else st.none(), label=name)
            else:
                row[name] = self.draw_value(data, name)
        given = {k: v for k, v in row.items() if v is not None or data.draw(st.booleans(), label="pass None")}
        kwargs = {k: (-1 if v is None and k in HOMS else v) for k, v in given.items()}
        i = self.X.add_part(ob, **kwargs)
        assert i == self.n(ob)
        self.M.rows[ob].append(row)

    @rule(ob=st.sampled_from(["A", "B"]), data=st.data(), bulk=st.sampled_from([0, 1, 3, 5, 70]))
    def add_parts(self, ob, data, bulk):
        rows = [{} for _ in range(bulk)]
        kwargs = {}
        for name in NAMES[ob]:
            if not data.draw(st.booleans(), label=f"give {name}"):
                for r in rows:
                    r[name] = None
                continue
            if name in HOMS:
                m = self.n(HOMS[name][1]) + (bulk if HOMS[name][1] == ob else 0)
                vals = data.draw(st.lists(st.one_of(st.none(), st.integers(0, m - 1)) if m else st.none(),
                                          min_size=bulk, max_size=bulk), label=name)
            else:
                vals = data.draw(st.lists(VALUES[name], min_size=bulk, max_size=bulk), label=name)
            for r, v in zip(rows, vals):
                r[name] = v
            kwargs[name] = np.asarray(self.to_engine(name, vals), dtype=np.int64) if name in HOMS else vals
        ids = self.X.add_parts(ob, bulk, **kwargs)
        assert ids.tolist() == list(range(self.n(ob), self.n(ob) + bulk))
        self.M.rows[ob] += rows

    @rule(name=st.sampled_from(sorted(HOMS) + sorted(ATTRS)), data=st.data())
    def set_subpart(self, name, data):
        ob = HOMS[name][0] if name in HOMS else ATTRS[name]
        ids = self.draw_ids(data, ob)
        if data.draw(st.booleans(), label="one id") and ids:
            v = self.draw_value(data, name)
            self.X.set_subpart(ids[0], name, self.to_engine(name, [v])[0])
            self.M.rows[ob][ids[0]][name] = v
            return
        vals = [self.draw_value(data, name) for _ in ids]
        self.X.set_subpart(np.asarray(ids, dtype=np.int64), name, self.to_engine(name, vals))
        for i, v in zip(ids, vals):  # the last write to a repeated id wins, as in numpy
            self.M.rows[ob][i][name] = v

    @rule(name=st.sampled_from(sorted(HOMS) + sorted(ATTRS)), data=st.data())
    def clear_subpart(self, name, data):
        ob = HOMS[name][0] if name in HOMS else ATTRS[name]
        ids = self.draw_ids(data, ob)
        self.X.clear_subpart(ids, name)
        for i in ids:
            self.M.rows[ob][i][name] = None

    @precondition(lambda self: self.n("A") + self.n("B") > 0)
    @rule(data=st.data())
    def rem_part(self, data):
        ob = data.draw(st.sampled_from([o for o in "AB" if self.n(o)]), label="ob")
        i = data.draw(st.integers(0, self.n(ob) - 1), label="id")
        got = self.X.rem_part(ob, i)
        want = self.M.rem_many(ob, [i])
        assert got.tolist() == [-1 if v is None else v for v in want]

    @rule(ob=st.sampled_from(["A", "B"]), data=st.data())
    def rem_parts(self, ob, data):
        ids = self.draw_ids(data, ob, max_size=6)
        got = self.X.rem_parts(ob, ids)
        want = self.M.rem_many(ob, ids)
        assert got.tolist() == [-1 if v is None else v for v in want]

    @rule(ob=st.sampled_from(["A", "B"]), data=st.data())
    def cascading_rem_parts(self, ob, data):
        ids = self.draw_ids(data, ob, max_size=3)
        doomed = {"A": set(), "B": set()}
        todo = [(ob, i) for i in ids]
        while todo:  # closure over incoming homs, by scanning every row
            o, i = todo.pop()
            if i in doomed[o]:
                continue
            doomed[o].add(i)
            for name, (dom, codom) in HOMS.items():
                if codom == o:
                    todo += [(dom, j) for j, r in enumerate(self.M.rows[dom]) if r[name] == i]
        sizes = {o: self.n(o) for o in "AB"}
        got = self.X.cascading_rem_parts(ob, ids)
        for o in SCH.obs:  # the engine deletes in schema order; so does the model
            want = self.M.rem_many(o, doomed[o]) if doomed[o] else list(range(sizes[o]))
            assert got[o].tolist() == [-1 if v is None else v for v in want]

    @rule()
    def copy(self):
        self.X = self.X.copy()

    # -- failures change nothing -------------------------------------------------
    @rule(data=st.data())
    def bad_set_dangling(self, data):
        ids = self.draw_ids(data, "B") or [0]
        bad = data.draw(st.sampled_from([self.n("A"), self.n("A") + 5, -2]), label="bad key")
        if not self.n("B"):
            self.expect_failure(lambda: self.X.set_subpart(ids, "owner", [bad] * len(ids)))
            return
        vals = [bad] + [-1] * (len(ids) - 1)
        self.expect_failure(lambda: self.X.set_subpart(ids, "owner", vals))

    @rule(data=st.data())
    def bad_add_parts(self, data):
        bad = data.draw(st.sampled_from(["dangling", "type", "length", "name"]), label="bad")
        kwargs = {
            "dangling": {"owner": [self.n("A")] * 2},
            "type": {"count": ["three", 1]},
            "length": {"count": [1, 2, 3]},
            "name": {"label": ["x", "y"]},
        }[bad]
        self.expect_failure(lambda: self.X.add_parts("B", 2, **kwargs))

    @rule()
    def bad_label_type(self):
        if self.n("A"):
            self.expect_failure(lambda: self.X.set_subpart([0], "label", [3]))

    @rule(data=st.data())
    def bad_numbers(self, data):
        """The number rule: a part is named by an integer, never a float or a bool; sizes are checked first."""
        ob = data.draw(st.sampled_from(["A", "B"]), label="ob")
        n = self.n(ob)
        bad = data.draw(st.sampled_from(["count float", "count str", "count huge", "fk float", "fk bool",
                                         "fk huge", "id float", "rem float", "rem many", "count bool int attr",
                                         "int overflow", "unknown ob", "dotted unknown"]), label="bad")
        calls = {
            "count float": lambda: self.X.add_parts(ob, 2.0),
            "count str": lambda: self.X.add_parts(ob, "2"),
            "count huge": lambda: self.X.add_parts(ob, 10**15),
            "fk float": lambda: self.X.add_parts("B", 1, owner=[0.0]),
            "fk bool": lambda: self.X.add_part("A", next=True),
            "fk huge": lambda: self.X.add_part("B", owner=2**70),
            "id float": lambda: self.X.set_subpart([0.0], "label", ["x"]),
            "rem float": lambda: self.X.rem_part(ob, 0.0),
            "rem many": lambda: self.X.rem_part(ob, list(range(n))),
            "count bool int attr": lambda: self.X.add_parts("B", 2, count=[1, True]),
            "int overflow": lambda: self.X.add_part("B", count=2**70),
            "unknown ob": lambda: self.X.add_parts("C", 1),
            "dotted unknown": lambda: self.X.subpart("owner.nope"),
        }
        self.expect_failure(calls[bad])

    @rule(data=st.data())
    def bad_cascade(self, data):
        ob = data.draw(st.sampled_from(["A", "B"]), label="ob")
        ids = self.draw_ids(data, ob) + [self.n(ob)]  # one missing part spoils the whole call
        self.expect_failure(lambda: self.X.cascading_rem_parts(ob, ids))
        self.expect_failure(lambda: self.X.rem_parts(ob, ids))

    # -- the check after every step ---------------------------------------------------
    @invariant()
    def agrees_with_model(self):
        X, M = self.X, self.M
        for ob in SCH.obs:
            assert X.nparts(ob) == self.n(ob)
        for name, (dom, codom) in HOMS.items():
            want = [-1 if r[name] is None else r[name] for r in M.rows[dom]]
            assert X.subpart(name).tolist() == want
            for i, w in enumerate(want):
                assert X.subpart(i, name) == w
            for v in range(-1, self.n(codom) + 1):
                expected = [i for i, r in enumerate(M.rows[dom]) if r[name] == v]
                assert X.incident(v, name).tolist() == expected, (name, v)
        for name, dom in ATTRS.items():
            want = [r[name] for r in M.rows[dom]]
            assert X.is_defined(name).tolist() == [w is not None for w in want]
            col = X.subpart(name)
            assert [c if w is not None else None for c, w in zip(col.tolist(), want)] == want
            for v in {w for w in want if w is not None} | {"x", 0, 7}:
                expected = [i for i, w in enumerate(want) if w is not None and w == v and type(w) is type(v)]
                assert X.incident(v, name).tolist() == expected, (name, v)

    @invariant()
    def paths_agree(self):
        X, rows = self.X, self.M.rows
        owner_label = [None if r["owner"] is None else rows["A"][r["owner"]]["label"] for r in rows["B"]]
        assert X.subpart(X.parts("B"), ["owner", "label"]).tolist() == owner_label
        nn = [None if r["next"] is None else rows["A"][r["next"]]["next"] for r in rows["A"]]
        assert X.subpart(X.parts("A"), ["next", "next"]).tolist() == [-1 if v is None else v for v in nn]
        for v in ("x", ""):
            assert X.incident(v, ["owner", "label"]).tolist() == [i for i, w in enumerate(owner_label) if w == v]
        for a in range(self.n("A")):
            assert X.incident(a, ["next", "next"]).tolist() == [i for i, w in enumerate(nn) if w == a]


class Mirrored:
    """A dense ACSet with a ``part_type="marked"`` twin: every mutation goes to both.

    ``ids[ob][i]`` is the twin's id of dense part ``i``; ids given and returned are the
    dense ones, so the machine's rules and model run unchanged.
    """

    def __init__(self, X: ACSet, K: ACSet, ids: dict[str, list[int]]) -> None:
        self.X, self.K, self.ids = X, K, ids

    def __getattr__(self, name):  # reads go to the dense instance
        return getattr(self.X, name)

    def __eq__(self, other):
        return self.X == other.X and self.K == other.K and self.ids == other.ids

    def copy(self):
        return Mirrored(self.X.copy(), self.K.copy(), {ob: list(v) for ob, v in self.ids.items()})

    def _fk(self, name, values):
        codom = HOMS[name][1]
        known = self.ids[codom]
        out = []
        for v in np.atleast_1d(np.asarray(values)).tolist():
            out.append(-1 if v < 0 else known[v] if v < len(known) else self.K._rows(codom) + v - len(known))
        return out

    def _values(self, name, values, n):
        if name not in HOMS:
            return values
        return self._fk(name, np.broadcast_to(np.asarray(values), (n,)))

    def add_part(self, ob, **kw):
        i = self.X.add_part(ob, **kw)
        self.ids[ob].append(self.K.add_part(ob, **{k: (self._fk(k, [v])[0] if k in HOMS else v) for k, v in kw.items()}))
        return i

    def add_parts(self, ob, n, **kw):
        out = self.X.add_parts(ob, n, **kw)
        self.ids[ob] += self.K.add_parts(ob, n, **{k: self._values(k, v, n) for k, v in kw.items()}).tolist()
        return out

    def _rows(self, name, ids):
        dom = HOMS[name][0] if name in HOMS else ATTRS[name]
        return [self.ids[dom][i] for i in np.atleast_1d(np.asarray(ids, dtype=np.int64)).tolist()]

    def set_subpart(self, ids, name, values):
        self.X.set_subpart(ids, name, values)
        rows = self._rows(name, ids)
        vals = self._values(name, values if np.ndim(ids) else values, len(rows)) if np.ndim(ids) else (
            self._fk(name, [values])[0] if name in HOMS else values)
        self.K.set_subpart(rows if np.ndim(ids) else rows[0], name, vals)

    def clear_subpart(self, ids, name):
        self.X.clear_subpart(ids, name)
        self.K.clear_subpart(self._rows(name, ids), name)

    def _moved(self, ob, old_to_new):
        new = [None] * int((old_to_new >= 0).sum())
        for old, w in enumerate(old_to_new.tolist()):
            if w >= 0:
                new[w] = self.ids[ob][old]
        self.ids[ob] = new

    def rem_part(self, ob, i):
        got = self.X.rem_part(ob, i)
        self.K.rem_part(ob, self.ids[ob][i])
        self._moved(ob, got)
        return got

    def rem_parts(self, ob, ids):
        got = self.X.rem_parts(ob, ids)
        self.K.rem_parts(ob, [self.ids[ob][i] for i in ids])
        self._moved(ob, got)
        return got

    def cascading_rem_parts(self, ob, ids):
        got = self.X.cascading_rem_parts(ob, ids)
        self.K.cascading_rem_parts(ob, [self.ids[ob][i] for i in ids])
        for o, m in got.items():
            self._moved(o, m)
        return got


class ACSetMachineMarked(ACSetMachine):
    """The same sequences with a mark-as-deleted twin, which must hold the same rows under stable ids."""

    def __init__(self) -> None:
        super().__init__()
        self.X = Mirrored(self.X, ACSet(SCH, part_type="marked", Label=str, Count=int), {"A": [], "B": []})

    @rule()
    def gc(self):
        maps = self.X.K.gc()
        for ob, survivors in maps.items():
            if ob in self.X.ids:
                where = {old: new for new, old in enumerate(survivors.tolist())}
                self.X.ids[ob] = [where[k] for k in self.X.ids[ob]]

    @invariant()
    def twin_agrees(self):
        X, K, ids = self.X.X, self.X.K, self.X.ids
        for ob in SCH.obs:
            assert K.nparts(ob) == X.nparts(ob)
            assert K.parts(ob).tolist() == sorted(ids[ob])
        for name, (dom, codom) in HOMS.items():
            want = [-1 if v < 0 else ids[codom][v] for v in X.subpart(name).tolist()]
            assert [K.subpart(k, name) for k in ids[dom]] == want
            for v in range(X.nparts(codom)):
                assert K.incident(ids[codom][v], name).tolist() == sorted(ids[dom][i] for i in X.incident(v, name))
        for name, dom in ATTRS.items():
            assert K.is_defined(name, ids[dom]).tolist() == X.is_defined(name).tolist()
            ok = X.is_defined(name)
            assert [v for v, d in zip(K.subpart(ids[dom], name).tolist(), ok) if d] == X.subpart(name)[ok].tolist()


class ACSetMachineEagerRebuild(ACSetMachine):
    """The same with a rebuild threshold of one change, so the CSR rebuild path runs constantly."""

    threshold = 1


_SETTINGS = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestACSetOverlay = ACSetMachine.TestCase
TestACSetOverlay.settings = _SETTINGS
TestACSetRebuild = ACSetMachineEagerRebuild.TestCase
TestACSetRebuild.settings = _SETTINGS
TestACSetMarked = ACSetMachineMarked.TestCase
TestACSetMarked.settings = _SETTINGS
