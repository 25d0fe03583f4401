"""Plots of an experiment ACSet: observation distributions and time series, returns, kl_gap
against its null, training curves, and the diagnosis's fitted parameters and lag.

Each ``*_figure`` function returns a matplotlib Figure (the HTML report embeds them, see
:func:`png_bytes`); each ``plot_*`` function writes one as a PNG file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; works with no display
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

import io  # noqa: E402

from acset_s2r.acset import ACSet  # noqa: E402
from acset_s2r.fileio import atomic_write_bytes  # noqa: E402
from acset_s2r.sim2real.judge import Verdict  # noqa: E402
from acset_s2r.sim2real.record import episode_returns, null_gaps, policy_samples  # noqa: E402


def png_bytes(fig, dpi: int = 90) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _save(fig, path: Path) -> Path:
    atomic_write_bytes(path, png_bytes(fig))
    return Path(path)


def _channel(names: list[str] | None, j: int) -> str:
    return names[j] if names and j < len(names) else f"obs[{j}]"


def _grid(n: int, ncols: int = 4, width: float = 2.8, height: float = 2.1, kinds: int = 1):
    """``kinds`` rows of axes per group of ``ncols`` channels, for ``n`` channels (spares hidden);
    returns the figure and, per kind, the ``n`` axes in channel order."""
    ncols = max(1, min(n, ncols))
    groups = -(-n // ncols)
    fig, axes = plt.subplots(groups * kinds, ncols, figsize=(width * ncols, height * groups * kinds), squeeze=False)
    per_kind = [[axes[g * kinds + k, j % ncols] for j in range(n) for g in [j // ncols]] for k in range(kinds)]
    used = {id(ax) for axs in per_kind for ax in axs}
    for ax in axes.flat:
        if id(ax) not in used:
            ax.set_visible(False)
    return fig, per_kind


def _histograms(axes, real: np.ndarray, sim: np.ndarray, channel_names: list[str] | None) -> None:
    for j, ax in enumerate(axes):
        lo, hi = np.percentile(np.concatenate([real[:, j], sim[:, j]]), [0.5, 99.5])
        bins = np.linspace(lo, hi if hi > lo else lo + 1e-6, 40)
        # stepfilled: one patch per histogram instead of one per bar, far quicker to draw
        ax.hist(sim[:, j], bins=bins, density=True, alpha=0.55, histtype="stepfilled", label="sim (randomised mixture)")
        ax.hist(real[:, j], bins=bins, density=True, alpha=0.55, histtype="stepfilled", label="real")
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
        ax.set_title(_channel(channel_names, j), fontsize=9)
    axes[0].legend(fontsize=7)


def _series(axes, X: ACSet, policy: int, channel_names: list[str] | None, control_dt: float | None) -> None:
    """Each channel over time, one thin line per sim env (blue) and per real episode (orange)."""
    real_stream = X.subpart(policy, ["deploy", "observe_real"])
    sim_streams = X.subpart(X.incident(policy, "train"), "observe_sim")
    obs, t_index, episode = X.subpart("obs"), X.subpart("t_index"), X.subpart("episode")
    scale, unit = (control_dt, "s") if control_dt else (1.0, "control steps")
    for colour, streams, label in (("C0", sim_streams, "sim envs"), ("C1", [real_stream], "real episodes")):
        labelled = False
        for stream in np.atleast_1d(streams).tolist():
            steps = X.incident(stream, "stream")
            for e in np.unique(episode[steps]).tolist():
                rows = steps[episode[steps] == e]
                rows = rows[np.argsort(t_index[rows])]
                for j, ax in enumerate(axes):
                    ax.plot(t_index[rows] * scale, obs[rows, j], color=colour, lw=0.8, alpha=0.6,
                            label=None if labelled or j else label)
                labelled = True
    for j, ax in enumerate(axes):
        ax.set_title(_channel(channel_names, j), fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0].set_xlabel(f"time ({unit})", fontsize=8)
    axes[0].legend(fontsize=7)


def observations_figure(X: ACSet, channel_names: list[str] | None = None, policy: int | None = None):
    """Sim against real histograms per observation channel: of every policy (rows), or of
    one ``policy`` (its channels wrapped four to a row)."""
    if policy is not None:
        real, _, sim, _ = policy_samples(X, policy)
        fig, (axes,) = _grid(real.shape[1])
        _histograms(axes, real, sim, channel_names)
        fig.suptitle(f"{X.subpart(policy, 'policy_name')}: observation distributions, sim vs real", fontsize=10)
        return fig
    policies = X.parts("Policy").tolist()
    d = X.subpart("obs").shape[1]
    fig, axes = plt.subplots(len(policies), d, figsize=(2.6 * d, 1.9 * len(policies)), squeeze=False)
    for row, p in zip(axes, policies):
        real, _, sim, _ = policy_samples(X, p)
        _histograms(row, real, sim, channel_names if p == policies[0] else None)
        row[0].set_ylabel(f"{X.subpart(p, 'policy_name')}\nkl_gap {X.subpart(p, 'kl_gap'):.2f}", fontsize=8)
        if p != policies[0]:
            for ax in row:
                ax.set_title("")
            row[0].get_legend().remove()
    fig.suptitle("Observation distributions: sim (converse train ⋅ observe_sim) vs real (deploy ⋅ observe_real)", fontsize=10)
    return fig


def plot_observations(X: ACSet, path: str | Path, channel_names: list[str] | None = None) -> Path:
    """Per policy (rows) and observation channel (columns): sim against real histograms."""
    return _save(observations_figure(X, channel_names), path)


def timeseries_figure(X: ACSet, policy: int, channel_names: list[str] | None = None, control_dt: float | None = None):
    """Each observation channel over time: every sim env (blue) and every real episode
    (orange) of ``policy``, one thin line per episode."""
    fig, (axes,) = _grid(X.subpart("obs").shape[1], height=1.9)
    _series(axes, X, policy, channel_names, control_dt)
    fig.suptitle(f"{X.subpart(policy, 'policy_name')}: observations over time, sim envs vs real episodes", fontsize=10)
    return fig


def policy_observations_figure(
    X: ACSet, policy: int, channel_names: list[str] | None = None, control_dt: float | None = None
):
    """One policy's observations, sim against real: per channel its histogram above its time series."""
    real, _, sim, _ = policy_samples(X, policy)
    fig, (hist_axes, series_axes) = _grid(real.shape[1], height=2.0, kinds=2)
    _histograms(hist_axes, real, sim, channel_names)
    _series(series_axes, X, policy, channel_names, control_dt)
    for ax in series_axes:
        ax.set_title("")
    fig.suptitle(f"{X.subpart(policy, 'policy_name')}: observations, sim vs real (distributions above, time below)",
                 fontsize=10)
    fig.subplots_adjust(hspace=0.45)
    return fig


def returns_figure(X: ACSet, real_returns: dict[str, np.ndarray] | None = None):
    """Sim and real returns per policy; dots are single episodes (sim envs, real episodes)."""
    names = list(X.subpart("policy_name"))
    sim, real = X.subpart("sim_return"), X.subpart("real_return")
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2, 3.4))
    ax.bar(x - 0.2, sim, 0.4, label="sim (mean over its ensemble)", color="C0", alpha=0.8)
    ax.bar(x + 0.2, real, 0.4, label="real (mean over episodes)", color="C1", alpha=0.8)
    ep_return = X.subpart("episode_return")
    for i, p in enumerate(X.parts("Policy").tolist()):
        sim_episodes = ep_return[X.subpart(X.incident(p, "train"), "observe_sim")]
        ax.plot(np.full(len(sim_episodes), x[i] - 0.2), sim_episodes, "k.", ms=3)
        real_episodes = real_returns.get(names[i]) if real_returns else None
        if real_episodes is None:
            real_episodes = episode_returns(X, X.subpart(p, ["deploy", "observe_real"]))
        ax.plot(np.full(len(real_episodes), x[i] + 0.2), real_episodes, "k.", ms=3)
        ax.annotate(f"drop {sim[i] - real[i]:.0f}", (x[i], max(sim[i], real[i])), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("episode return")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Returns in sim and on the hidden real plant", pad=14)
    return fig


def plot_returns(X: ACSet, path: str | Path, real_returns: dict[str, np.ndarray] | None = None) -> Path:
    """Sim and real returns per policy; dots are single episodes (sim envs, real episodes)."""
    return _save(returns_figure(X, real_returns), path)


# a log axis: gaps span from a fraction of a nat to hundreds; estimates can dip below 0
# by sampling noise, so they are clipped to this floor
_GAP_FLOOR = 1e-3


def _pos(a):
    return np.maximum(np.asarray(a, float), _GAP_FLOOR)


def gaps_figure(X: ACSet, verdicts: list[Verdict]):
    """Per policy: the gaps of its null plants (grey), ε (their 1 − α quantile), and the real
    kl_gap with its 95% bootstrap CI, green when p ≥ α (transferred) and red when not."""
    names = [v.name for v in verdicts]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(1.8 * len(names) + 2, 3.6))
    top = _GAP_FLOOR  # a gap the estimator could not make is shown at the top
    for i, v in enumerate(verdicts):
        null = null_gaps(X, v.policy)
        finite = null[np.isfinite(null)]
        top = max(top, np.max(_pos(finite), initial=_GAP_FLOOR), _pos(v.ci_high) if np.isfinite(v.ci_high) else _GAP_FLOOR)
        jitter = np.random.default_rng(i).uniform(-0.18, 0.18, len(finite))
        ax.scatter(x[i] + jitter, _pos(finite), s=6, c="0.6", zorder=1, label="null plants (in support)" if i == 0 else None)
        if np.isfinite(v.epsilon):
            ax.hlines(_pos(v.epsilon), x[i] - 0.3, x[i] + 0.3, colors="C0", linestyles="--", zorder=2,
                      label=f"ε: null's {1 - v.alpha:.0%} quantile" if i == 0 else None)
    for i, v in enumerate(verdicts):
        colour, marker = ("C2", "o") if v.transferred else ("C3", "X")
        if not np.isfinite(v.kl_gap):
            ax.annotate("no estimate", (x[i], top), ha="center", va="bottom", fontsize=7)
            continue
        gap, lo, hi = _pos(v.kl_gap), _pos(v.ci_low), _pos(v.ci_high)
        ax.errorbar([x[i]], [gap], yerr=[[gap - lo], [hi - gap]], fmt="none", ecolor="k", capsize=4, zorder=3)
        ax.scatter([x[i]], [gap], c=colour, s=50, marker=marker, zorder=4)
        ax.annotate(f"p = {v.p_value:.2f}", (x[i] + 0.22, gap), fontsize=7, va="center")
    ax.scatter([], [], c="C2", marker="o", label="real kl_gap, p ≥ α (transferred)")
    ax.scatter([], [], c="C3", marker="X", label="real kl_gap, p < α (did not transfer)")
    ax.set_yscale("log")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("KL(real || sim), nats")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("kl_gap against its null: plants drawn from each policy's own randomisation")
    return fig


def plot_gaps(X: ACSet, verdicts: list[Verdict], path: str | Path) -> Path:
    """:func:`gaps_figure` as a PNG file."""
    return _save(gaps_figure(X, verdicts), path)


def null_figure(X: ACSet, verdict: Verdict):
    """One policy's test: the histogram of its null plants' gaps, ε, and the real kl_gap
    with its 95% bootstrap CI (a gap the estimator could not make is drawn at the right edge)."""
    null = null_gaps(X, verdict.policy)
    finite = null[np.isfinite(null)]
    fig, ax = plt.subplots(figsize=(5.4, 3.0))
    values = np.concatenate([finite, [verdict.kl_gap, verdict.ci_high] if np.isfinite(verdict.kl_gap) else []])
    edges = np.geomspace(_pos(values.min(initial=1.0)), _pos(values.max(initial=1.0)) * 1.05 + _GAP_FLOOR, 30)
    ax.hist(_pos(finite), bins=edges, color="0.65", label=f"{len(null)} null plants")
    if len(finite) < len(null):
        ax.annotate(f"{len(null) - len(finite)} null gaps not estimable", (0.98, 0.9), xycoords="axes fraction",
                    ha="right", fontsize=7)
    if np.isfinite(verdict.epsilon):
        ax.axvline(_pos(verdict.epsilon), color="C0", ls="--", label=f"ε = {verdict.epsilon:.2f}")
    colour = "C2" if verdict.transferred else "C3"
    if np.isfinite(verdict.kl_gap):
        if np.isfinite(verdict.ci_low):
            ax.axvspan(_pos(verdict.ci_low), _pos(verdict.ci_high), color=colour, alpha=0.15, label="95% CI")
        ax.axvline(_pos(verdict.kl_gap), color=colour, lw=2.5,
                   label=f"real kl_gap = {verdict.kl_gap:.2f}, p = {verdict.p_value:.3f}")
    else:
        ax.annotate("real kl_gap: no estimate", (0.98, 0.8), xycoords="axes fraction", ha="right", color=colour)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # minor labels collide on short spans
    ax.set_xlabel("KL(real || sim), nats")
    ax.set_ylabel("null plants")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(f"{verdict.name}: kl_gap against its null", fontsize=10)
    return fig


def training_figure(curves: dict[str, np.ndarray]):
    """Mean return of the CEM search per generation, per policy."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, marker="o", ms=3, label=name)
    ax.set_xlabel("CEM generation")
    ax.set_ylabel("mean return on the sim ensemble")
    ax.legend(fontsize=8)
    ax.set_title("Training (the train morphism)")
    return fig


def plot_training(curves: dict[str, np.ndarray], path: str | Path) -> Path:
    """Mean return of the CEM search per generation, per policy."""
    return _save(training_figure(curves), path)


def _estimate(value) -> tuple[float, float, float]:
    """(value, low, high) of a fitted parameter given as a number or as (value, low, high)."""
    if np.ndim(value) == 0:
        return float(value), float("nan"), float("nan")
    v, lo, hi = (float(x) for x in value)
    return v, lo, hi


def policy_support(X: ACSet, policy: int) -> tuple[np.ndarray, np.ndarray]:
    """Per parameter, the lowest and highest value among a policy's sim envs and null plants:
    the part of its randomisation the run drew."""
    drawn = [X.subpart(X.incident(policy, "train"), "sim_params"), X.subpart(X.incident(policy, "null_of"), "null_params")]
    drawn = np.concatenate([np.asarray(d, float).reshape(-1, X.nparts("Parameter")) for d in drawn])
    return drawn.min(axis=0), drawn.max(axis=0)


def fitted_params_figure(X: ACSet, fitted: dict[int, dict], names: list[str] | None = None):
    """The physical parameters the diagnosis fitted to the real transitions, one panel per
    parameter in its own units, one row per diagnosed policy: the policy's drawn support
    (bar: its sim envs and null plants), the fit (dot, with its interval when the diagnosis
    gives one) and the recorded real plant (×, which the diagnosis never reads)."""
    names = list(names if names is not None else X.subpart("parameter_name"))
    policies = list(fitted)
    labels = [X.subpart(p, "policy_name") for p in policies]
    fig, per_kind = _grid(len(names), ncols=3, width=3.6, height=0.38 * len(policies) + 0.9)
    axes = per_kind[0]
    supports = [policy_support(X, p) for p in policies]
    reals = [np.asarray(X.subpart(X.subpart(p, "deploy"), "real_params"), float) for p in policies]
    for j, ax in enumerate(axes):
        for i, p in enumerate(policies):
            lo, hi = supports[i][0][j], supports[i][1][j]
            ax.barh(i, max(hi - lo, 1e-12), left=lo, height=0.5, color="C0", alpha=0.3,
                    label="drawn support" if i == 0 else None)
            v, vlo, vhi = _estimate(fitted[p].get(names[j], np.nan))
            xerr = [[v - vlo], [vhi - v]] if np.isfinite(vlo) and np.isfinite(vhi) else None
            ax.errorbar([v], [i], xerr=xerr, fmt="o", color="C3", ms=5, capsize=3, label="fitted" if i == 0 else None)
            ax.scatter([reals[i][j]], [i], marker="x", color="k", s=30, zorder=4,
                       label="recorded real plant" if i == 0 else None)
        ax.set_yticks(range(len(policies)), labels if j % 3 == 0 else [""] * len(policies), fontsize=7)
        ax.set_ylim(len(policies) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))  # long decimals collide otherwise
        ax.set_title(names[j], fontsize=8)
    axes[0].legend(fontsize=6, loc="lower left", bbox_to_anchor=(0.0, 1.15), ncol=3, frameon=False)
    fig.suptitle("Fitted physical parameters (diagnosis) against each policy's randomised support", fontsize=10, y=1.02)
    fig.tight_layout()
    return fig


def lag_figure(X: ACSet, evidence: dict[int, object]):
    """Action latency per diagnosed policy, in control steps: the sim's realised range (bar),
    the lag the diagnosis estimated on the real episodes (dot; its clarity, the
    cross-correlation peak, beside it) and the recorded real latency (×, never read by it)."""
    policies = list(evidence)
    fig, ax = plt.subplots(figsize=(6.5, 0.55 * len(policies) + 1.3))
    for i, p in enumerate(policies):
        ev = evidence[p]
        ax.barh(i, ev.sim_latency_high - ev.sim_latency_low + 0.2, left=ev.sim_latency_low - 0.1, height=0.5,
                color="C0", alpha=0.3, label="sim's realised lags" if i == 0 else None)
        ax.scatter(ev.real_latency, i, color="C3", s=50, zorder=3, label="estimated real lag" if i == 0 else None)
        real_env = X.subpart(p, "deploy")
        # a real-robot log records no latency: only the estimate is drawn then
        recorded = X.subpart(real_env, "latency_steps") if real_env >= 0 and X.is_defined("latency_steps")[real_env] else None
        if recorded is not None:
            ax.scatter(recorded, i, marker="x", color="k", s=40, zorder=4, label="recorded real latency" if i == 0 else None)
        right = ev.real_latency if recorded is None else max(ev.real_latency, recorded)
        ax.annotate(f"peak {ev.latency_peak:.2f}", (right + 0.3, i), va="center", fontsize=7)
    ax.set_yticks(range(len(policies)), [X.subpart(p, "policy_name") for p in policies], fontsize=8)
    ax.set_ylim(len(policies) - 0.5, -0.5)
    # room on the right for the peak labels
    ax.set_xlim(-0.5, max(max(evidence[p].real_latency, evidence[p].sim_latency_high) for p in policies) + 2.5)
    ax.set_xlabel("action latency (control steps)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Latency: the diagnosis's estimate against the sim's range", fontsize=10)
    return fig
