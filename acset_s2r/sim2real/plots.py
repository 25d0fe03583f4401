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
from acset_s2r.sim2real.record import episode_returns, null_gaps, policy_samples  # noqa: E402


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


def plot_gaps(X: ACSet, verdicts: list[Verdict], path: str | Path) -> Path:
    """Per policy: the gaps of its null plants (grey), ε (their 1 − α quantile), and the real
    kl_gap with its 95% bootstrap CI, green when p ≥ α (transferred) and red when not."""
    names = [v.name for v in verdicts]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(1.8 * len(names) + 2, 3.6))
    # a log axis: gaps span from a fraction of a nat to hundreds; estimates can dip below 0
    # by sampling noise, and a gap the estimator could not make is shown at the top
    pos = lambda a: np.maximum(np.asarray(a, float), 1e-3)  # noqa: E731
    top = 1e-3
    for i, v in enumerate(verdicts):
        null = null_gaps(X, v.policy)
        finite = null[np.isfinite(null)]
        top = max(top, np.max(pos(finite), initial=1e-3), pos(v.ci_high) if np.isfinite(v.ci_high) else 1e-3)
        jitter = np.random.default_rng(i).uniform(-0.18, 0.18, len(finite))
        ax.scatter(x[i] + jitter, pos(finite), s=6, c="0.6", zorder=1, label="null plants (in support)" if i == 0 else None)
        if np.isfinite(v.epsilon):
            ax.hlines(pos(v.epsilon), x[i] - 0.3, x[i] + 0.3, colors="C0", linestyles="--", zorder=2,
                      label=f"ε: null's {1 - v.alpha:.0%} quantile" if i == 0 else None)
    for i, v in enumerate(verdicts):
        colour, marker = ("C2", "o") if v.transferred else ("C3", "X")
        if not np.isfinite(v.kl_gap):
            ax.annotate("no estimate", (x[i], top), ha="center", va="bottom", fontsize=7)
            continue
        lo, hi = pos(v.ci_low), pos(v.ci_high)
        ax.errorbar([x[i]], [pos(v.kl_gap)], yerr=[[pos(v.kl_gap) - lo], [hi - pos(v.kl_gap)]], fmt="none",
                    ecolor="k", capsize=4, zorder=3)
        ax.scatter([x[i]], [pos(v.kl_gap)], c=colour, s=50, marker=marker, zorder=4)
        ax.annotate(f"p = {v.p_value:.2f}", (x[i] + 0.22, pos(v.kl_gap)), fontsize=7, va="center")
    ax.scatter([], [], c="C2", marker="o", label="real kl_gap, p ≥ α (transferred)")
    ax.scatter([], [], c="C3", marker="X", label="real kl_gap, p < α (did not transfer)")
    ax.set_yscale("log")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("KL(real || sim), nats")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("kl_gap against its null: plants drawn from each policy's own randomisation")
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
