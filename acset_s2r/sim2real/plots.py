"""Plots of an experiment ACSet: observation distributions, returns, kl_gap with its floor, training."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; works with no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import io  # noqa: E402

from acset_s2r.acset import ACSet  # noqa: E402
from acset_s2r.fileio import atomic_write_bytes  # noqa: E402
from acset_s2r.sim2real.judge import Verdict  # noqa: E402
from acset_s2r.sim2real.record import episode_returns, policy_samples  # noqa: E402


def _save(fig, path: Path) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def plot_observations(X: ACSet, path: str | Path, channel_names: list[str] | None = None) -> Path:
    """Per policy (rows) and observation channel (columns): sim against real histograms."""
    policies = X.parts("Policy").tolist()
    d = X.subpart("obs").shape[1]
    fig, axes = plt.subplots(len(policies), d, figsize=(2.6 * d, 1.9 * len(policies)), squeeze=False)
    for row, p in zip(axes, policies):
        real, _, sim, _ = policy_samples(X, p)
        for j, ax in enumerate(row):
            lo, hi = np.percentile(np.concatenate([real[:, j], sim[:, j]]), [0.5, 99.5])
            bins = np.linspace(lo, hi if hi > lo else lo + 1e-6, 40)
            ax.hist(sim[:, j], bins=bins, density=True, alpha=0.55, label="sim (randomised mixture)")
            ax.hist(real[:, j], bins=bins, density=True, alpha=0.55, label="real")
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(f"{X.subpart(p, 'policy_name')}\nkl_gap {X.subpart(p, 'kl_gap'):.2f}", fontsize=8)
            if p == policies[0]:
                label = channel_names[j] if channel_names and j < len(channel_names) else f"obs[{j}]"
                ax.set_title(label, fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Observation distributions: sim (converse train ⋅ observe_sim) vs real (deploy ⋅ observe_real)", fontsize=10)
    return _save(fig, path)


def plot_returns(X: ACSet, path: str | Path, real_returns: dict[str, np.ndarray] | None = None) -> Path:
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
    return _save(fig, path)


def plot_gaps(verdicts: list[Verdict], path: str | Path) -> Path:
    """kl_gap per policy with its bootstrap CI, its sim-vs-sim noise floor and the ε + floor threshold."""
    names = [v.name for v in verdicts]
    x = np.arange(len(names))
    value = np.array([v.kl_gap for v in verdicts])
    lo = np.array([v.ci_low for v in verdicts])
    hi = np.array([v.ci_high for v in verdicts])
    floor = np.array([v.floor for v in verdicts])
    floor_hi = np.array([v.floor_ci_high for v in verdicts])
    ok = np.array([v.transferred for v in verdicts], dtype=bool)
    epsilon = verdicts[0].epsilon if verdicts else float("nan")
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2, 3.4))
    # a log axis: gaps span from the floor (~1 nat) to hundreds of nats; an estimate can dip
    # below 0 by sampling noise, so values are clipped at 1e-3 for display
    pos = lambda a: np.maximum(np.nan_to_num(a, nan=1e-3), 1e-3)  # noqa: E731
    for i in np.flatnonzero(~np.isfinite(value)):
        ax.annotate("no estimate", (x[i], 1e-3), ha="center", va="bottom", fontsize=7)
    ax.errorbar(x, pos(value), yerr=[pos(value) - pos(lo), pos(hi) - pos(value)], fmt="none", ecolor="k", capsize=4)
    ax.scatter(x[ok], pos(value[ok]), c="C2", s=40, zorder=3, label="kl_gap (transferred)")
    ax.scatter(x[~ok], pos(value[~ok]), c="C3", s=40, marker="X", zorder=3, label="kl_gap (did not transfer)")
    ax.bar(x, pos(floor), 0.5, color="0.8", label="noise floor (sim vs held-out sim)")
    ax.errorbar(x, pos(floor), yerr=[np.zeros_like(floor), pos(floor_hi) - pos(floor)], fmt="none", ecolor="0.5", capsize=3)
    ax.hlines(pos(floor + epsilon), x - 0.3, x + 0.3, colors="C0", linestyles="--", label=f"threshold ε + floor (ε = {epsilon:g})")
    ax.set_yscale("log")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("KL(real || sim), nats")
    ax.legend(fontsize=7)
    ax.set_title("kl_gap with 95% bootstrap CI, its noise floor and the transfer threshold")
    return _save(fig, path)


def plot_training(curves: dict[str, np.ndarray], path: str | Path) -> Path:
    """Mean return of the CEM search per generation, per policy."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, marker="o", ms=3, label=name)
    ax.set_xlabel("CEM generation")
    ax.set_ylabel("mean return on the sim ensemble")
    ax.legend(fontsize=8)
    ax.set_title("Training (the train morphism)")
    return _save(fig, path)
