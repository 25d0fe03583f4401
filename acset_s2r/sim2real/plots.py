"""Plots of an experiment ACSet: observation distributions, returns, training curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; works with no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from acset_s2r.acset import ACSet  # noqa: E402


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=90, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)  # atomic: a reader never sees half a PNG
    return path


def plot_observations(X: ACSet, path: str | Path) -> Path:
    """Per policy (rows) and observation channel (columns): sim against real histograms."""
    from acset_s2r.sim2real.experiment import policy_samples

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
                ax.set_title(f"obs[{j}]", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Observation distributions: sim (converse train ⋅ observe_sim) vs real (deploy ⋅ observe_real)", fontsize=10)
    return _save(fig, path)


def plot_returns(X: ACSet, path: str | Path) -> Path:
    """Sim and real returns per policy, with kl_gap annotated."""
    names = list(X.subpart("policy_name"))
    sim, real = X.subpart("sim_return"), X.subpart("real_return")
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2, 3.2))
    ax.bar(x - 0.2, sim, 0.4, label="sim")
    ax.bar(x + 0.2, real, 0.4, label="real")
    for i, g in enumerate(X.subpart("kl_gap")):
        ax.annotate(f"KL {g:.2f}", (x[i], max(sim[i], real[i])), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("episode return")
    ax.legend()
    ax.set_title("Returns in sim and on the real plant")
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
