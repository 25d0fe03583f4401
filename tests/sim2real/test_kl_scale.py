"""kl_gap on large samples: the per-stream sums give the numbers of the row-by-row path."""

import numpy as np
import pytest

from acset_s2r.sim2real import kl


def gaps(monkeypatch, x, y, **kw):
    exact = kl.kl_gap(x, y, rng=3, **kw)
    monkeypatch.setattr(kl, "_EXACT_MAX", 0)  # every stream-resampled Gaussian gap takes the per-stream path
    streams = kl.kl_gap(x, y, rng=3, **kw)
    monkeypatch.undo()
    return exact, streams


def assert_close(a: kl.GapEstimate, b: kl.GapEstimate) -> None:
    for f in ("value", "ci_low", "ci_high", "floor", "floor_ci_high"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), rel=1e-9, abs=1e-12), f
    assert (a.n_p, a.n_q, a.dims) == (b.n_p, b.n_q, b.dims)


@pytest.mark.parametrize("shrinkage", [None, "ledoit-wolf", 0.25])
def test_long_streams_give_the_same_gap(monkeypatch, shrinkage):
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(6000, 3)), axis=0) * 0.1 + rng.normal(size=(6000, 3))
    y = rng.normal(0.1, 1.2, size=(8000, 3))
    sx, sy = np.repeat(np.arange(20), 300), np.repeat(np.arange(25), 320)
    exact, streams = gaps(monkeypatch, x, y, transitions=True, real_streams=sx, sim_streams=sy,
                          shrinkage=shrinkage, min_streams=2)
    assert_close(exact, streams)


def test_short_interleaved_streams_give_the_same_gap(monkeypatch):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3000, 2)), rng.normal(0.2, 1.0, size=(3000, 2))
    # streams of 3 rows, interleaved: the sums go through the row-block path
    sx = rng.permutation(np.repeat(np.arange(1000), 3))
    sy = rng.permutation(np.repeat(np.arange(1000), 3))
    exact, streams = gaps(monkeypatch, x, y, real_streams=sx, sim_streams=sy, resample="streams")
    assert_close(exact, streams)


def test_row_resampling_and_knn_keep_their_path(monkeypatch):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(500, 2)), rng.normal(size=(600, 2))
    exact, other = gaps(monkeypatch, x, y)  # no streams: rows are resampled, row by row
    assert exact == other
    exact, other = gaps(monkeypatch, x, y, estimator="knn", n_boot=10)
    assert exact == other


def test_constant_columns_are_refused_on_the_stream_path(monkeypatch):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    x[:, 1] = y[:, 1] = 1.0
    s = np.repeat(np.arange(20), 20)
    monkeypatch.setattr(kl, "_EXACT_MAX", 0)
    with pytest.raises(kl.EstimatorError, match=r"column\(s\) \[1\] are constant"):
        kl.kl_gap(x, y, real_streams=s, sim_streams=s, resample="streams")


def test_samples_of_different_sizes_pair_their_replicates(monkeypatch):
    # x and y draw their replicates in blocks of different sizes; each replicate still pairs one of each
    monkeypatch.setattr(kl, "_BLOCK", 2000)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(700, 2))
    gap = kl.kl_gap(x, y, n_boot=50)
    monkeypatch.undo()
    assert np.isfinite([gap.value, gap.ci_low, gap.ci_high, gap.floor, gap.floor_ci_high]).all()
    assert gap.ci_low <= gap.value <= gap.ci_high
