"""What a run shows: its report as text, and the files it writes (ACSet, summary, plots).

Everything here reads the recorded ACSet and the verdicts in it
(:func:`acset_s2r.sim2real.judge.read_verdicts`); nothing is recomputed.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.constraints import violations
from acset_s2r.fileio import atomic_write_text
from acset_s2r.sim2real import html_report, kl, plots
from acset_s2r.sim2real.config import ExperimentConfig
from acset_s2r.sim2real.judge import read_verdicts, seed_claim, seed_constraint
from acset_s2r.sim2real.plant import RealPlantConfig
from acset_s2r.sim2real.randomization import RandomizationConfig
from acset_s2r.sim2real.record import read_setup


@attrs.frozen(eq=False)
class PolicyOutcome:
    """What happened to one policy on the real plant, beyond the ACSet's means.

    ``real_returns`` and ``real_lengths`` are per real episode, in the order of the
    ``episode`` numbers of the ``deploy ⋅ observe_real`` stream, which records them all;
    ``outside_support`` names the levers in which the real plant lies outside the policy's
    randomised sims (physics parameters, ``latency``, ``sensor noise``, ``sensor bias``);
    ``real_obs`` holds every real episode's observations (live steps).
    """

    real_returns: np.ndarray
    real_lengths: np.ndarray
    outside_support: tuple[str, ...]
    real_obs: tuple[np.ndarray, ...] = ()


def describe_ranges(config: RandomizationConfig) -> str:
    """Randomisation terms as text.

    Examples
    --------
    >>> from acset_s2r.sim2real.randomization import Range
    >>> describe_ranges(RandomizationConfig((Range("body_mass", 0.7, 2.5, targets="pole"),)))
    'body_mass[pole] ×U(0.7, 2.5)'
    """
    parts = []
    for r in config.ranges:
        what = r.field + (f"[{','.join(r.targets)}]" if r.targets else "")
        op = {"scale": "×", "add": "+", "set": "="}[r.mode]
        value = f"{r.low:g}" if r.low == r.high else f"U({r.low:g}, {r.high:g})"
        parts.append(f"{what} {op}{value}")
    return ", ".join(parts)


def describe_plant(config: RealPlantConfig) -> str:
    """One line: the hidden plant's physics changes, latency and sensor noise."""
    parts = [describe_ranges(config.physics)] if config.physics.ranges else []
    lat = config.latency
    parts.append(f"action latency {lat.low}" + (f"..{lat.high}" if lat.high != lat.low else "") + " steps")
    noise = config.obs_noise
    parts.append(f"sensor noise σ {np.array2string(noise.std, precision=3)} + per-episode bias σ "
                 f"{np.array2string(noise.bias_std, precision=3)} ({noise.kind})")
    if config.timestep_scale != 1.0:
        parts.append(f"timestep ×{config.timestep_scale:g}")
    return ", ".join(parts)


def _interval(ci: tuple[float, float]) -> str:
    lo, hi = ci
    return "[n/a]" if not np.isfinite(lo) else f"[{lo:.1f}, {hi:.1f}]"


def report_text(
    X: ACSet, config: ExperimentConfig, outcomes: dict[str, PolicyOutcome], wall_time: float, out_dir=None
) -> str:
    """The run's report: setting, one row per policy with its verdict, why, and the seed's constraint."""
    sim, steps, measure = config.sim, config.training.steps, config.measure
    verdicts = read_verdicts(X, measure)
    lines = [
        f"sim2real experiment on {config.model}: {X.nparts('Policy')} policies, "
        f"{X.nparts('SimEnv')} sim envs, {X.nparts('Step')} steps recorded, seed {config.seed}, "
        f"{wall_time:.1f} s",
        f"hidden real plant: {describe_plant(config.real.plant_config())}",
        f"sim ensembles: {sim.n_sim} envs per policy; at level 1 latency 0..{sim.latency_max} steps, sensor noise σ "
        f"{sim.obs_noise:g} + bias σ {sim.obs_bias:g}, physics "
        f"{describe_ranges(sim.randomization) if sim.randomization else 'Playground ranges'}; "
        "every range scaled by the policy's level",
        "",
        f"{'policy':<15}{'σ':>5}{'level':>6}{'kl_gap':>9}{'95% CI':>18}{'ε':>8}{'p':>6}  {'shift':<9}"
        f"{'sim':>7}{'real':>7}{'real 95% CI':>17}{'kept':>6}{'fell':>6}",
    ]
    why_lines = []
    for v in verdicts:
        p, name = v.policy, v.name
        lines.append(
            f"{name:<15}{X.subpart(p, 'action_noise'):>5.2f}"
            f"{X.subpart(X.incident(p, 'train')[0], 'randomization_level'):>6.2f}"
            f"{v.kl_gap:>9.2f}{f'[{v.ci_low:.2f}, {v.ci_high:.2f}]':>18}{v.epsilon:>8.2f}{v.p_value:>6.2f}  "
            f"{'in' if v.transferred else 'OUT':<9}"
            f"{v.sim_return:>7.1f}{v.real_return:>7.1f}{_interval(v.real_return_ci):>17}"
            f"{v.kept_fraction:>6.0%}{f'{v.fell}/{v.episodes}':>6}"
        )
        out = outcomes.get(name)
        support = (
            "real plant inside its sim support"
            if out is not None and not out.outside_support
            else f"real outside its sim support in {', '.join(out.outside_support)}" if out else ""
        )
        performance = (
            f"kept {v.kept_fraction:.0%} of its sim return (real {v.real_return:.1f} {_interval(v.real_return_ci)}, "
            f"sim {v.sim_return:.1f} {_interval(v.sim_return_ci)}), {v.fell}/{v.episodes} real episodes fell"
        )
        why_lines.append(
            f"  {name}: {'transferred' if v.transferred else 'did not transfer'} — {v.reason()}; "
            f"{performance}; {support}."
        )
    bad = violations(X, [seed_constraint()])
    broken = seed_claim(verdicts)
    kept_and_in = sum(v.kept and v.transferred for v in verdicts)
    lines += [
        "",
        "why:",
        *why_lines,
        "",
        f"kl_gap = KL(real || sim) in nats on observation transitions (o_t, o_t+1), Gaussian estimator with "
        f"Ledoit-Wolf shrinkage, over every real episode, 95% episode bootstrap CI. Shift test: {measure.n_null} "
        f"plants drawn from each policy's own randomisation play real ({config.real.episodes} episodes each, latency "
        f"fixed per plant), scored the same way; p = (1 + #null ≥ kl_gap) / (n + 1); transfer(π) = π when "
        f"p ≥ α = {measure.alpha:g}; ε = the null's (1 − α) quantile, so kl_gap ≤ ε exactly when p ≥ α.",
        f"sim/real = mean return ({sim.n_sim} sim envs, {config.real.episodes} real episodes of {steps} steps), "
        f"95% bootstrap CI; kept = real/sim; fell = real episodes that ended early.",
        "seed constraint kl_gap < ε ⇒ transfer(π) = π: "
        + ("holds for every policy" if not bad else "; ".join(map(str, bad))),
        f"as an empirical claim (kl_gap < ε ⇒ kept ≥ {measure.return_kept:.0%}): "
        + ("holds for every policy" if not broken else f"broken by {', '.join(broken)}")
        + f"; {kept_and_in} of {sum(v.kept for v in verdicts)} policies that kept their return were judged in support.",
    ]
    if out_dir is not None:
        lines.append(f"wrote {out_dir}/acset/ (Parquet and schema.json), summary.json, PNG plots and report.html")
    return "\n".join(lines)


def _plain(value):
    return value if isinstance(value, (int, float, str, list, dict, tuple, type(None))) else repr(value)


def save_experiment(
    X: ACSet,
    config: ExperimentConfig,
    gaps: dict[str, kl.GapEstimate],
    outcomes: dict[str, PolicyOutcome],
    train_curves: dict[str, np.ndarray],
    out_dir,
    *,
    json: bool = False,
) -> None:
    """acset/ (Parquet and schema), experiment.json (ACSets.jl row JSON) only with ``json``,
    summary.json (config, gaps, outcomes), the plots and report.html (:mod:`~acset_s2r.sim2real.html_report`)."""
    from json import dumps  # the keyword json hides the module here

    from acset_s2r.sim2real.store import write_experiment

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_experiment(X, out_dir, json=json)
    summary = {
        "config": attrs.asdict(config, value_serializer=lambda _, __, v: _plain(v)),
        "gaps": {k: attrs.asdict(v) for k, v in gaps.items()},
        "outcomes": {
            k: {"real_returns": o.real_returns.tolist(), "real_lengths": o.real_lengths.tolist(),
                "outside_support": list(o.outside_support)}
            for k, o in outcomes.items()
        },
    }
    atomic_write_text(out_dir / "summary.json", dumps(summary, indent=2, default=repr))
    verdicts = read_verdicts(X, config.measure)
    plots.plot_observations(X, out_dir / "observations.png", list(read_setup(X).channels))
    plots.plot_returns(X, out_dir / "returns.png", {k: o.real_returns for k, o in outcomes.items()})
    plots.plot_gaps(X, verdicts, out_dir / "kl_gap.png")
    plots.plot_training(train_curves, out_dir / "training.png")
    sim = config.sim
    html_report.write_experiment_report(
        X, config, out_dir / "report.html", out_dir=out_dir, train_curves=train_curves,
        real_returns={k: o.real_returns for k, o in outcomes.items()},
        outside_support={k: o.outside_support for k, o in outcomes.items()},
        setting=[
            ("hidden real plant", describe_plant(config.real.plant_config())),
            ("sim ensembles at level 1", f"latency 0..{sim.latency_max} steps, sensor noise σ {sim.obs_noise:g} + bias σ "
             f"{sim.obs_bias:g}, physics {describe_ranges(sim.randomization) if sim.randomization else 'Playground ranges'}"),
        ],
    )
