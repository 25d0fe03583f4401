"""A run's report as one HTML page: the verdict first, then each policy, the diagnosis, the
proof bundle, and how to reproduce the run.

Everything is read from the experiment ACSet through the verdicts recorded in it
(:func:`acset_s2r.sim2real.judge.read_verdicts`); the diagnosis and the proof bundle are
made here from the same ACSet. The pieces are public so other pages (an audit, a sweep)
can take the sections they need: :func:`verdict_section`, :func:`policy_section`,
:func:`diagnosis_section`, :func:`proof_section`, :func:`reproduce_section`, and
:func:`experiment_sections` for all of them. The page itself is :mod:`acset_s2r.html_page`'s.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import InstanceError
from acset_s2r.html_page import (
    Section,
    badge,
    bullets,
    details,
    figure,
    heading,
    key_values,
    page,
    paragraph,
    preformatted,
    row,
    write_page,
)
from acset_s2r.sim2real import plots
from acset_s2r.sim2real.config import ExperimentConfig, default_config
from acset_s2r.sim2real.diagnosis import Cause, Diagnosis, diagnose_transfer_failure
from acset_s2r.sim2real.judge import Verdict, read_verdicts, seed_claim
from acset_s2r.sim2real.record import read_setup
from acset_s2r.sim2real.verification import ProofBundle, record_experiment_events, verify_transfer_success
from acset_s2r.tables import Html, escape, html_table


def _num(x: float, fmt: str = ".2f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:{fmt}}"


def _ci(ci: tuple[float, float], fmt: str = ".1f") -> str:
    lo, hi = ci
    return "n/a" if not (np.isfinite(lo) and np.isfinite(hi)) else f"[{lo:{fmt}}, {hi:{fmt}}]"


def _shift(v: Verdict) -> Html:
    return badge("transferred" if v.transferred else "did not transfer", v.transferred)


def verdict_headline(verdicts: Sequence[Verdict]) -> str:
    """One sentence: how many policies transferred, which did not.

    Examples
    --------
    >>> verdict_headline([])
    'No policies were judged.'
    """
    if not verdicts:
        return "No policies were judged."
    ok = [v.name for v in verdicts if v.transferred]
    out = [v.name for v in verdicts if not v.transferred]
    text = f"{len(ok)} of {len(verdicts)} policies transferred"
    return text + (f"; did not transfer: {', '.join(out)}." if out else ".")


def verdict_table(X: ACSet, verdicts: Sequence[Verdict]) -> Html:
    """One row per policy: the shift test and, beside it, the performance outcome."""
    header = ["policy", "σ", "level", "kl_gap", "95% CI", "ε", "p", "shift test",
              "sim return", "95% CI", "real return", "95% CI", "kept", "fell"]
    rows = []
    for v in verdicts:
        level = X.subpart(X.incident(v.policy, "train"), "randomization_level")
        rows.append([
            v.name, _num(float(X.subpart(v.policy, "action_noise"))), _num(float(level[0]) if len(level) else math.nan),
            _num(v.kl_gap), f"[{_num(v.ci_low)}, {_num(v.ci_high)}]", _num(v.epsilon), _num(v.p_value, ".3f"),
            _shift(v), _num(v.sim_return, ".1f"), _ci(v.sim_return_ci), _num(v.real_return, ".1f"),
            _ci(v.real_return_ci), _num(v.kept_fraction, ".0%"), f"{v.fell}/{v.episodes}",
        ])
    numeric = [False, True, True, True, True, True, True, False, True, True, True, True, True, True]
    return Html(html_table(header, rows, numeric=numeric, css_class="wide"))


def verdict_section(
    X: ACSet, config: ExperimentConfig, verdicts: Sequence[Verdict],
    setting: Sequence[tuple[str, str]] = (), real_returns: Mapping[str, np.ndarray] | None = None,
    train_curves: Mapping[str, np.ndarray] | None = None,
) -> Section:
    """The verdict first: the headline, the table, the seed's constraint as a claim, the
    kl_gap-against-null and return figures, and the run's setting."""
    m = config.measure
    broken = seed_claim(verdicts)
    body: list = [
        paragraph(verdict_headline(verdicts), "verdict"),
        Html("<p>" + " ".join(f"{badge(v.name, v.transferred)}" for v in verdicts) + "</p>"),
        f"Shift test: each policy's real kl_gap = KL(real ‖ sim) on observation transitions is compared with "
        f"the gaps of {m.n_null} plants drawn from its own randomisation, run as the real plant was. A policy "
        f"transferred when p ≥ α = {m.alpha:g} (equivalently kl_gap ≤ ε, the null's {1 - m.alpha:.0%} quantile). "
        f"kept = real return / sim return; a policy kept its return at ≥ {m.return_kept:.0%}.",
        verdict_table(X, verdicts),
        "The seed's constraint kl_gap < ε ⇒ transfer(π) = π as an empirical claim (a policy judged in "
        "support should keep its return): "
        + ("holds for every policy." if not broken else f"broken by {', '.join(broken)}."),
    ]
    if verdicts:
        body.append(figure(plots.gaps_figure(X, list(verdicts)),
                           "Each policy's real kl_gap (with its 95% bootstrap CI) against the gaps of its null plants."))
    side = [figure(plots.returns_figure(X, dict(real_returns) if real_returns else None),
                   "Mean returns; dots are single sim envs and real episodes.")]
    if train_curves:
        side.append(figure(plots.training_figure(dict(train_curves)), "Mean return of the CEM search per generation."))
    body.append(row(*side))
    body += [heading("Setting"), key_values(_setting_rows(X, config, setting), ("setting", "value"))]
    return Section("Verdict", body)


def _setting_rows(X: ACSet, config: ExperimentConfig, extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    setup = read_setup(X)
    model = config.model if isinstance(config.model, str) else getattr(config.model, "name", repr(config.model))
    rows = [
        ("model / task", f"{model} ({setup.task_name}), control step {setup.control_dt * 1000:g} ms"),
        ("seed", str(config.seed)),
        ("policies", ", ".join(str(n) for n in X.subpart("policy_name"))),
        ("sim", f"{config.sim.n_sim} randomised envs per policy, {config.training.steps} steps per episode"),
        ("real", f"{config.real.episodes} episodes per policy on the hidden plant"),
        ("training", f"CEM, {config.training.iterations} generations of {config.training.population}"),
        ("test", f"{config.measure.n_null} null plants per policy, α = {config.measure.alpha:g}"),
        ("observation channels", ", ".join(setup.channels)),
    ]
    return rows + [tuple(r) for r in extra]


def policy_section(X: ACSet, v: Verdict, outside_support: Sequence[str] | None = None) -> Section:
    """One policy: its verdict and why, its numbers beside its null, its observations sim against real."""
    setup = read_setup(X)
    support = (
        "not recorded" if outside_support is None else
        "inside" if not outside_support else f"outside in {', '.join(outside_support)}"
    )
    numbers = [
        ("kl_gap (95% CI)", f"{_num(v.kl_gap)} [{_num(v.ci_low)}, {_num(v.ci_high)}]"),
        ("sim-vs-sim floor (CI high)", f"{_num(v.floor)} ({_num(v.floor_ci_high)})"),
        ("ε, p-value", f"{_num(v.epsilon)}, {_num(v.p_value, '.3f')} against {v.n_null} null plants"),
        ("sim return (95% CI)", f"{_num(v.sim_return, '.1f')} {_ci(v.sim_return_ci)}"),
        ("real return (95% CI)", f"{_num(v.real_return, '.1f')} {_ci(v.real_return_ci)}"),
        ("kept, fell", f"{_num(v.kept_fraction, '.0%')}, {v.fell} of {v.episodes} real episodes ended early"),
        ("real plant vs its sim support", support),
        ("policy", f"{X.subpart(v.policy, 'policy_kind')}, σ {_num(float(X.subpart(v.policy, 'action_noise')))}, "
                   f"hash {str(X.subpart(v.policy, 'policy_hash'))[:12]}"),
    ]
    body: list = [
        Html(f"<p>{_shift(v)} {escape(v.reason())}.</p>"),
        row(figure(plots.null_figure(X, v), f"{v.name}: the real kl_gap against {v.n_null} null plants."),
            key_values(numbers, ("", v.name))),
        figure(plots.policy_observations_figure(X, v.policy, list(setup.channels), setup.control_dt),
               "Every sim env (blue) against every real episode (orange): distributions and time series."),
    ]
    return Section(f"Policy {v.name}", body)


def _evidence_rows(d: Diagnosis) -> list[tuple[str, str]]:
    rows = []
    for name, value in attrs.asdict(d.evidence).items():
        if name == "fitted_params":
            continue
        rows.append((name, _num(value, ".3g") if isinstance(value, float) else str(value)))
    return rows


def diagnose(X: ACSet, verdicts: Sequence[Verdict]) -> dict[str, Diagnosis | InstanceError]:
    """The diagnosis of every policy that did not transfer, or the error that stopped it."""
    out: dict[str, Diagnosis | InstanceError] = {}
    for v in verdicts:
        if v.transferred:
            continue
        try:
            out[v.name] = diagnose_transfer_failure(X, v.policy)
        except InstanceError as err:
            out[v.name] = err
    return out


def diagnosis_section(X: ACSet, verdicts: Sequence[Verdict], diagnoses: Mapping[str, Diagnosis | InstanceError]) -> Section:
    """Why each failed policy failed: cause, evidence, fitted parameters and lag."""
    if not diagnoses:
        return Section("Diagnosis", ["Every policy transferred: there is nothing to diagnose."])
    ids = {v.name: v.policy for v in verdicts}
    body: list = [
        "For each policy that did not transfer, the most specific cause whose evidence crosses its threshold "
        "(latency, then observation, then the coverage-based dynamics and overconfidence), read from the "
        "recorded streams alone: the real plant's recorded parameters, noise and latency are never read."
    ]
    done: dict[int, Diagnosis] = {}
    for name, d in diagnoses.items():
        body.append(heading(name))
        if isinstance(d, InstanceError):
            body.append(paragraph(f"No diagnosis: {d}", "note"))
            continue
        done[ids[name]] = d
        flagged = [c.value for c in d.flagged]
        body.append(Html(
            f"<p>Cause: {badge(d.cause.value, None if d.cause is Cause.NONE else False)}"
            + (f" &nbsp; flagged: {', '.join(flagged)}" if flagged else "") + "</p>"
        ))
        body += [line for line in d.explanation.splitlines() if line.strip()]
        body.append(details(f"{name}: every piece of evidence", [key_values(_evidence_rows(d), ("evidence", "value"))]))
    fitted = {p: dict(d.evidence.fitted_params) for p, d in done.items() if d.evidence.fitted_params}
    if fitted:
        body.append(figure(plots.fitted_params_figure(X, fitted, list(read_setup(X).parameters)),
                           "Physical parameters fitted to the real transitions (dots), in their own units, against "
                           "the values the policy's sim envs and null plants drew (bars); × is the recorded real plant."))
    if done:
        body.append(figure(plots.lag_figure(X, {p: d.evidence for p, d in done.items()}),
                           "Action latency: the sim's realised lags, the lag estimated on the real episodes, "
                           "and the recorded real latency (×)."))
    return Section("Diagnosis", body)


def proof(X: ACSet, diagnoses: Mapping[str, Diagnosis | InstanceError] | None = None) -> ProofBundle | InstanceError:
    """The seed's ProofBundle of the run, or the error that stopped it; the evidence of
    ``diagnoses`` (:func:`diagnose`) is reused rather than computed again."""
    ids = {str(name): p for p, name in enumerate(X.subpart("policy_name").tolist())}
    evidence = {ids[name]: d.evidence for name, d in (diagnoses or {}).items() if isinstance(d, Diagnosis)}
    try:
        return verify_transfer_success(record_experiment_events(X, evidence=evidence))
    except InstanceError as err:
        return err


def proof_section(bundle: ProofBundle | InstanceError) -> Section:
    """The bundle's verdict, hash and verifiers, and its events folded away."""
    if isinstance(bundle, InstanceError):
        return Section("Proof bundle", [paragraph(f"No proof bundle: {bundle}", "note")])
    rows = []
    for name, ok in bundle.verifiers.items():
        failing = ", ".join(bundle.failing.get(name, ()))
        if name == "gf3_conservation":
            failing = f"trit sum {bundle.trit_sum:+d} in GF(3)"
        rows.append([name, badge("pass" if ok else "FAIL", ok), failing])
    body: list = [
        Html(f"<p>{badge(bundle.overall, bundle.verified)} &nbsp; {bundle.n_events} transfer events, "
             f"trit sum {bundle.trit_sum:+d}</p>"),
        key_values([("proof hash (sha256)", Html(f"<code>{bundle.proof_hash}</code>")),
                    ("hash matches its events", "yes" if bundle.hash_matches() else "NO")]),
        Html(html_table(["verifier", "result", "failing"], rows)),
    ]
    if bundle.inconsistencies:
        body += [heading("Inconsistent events"), bullets(bundle.inconsistencies)]
    events = [dict(e) for e in bundle.events]
    if events:
        keys = list(events[0])
        body.append(details("the hashed events", [Html(html_table(keys, [[e.get(k, "") for k in keys] for e in events],
                                                                  css_class="wide"))]))
    return Section("Proof bundle", body)


# the flags of `acset-s2r run` and the settings they set (tests check this against the CLI)
RUN_FLAGS = {
    ("sim", "n_sim"): "--n-sim",
    ("sim", "level"): "--level",
    ("real", "obs_noise"): "--noise",
    ("real", "latency"): "--latency",
    ("real", "episodes"): "--real-episodes",
    ("training", "steps"): "--steps",
    ("training", "iterations"): "--iterations",
    ("training", "population"): "--population",
    ("measure", "alpha"): "--alpha",
    ("measure", "n_null"): "--n-null",
}


def _changes(config: ExperimentConfig, base: ExperimentConfig) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for section in ("sim", "real", "training", "measure"):
        mine, theirs = getattr(config, section), getattr(base, section)
        for field in attrs.fields_dict(type(mine)):
            if getattr(mine, field) != getattr(theirs, field):
                out.setdefault(section, {})[field] = getattr(mine, field)
    return out


def reproduce_command(config: ExperimentConfig, out_dir=None) -> str | None:
    """The ``acset-s2r run`` command that runs ``config``, or None when no flags express it
    (a Task object, settings the command has no flag for).

    Examples
    --------
    >>> reproduce_command(default_config("cartpole").evolve(seed=3, sim={"n_sim": 4}))
    'acset-s2r run --model cartpole --seed 3 --n-sim 4'
    """
    if not isinstance(config.model, str):
        return None
    base = default_config(config.model)
    words = ["acset-s2r", "run", "--model", config.model, "--seed", str(config.seed)]
    changes: dict[str, dict] = {}
    for (section, field), flag in RUN_FLAGS.items():
        value = getattr(getattr(config, section), field)
        if value != getattr(getattr(base, section), field):
            words += [flag, repr(value)]
            changes.setdefault(section, {})[field] = value
    if "obs_noise" in changes.get("real", {}) and base.real.obs_noise > 0:
        # --noise scales the per-episode bias with it
        changes["real"]["obs_bias"] = base.real.obs_bias * config.real.obs_noise / base.real.obs_noise
    if base.evolve(seed=config.seed, **changes) != config:
        return None
    if out_dir is not None:
        out_dir = Path(out_dir)
        words += ["--out", str(out_dir.parent), "--name", out_dir.name]
    return shlex.join(words)


def reproduce_python(config: ExperimentConfig, out_dir=None) -> str:
    """Python that runs ``config``: ``default_config(model).evolve(...)`` with what differs.

    Examples
    --------
    >>> print(reproduce_python(default_config("hopper").evolve(seed=2, real={"episodes": 3})))
    from acset_s2r.sim2real import default_config, run_experiment
    config = default_config('hopper').evolve(seed=2, real={'episodes': 3})
    result = run_experiment(config)
    """
    model = config.model
    args = [f"seed={config.seed!r}"] + [f"{s}={c!r}" for s, c in _changes(config, default_config(model)).items()]
    # settings such as policies print as PolicySpec(...), which acset_s2r.sim2real exports
    names = sorted(set(re.findall(r"\b([A-Z]\w*)\(", ", ".join(args))))
    where = "" if out_dir is None else f", out_dir={str(out_dir)!r}"
    return "\n".join([
        f"from acset_s2r.sim2real import {', '.join(['default_config', 'run_experiment', *names])}",
        f"config = default_config({model!r}).evolve({', '.join(args)})",
        f"result = run_experiment(config{where})",
    ])


def reproduce_section(X: ACSet, config: ExperimentConfig, out_dir=None) -> Section:
    """The exact command and seed, the same in Python, and what the ACSet holds."""
    command = reproduce_command(config, out_dir)
    body: list = [f"Seed {config.seed}: every random draw of the run (ensembles, training, real episodes, "
                  "null plants) follows from it, so the same command gives the same ACSet."]
    if command is not None:
        body += [heading("Command"), preformatted(command)]
    else:
        body.append(paragraph("No acset-s2r run flags express this configuration; run the Python below.", "note"))
    body += [heading("Python"), preformatted(reproduce_python(config, out_dir))]
    counts = [(ob, str(X.nparts(ob))) for ob in X.schema.obs]
    body += [heading(f"The ACSet ({X.schema.name})"), key_values(counts, ("object", "parts"), numeric=True)]
    return Section("Reproduce", body)


def experiment_sections(
    X: ACSet, config: ExperimentConfig, *, real_returns: Mapping[str, np.ndarray] | None = None,
    outside_support: Mapping[str, Sequence[str]] | None = None, train_curves: Mapping[str, np.ndarray] | None = None,
    setting: Sequence[tuple[str, str]] = (), out_dir=None,
) -> list[Section]:
    """Every section of a run's page, in order: verdict, one per policy, diagnosis, proof
    bundle, reproduce."""
    verdicts = read_verdicts(X, config.measure)
    sections = [verdict_section(X, config, verdicts, setting, real_returns, train_curves)]
    sections += [policy_section(X, v, (outside_support or {}).get(v.name)) for v in verdicts]
    diagnoses = diagnose(X, verdicts)
    sections.append(diagnosis_section(X, verdicts, diagnoses))
    sections.append(proof_section(proof(X, diagnoses)))
    sections.append(reproduce_section(X, config, out_dir))
    return sections


def experiment_page(X: ACSet, config: ExperimentConfig, **kwargs) -> str:
    """A run's whole page (:func:`experiment_sections` takes the keywords)."""
    verdicts = read_verdicts(X, config.measure)
    model = config.model if isinstance(config.model, str) else read_setup(X).task_name
    return page(
        f"sim2real run: {model}, seed {config.seed}",
        experiment_sections(X, config, **kwargs),
        subtitle=f"{len(verdicts)} policies, {config.sim.n_sim} sim envs and {config.real.episodes} real episodes "
                 f"each, {config.measure.n_null} null plants per test. {verdict_headline(verdicts)}",
        footer="Written by acset_s2r from the run's experiment ACSet; every number is read from it.",
    )


def write_experiment_report(X: ACSet, config: ExperimentConfig, path, **kwargs) -> Path:
    """Write :func:`experiment_page` to ``path`` atomically."""
    return write_page(path, experiment_page(X, config, **kwargs))
