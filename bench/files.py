"""Reading and writing an ACSet against plain orjson, pyarrow and np.save, in one run.

Run: .venv/bin/python bench/files.py [--edges 1000000] [--repeat 3] [--quick] [--weighted]

The ACSet is a random digraph (mean degree 8, as in bench/peers.py's big table); with
``--weighted`` its edges carry a float weight with one undefined value in ten.

- ACSets.jl row JSON: our ``write_json`` + ``read_json`` against orjson dumping the
  decoded rows of the very same file and loading its bytes (no checks, no ACSet built).
- Columnar JSON: ours, against the same orjson figure.
- Parquet: our ``write_parquet`` + ``read_parquet`` against pyarrow writing and reading
  one table of the same columns (zstd), and np.save + np.load of the columns, the floor;
  a last row times our tables with our encodings through pyarrow alone, the format's share.

Our writes are atomic and durable (a temporary file or folder, fsync, rename, and for the
Parquet folder the folder and the rename fsynced too); the peers' are plain writes. A last
Parquet figure, np.save with an fsync of each file, is the floor for a durable write.
Times are the best of ``--repeat`` rounds, each running ours and the peers in turn; ratios
are ours over the peer from the same rounds, so a loaded machine moves both.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.parquet import read_parquet, write_parquet
from acset_s2r.serialization import read_json, write_json


def best(fns, repeat):
    """The best (write, read) times of each of ``fns`` (each returns its (write, read) times),
    run in turn ``repeat`` times over, so that a load on the machine falls on all of them alike."""
    runs = [[fn() for fn in fns] for _ in range(repeat)]
    return [(min(r[i][0] for r in runs), min(r[i][1] for r in runs)) for i in range(len(fns))]


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def build(nedges, seed, weighted):
    rng = np.random.default_rng(seed)
    n = nedges // 8
    s, t = rng.integers(0, n, nedges), rng.integers(0, n, nedges)
    X = ACSet(SchWeightedGraph, Weight=float) if weighted else ACSet(SchGraph)
    X.add_parts("V", n)
    cols = {"src": s, "tgt": t}
    if weighted:
        w = rng.normal(size=nedges)
        w[rng.random(nedges) < 0.1] = np.nan
        cols["weight"] = w
    X.add_parts("E", nedges, **cols)
    return X, cols


def fmt(t):
    return f"{t * 1e3:.0f} ms" if t < 1 else f"{t:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100k edges")
    ap.add_argument("--weighted", action="store_true", help="a float weight on every edge, 10%% undefined")
    args = ap.parse_args()
    nedges = 100_000 if args.quick else args.edges
    X, cols = build(nedges, args.seed, args.weighted)
    schema = X.schema
    types = {"Weight": float} if args.weighted else {}
    tmp = Path(tempfile.mkdtemp())
    print(f"{schema.name} with {X.nparts('V'):,} vertices and {nedges:,} edges; best of {args.repeat}\n")
    print("| case | acset_s2r write + read | peer write + read | ours / peer |")
    print("| --- | --- | --- | --- |")

    def ours_json(columnar):
        path = tmp / ("c.json" if columnar else "r.json")
        _, w = timed(lambda: write_json(X, path, columnar=columnar))
        Y, r = timed(lambda: read_json(path, schema, **types))
        assert Y == X
        return w, r

    def orjson_same(path):
        def run():
            raw = path.read_bytes()
            obj, r = timed(lambda: orjson.loads(raw))
            out = tmp / "peer.json"
            _, w = timed(lambda: out.write_bytes(orjson.dumps(obj)))
            return w, r
        return run

    for columnar in (False, True):
        path = tmp / ("c.json" if columnar else "r.json")
        write_json(X, path, columnar=columnar)  # the peer's bytes, before the first round
        (w, r), (pw, pr) = best([lambda: ours_json(columnar), orjson_same(path)], args.repeat)
        label = "columnar JSON" if columnar else "ACSets.jl row JSON"
        size = path.stat().st_size / 2**20
        print(f"| {label} ({size:.1f} MB) | {fmt(w)} + {fmt(r)} | orjson same bytes {fmt(pw)} + {fmt(pr)} "
              f"| {(w + r) / (pw + pr):.2f}x (write {w / pw:.2f}x, read {r / pr:.2f}x) |")

    import pyarrow as pa
    import pyarrow.parquet as pq

    def ours_parquet():
        folder = tmp / "pq"
        _, w = timed(lambda: write_parquet(X, folder))
        Y, r = timed(lambda: read_parquet(folder))
        assert Y == X
        return w, r

    table = pa.table({k: pa.array(v) for k, v in cols.items()})

    def arrow_peer():
        path = tmp / "peer.parquet"
        _, w = timed(lambda: pq.write_table(table, path, compression="zstd"))
        _, r = timed(lambda: {k: c.to_numpy() for k, c in zip(table.column_names, pq.read_table(path).columns)})
        return w, r

    from acset_s2r.parquet import _write_options, arrow_table

    ours_tables = {ob: arrow_table(X, ob) for ob in schema.obs}

    def our_files_bare():
        """Our tables and encodings, written and read by pyarrow alone: no atomic replace,
        no fsync, no checks, no ACSet built; what the format itself costs."""
        def write():
            for ob, t in ours_tables.items():
                pq.write_table(t, tmp / f"bare_{ob}.parquet", **_write_options(t))

        def read():
            for ob in ours_tables:
                t = pq.read_table(tmp / f"bare_{ob}.parquet", memory_map=True)
                [c.to_numpy() for c in t.columns if not pa.types.is_fixed_size_list(c.type)]

        _, w = timed(write)
        _, r = timed(read)
        return w, r

    def npsave():
        def write():
            for k, v in cols.items():
                np.save(tmp / f"{k}.npy", v)

        _, w = timed(write)
        _, r = timed(lambda: [np.load(tmp / f"{k}.npy") for k in cols])
        return w, r

    def npsave_fsync():
        def write():
            for k, v in cols.items():
                with open(tmp / f"s_{k}.npy", "wb") as f:
                    np.save(f, v)
                    f.flush()
                    os.fsync(f.fileno())

        _, w = timed(write)
        _, r = timed(lambda: [np.load(tmp / f"s_{k}.npy") for k in cols])
        return w, r

    runs = best([ours_parquet, arrow_peer, our_files_bare, npsave, npsave_fsync], args.repeat)
    (w, r), (aw, ar), (bw, br), (nw, nr), (sw, sr) = runs
    print(f"| Parquet folder | {fmt(w)} + {fmt(r)} | pyarrow {fmt(aw)} + {fmt(ar)}; np.save {fmt(nw)} + {fmt(nr)} "
          f"| {(w + r) / (aw + ar):.2f}x of pyarrow, {(w + r) / (nw + nr):.2f}x of np.save |")
    print(f"| Parquet folder, durable floor | {fmt(w)} + {fmt(r)} | np.save + fsync {fmt(sw)} + {fmt(sr)} "
          f"| {(w + r) / (sw + sr):.2f}x (fsync's share of np.save: {1 - (nw + nr) / (sw + sr):.0%}) |")
    print(f"| our Parquet files, by pyarrow alone | {fmt(bw)} + {fmt(br)} | np.save {fmt(nw)} + {fmt(nr)} "
          f"| {(bw + br) / (nw + nr):.2f}x of np.save (the format's own share of ours: "
          f"{(bw + br) / (w + r):.0%}) |")


if __name__ == "__main__":
    main()
