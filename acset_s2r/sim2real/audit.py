"""Audit a real robot's log against its model: one call, or ``acset-s2r audit``.

:func:`audit` reads a robot's MJCF (or a task file), a real log (a LeRobot v3 folder, or a
Parquet/CSV/NPZ file with a column mapping) and optionally its policy (an ONNX file or any
:class:`~acset_s2r.sim2real.policies.Policy`), then

1. checks everything first (widths against the task's observation spec, the policy's input
   width, the log's frames, timestamps and values), so bad input fails before any file is
   written;
2. puts the log on the control grid (its sampling measured) and cuts every episode to a
   common horizon;
3. without a policy, clones one from the log (:mod:`~acset_s2r.sim2real.clone`): the
   linear-Gaussian policy most likely to have sent the logged commands on seeing the logged
   observations, with its fit R²;
4. runs the sim side: every member of the randomised ensemble runs every logged episode at
   that episode's own ticks, closed-loop with the policy (given or cloned), or, when the clone
   fits badly, replaying the episode's commands from its start (the logged state, or one
   estimated from the first observation); each is logged with the sim's sensor noise and a
   latency from its range and resampled as the log was
   (:func:`~acset_s2r.sim2real.robotlog.log_ensemble`), so both sides are observed and
   commanded alike;
5. records the experiment ACSet (the RealEnv names the log; its physics stay undefined);
6. measures kl_gap with its interval, and its null: plants drawn from the same
   randomisation, each run or replayed and logged as the sim side is, scored against the same sim
   streams; judges the transfer (:mod:`~acset_s2r.sim2real.judge`);
7. diagnoses the gap from the log alone (:mod:`~acset_s2r.sim2real.diagnosis`);
8. writes, with ``out``, the ACSet, the ProofBundle, ``report.html`` and the plots, all
   into a temporary folder renamed into place at the end.

Without a policy the audit clones one, so the sim side and the null plants run closed loop
as the robot did. A late plant changes what a policy observes, not the map from observation
to command that the log shows, so the clone is the policy whatever the fault. On cartpole
logs of hidden plants (an LQR policy with σ 0.1, 3 episodes of 150 steps, n_null 39;
``bench/audit_calibration.py``) the clone fits with R² 0.87–0.99; 1 of 20 in-support logs
was flagged at p < 0.05, and all 3 logs with 3.5 steps of latency and all 3 with sensor noise
σ 0.05 were rejected at the smallest p, 1/40. When the clone fits badly (R² below
:data:`~acset_s2r.sim2real.clone.MIN_R2`: a policy no linear map explains) the sim side
replays the logged commands open loop instead, and on a plant the policy stabilises open-loop
replays drift away from the closed-loop log, so the verdict compares drifts and is not
calibrated; the result says so (:attr:`AuditResult.drive`). Pass the policy when you have it.
The diagnosis replays one step at a time from the log's own states and names the latency
either way.

A randomisation file is TOML::

    level = 1.0          # curriculum level scaling every range
    obs_noise = 0.01     # the sim's sensor noise std
    latency_max = 1      # the sim's action latency, 0..latency_max control steps (any real number in between)
    [[range]]
    field = "body_mass"
    low = 0.8
    high = 1.2
    mode = "scale"       # or "add", "set"; targets = ["pole"] to name elements
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import attrs
import mujoco
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import InstanceError, SimulationError
from acset_s2r.fileio import read_toml
from acset_s2r.html_page import Section, figure, key_values, page, paragraph, write_page
from acset_s2r.progress import track
from acset_s2r.sim2real import plots
from acset_s2r.sim2real.clone import MIN_R2, ClonedPolicy, clone_from_log
from acset_s2r.sim2real.config import MeasureSetup
from acset_s2r.sim2real.diagnosis import Diagnosis, diagnose_transfer_failure
from acset_s2r.sim2real.estimate import estimate_states
from acset_s2r.sim2real.html_report import diagnosis_section, proof_section, verdict_headline, verdict_table
from acset_s2r.sim2real.judge import Verdict, gap_score, judge_policy, measure_gap
from acset_s2r.sim2real.kl import GapEstimate
from acset_s2r.sim2real.logs import RealLog, Sampling, check_log, read_log
from acset_s2r.sim2real.policies import as_policy, check_policy
from acset_s2r.sim2real.randomization import (
    Ensemble,
    Range,
    RandomizationConfig,
    draw_parameters,
    playground_defaults,
)
from acset_s2r.sim2real.record import (
    log_samples,
    new_experiment,
    policy_samples,
    record_log_policy,
    record_null,
    task_setup,
)
from acset_s2r.sim2real.robotlog import log_ensemble
from acset_s2r.sim2real.store import write_experiment
from acset_s2r.sim2real.tasks import Task, get_task
from acset_s2r.sim2real.verification import ProofBundle, record_experiment_events, verify_transfer_success

#: Fewest control steps an audited episode needs (the diagnosis's MIN_STEPS, plus one).
MIN_EPISODE = 13


@attrs.frozen
class SimSettings:
    """The sim side an audit compares the log with: physics ranges, sensor noise and latency."""

    randomization: RandomizationConfig | None = None
    obs_noise: float = 0.01
    latency_max: int = 1
    source: str | None = None


def read_randomization(path: str | Path) -> SimSettings:
    """A randomisation TOML file (see the module docstring)."""
    path = Path(path)
    doc = read_toml(path, "randomisation file", InstanceError)
    unknown = set(doc) - {"level", "obs_noise", "latency_max", "range"}
    if unknown:
        raise InstanceError(f"randomisation file {path}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        ranges = tuple(Range(**r) for r in doc.get("range", []))
        dr = RandomizationConfig(ranges, level=float(doc.get("level", 1.0))) if ranges else None
        return SimSettings(dr, float(doc.get("obs_noise", 0.01)), int(doc.get("latency_max", 1)), str(path))
    except (TypeError, ValueError, SimulationError) as exc:
        raise InstanceError(f"randomisation file {path}: {exc}") from None


@attrs.frozen
class Drive:
    """How the sim side and the null plants were driven: ``mode`` "policy" (the given one),
    "cloned" (a policy cloned from the log, ``clone``) or "replay" (the logged commands open
    loop, with ``why``). Only a closed loop makes a calibrated verdict.

    Examples
    --------
    >>> print(Drive("replay", why="asked for").describe())
    open loop, replaying the logged commands (asked for): the verdict compares open-loop drifts and is NOT calibrated
    """

    mode: str = attrs.field(validator=attrs.validators.in_(("policy", "cloned", "replay")))
    clone: ClonedPolicy | None = None
    why: str = ""

    @property
    def calibrated(self) -> bool:
        return self.mode != "replay"

    def describe(self) -> str:
        if self.mode == "policy":
            return "closed loop with the given policy"
        if self.mode == "cloned":
            return (f"closed loop with a linear-Gaussian policy cloned from the log "
                    f"(R² {self.clone.fit:.3f} over {self.clone.pairs} pairs)")
        return (f"open loop, replaying the logged commands ({self.why}): "
                "the verdict compares open-loop drifts and is NOT calibrated")


def _drive(task: Task, base: mujoco.MjModel, log: RealLog, policy, clone: bool) -> tuple[Drive, object]:
    """(how the sim side is driven, the policy it runs or None for a replay)."""
    if policy is not None:
        return Drive("policy"), policy
    if not clone:
        return Drive("replay", why="no clone asked for"), None
    try:
        cloned = clone_from_log(task, base, log)
    except InstanceError as exc:
        return Drive("replay", why=f"no clone: {exc}"), None
    if not cloned.fits():
        return Drive("replay", cloned, f"the cloned policy's R² {cloned.fit:.3f} is below {MIN_R2}"), None
    return Drive("cloned", cloned), cloned


@attrs.frozen(eq=False)
class AuditResult:
    """The audit's ACSet, verdict, diagnosis (or the error that stopped it), proof bundle,
    the log on the control grid with its measured sampling, how the sim side was driven, and
    the files written."""

    acset: ACSet
    verdict: Verdict
    gap: GapEstimate
    diagnosis: Diagnosis | InstanceError
    proof: ProofBundle | InstanceError
    log: RealLog
    sampling: Sampling
    drive: Drive = Drive("policy")
    files: tuple[Path, ...] = ()

    def summary(self) -> str:
        v = self.verdict
        lines = [
            f"log {self.log.source}: {len(self.log.episodes)} episodes of {len(self.log.episodes[0])} control steps; "
            f"sampling {1000 * self.sampling.mean:.2f} ms ± {1000 * self.sampling.std:.2f} ms",
            f"sim side: {self.drive.describe()}",
            f"kl_gap {v.kl_gap:.3f} (95% CI {v.ci_low:.3f}..{v.ci_high:.3f}), null of {v.n_null}: "
            f"p = {v.p_value:.3f}, ε = {v.epsilon:.3f}; {'transferred' if v.transferred else 'did NOT transfer'}",
        ]
        if isinstance(self.diagnosis, InstanceError):
            lines.append(f"no diagnosis: {self.diagnosis}")
        else:
            ev = self.diagnosis.evidence
            lines.append(f"diagnosis: {self.diagnosis.cause.value}; latency {ev.latency_ms:.1f} ms")
        if not isinstance(self.proof, InstanceError):
            lines.append(f"proof bundle: {self.proof.overall} ({self.proof.proof_hash[:16]}…)")
        lines += [f"wrote {p}" for p in self.files]
        return "\n".join(lines)


def _cut(log: RealLog, h: int) -> RealLog:
    """Every episode of a log on the control grid cut to its first ``h`` steps."""
    cut = tuple(attrs.evolve(e, time=e.time[:h], obs=e.obs[:h], action=e.action[:h],
                             qpos=None if e.qpos is None else e.qpos[:h], qvel=None if e.qvel is None else e.qvel[:h])
                for e in log.episodes)
    return attrs.evolve(log, episodes=cut)


def _common_horizon(log: RealLog, horizon: int | None) -> RealLog:
    """Every episode cut to the shortest one (or ``horizon``): the sim and null run the same."""
    h = min(len(e) for e in log.episodes)
    if horizon is not None:
        h = min(h, int(horizon))
    if h < MIN_EPISODE:
        short = min(range(len(log.episodes)), key=lambda i: len(log.episodes[i]))
        raise InstanceError(
            f"{log.source}: episode {short} has {h} control steps on the grid; an audit needs {MIN_EPISODE} or more"
        )
    return _cut(log, h)


def _start_states(task: Task, base: mujoco.MjModel, log: RealLog) -> tuple[np.ndarray, np.ndarray]:
    """Each episode's first state: logged, or estimated from its first observation."""
    if log.has_state:
        x = np.array([np.concatenate([e.qpos[0], e.qvel[0]]) for e in log.episodes])
    else:
        x = np.concatenate([estimate_states(task, base, e.obs[:1]) for e in log.episodes])
    return x[:, : base.nq], x[:, base.nq :]


@attrs.frozen
class _LogClocks:
    """What the sim side copies from the real log: each episode's ticks (seconds, up to the
    audited horizon and one tick beyond, for the resampling) and the commands logged at them."""

    clocks: list[np.ndarray]
    commands: list[np.ndarray]
    horizon: int
    control_dt: float

    @classmethod
    def of(cls, log: RealLog, horizon: int, control_dt: float) -> "_LogClocks":
        keep = [np.searchsorted(e.time - e.time[0], horizon * control_dt, side="right") + 1 for e in log.episodes]
        return cls([e.time[:k] for e, k in zip(log.episodes, keep)], [e.action[:k] for e, k in zip(log.episodes, keep)],
                   horizon, control_dt)


def _run_side(ensemble: Ensemble, policy, task: Task, ticks: _LogClocks, starts, rng, settings: SimSettings,
              latency: tuple[float, float]) -> tuple[list[RealLog], np.ndarray]:
    """(one log per member on the control grid, their latencies): each member logged at every
    episode's ticks as the robot was, running the policy, or without one replaying that
    episode's commands from its start."""
    logs, lags = log_ensemble(
        ensemble, policy, task, rng, ticks.clocks, latency=latency, obs_noise=settings.obs_noise,
        initial_state=None if policy is not None else starts, commands=None if policy is not None else ticks.commands,
    )
    return [_cut(log.resample(ticks.control_dt), ticks.horizon) for log in logs], lags


def _null(base, dr, policy, task, ticks: _LogClocks, starts, settings, n_null, X, p, rng, progress):
    """(gaps, parameters, latencies) of ``n_null`` plants drawn from the randomisation, each
    running every logged episode as the sim side does (logged at that episode's ticks),
    scored against the sim streams."""
    params = draw_parameters(base, dr, n_null, rng)
    latencies = rng.uniform(0.0, settings.latency_max, n_null)
    _, _, sim, sim_segments = policy_samples(X, p)
    gaps = np.empty(n_null)
    for i in track(range(n_null), "null plants", enabled=progress):
        lag = float(latencies[i])
        logs, _ = _run_side(Ensemble(base, params).take([i]), policy, task, ticks, starts, rng, settings, (lag, lag))
        gaps[i] = gap_score(*log_samples(logs[0]), sim, sim_segments)
    return gaps, params.values, latencies


def _report(X: ACSet, result: AuditResult, task: Task) -> str:
    v = result.verdict
    s = result.sampling
    log_rows = [
        ("log", result.log.source), ("model", task.source or task.name),
        ("episodes × control steps", f"{len(result.log.episodes)} × {len(result.log.episodes[0])}"),
        ("sampling interval", f"{1000 * s.mean:.2f} ms ± {1000 * s.std:.2f} ms (min {1000 * s.min:.2f}, max {1000 * s.max:.2f})"),
        ("control timestep", f"{1000 * float(X.subpart(0, 'control_dt')):.2f} ms"),
        ("sim side", result.drive.describe()),
    ]
    if not isinstance(result.diagnosis, InstanceError):
        log_rows.append(("estimated latency", f"{result.diagnosis.evidence.latency_ms:.1f} ms"))
    sections = [
        Section("Verdict", [
            paragraph(verdict_headline([v]), "verdict"),
            verdict_table(X, [v]),
            figure(plots.gaps_figure(X, [v]), "kl_gap of the log (with its 95% CI) against the gaps of the null plants."),
        ]),
        Section("Log", [key_values(log_rows, ("", "value")),
                        figure(plots.policy_observations_figure(X, v.policy, list(X.subpart("channel_name"))),
                               "Sim streams (blue) against the logged episodes (orange).")]),
        diagnosis_section(X, [v], {v.name: result.diagnosis}),
        proof_section(result.proof),
    ]
    return page("Sim-to-real audit", sections, subtitle=f"{task.name}: {result.log.source}")


def _policy_width_check(policy, nobs: int, nu: int) -> None:
    try:
        check_policy(policy, nobs, nu)
    except SimulationError as exc:
        raise InstanceError(str(exc)) from None


def audit(
    model: str | Path | Task,
    real: str | Path | RealLog,
    *,
    policy=None,
    randomization: str | Path | SimSettings | None = None,
    out: str | Path | None = None,
    columns: dict | None = None,
    n_sim: int = 8,
    n_null: int = 39,
    horizon: int | None = None,
    seed: int = 0,
    progress: bool = True,
    clone: bool = True,
) -> AuditResult:
    """Audit a real log against a model (see the module docstring); ``out`` writes the files.

    Without a ``policy`` one is cloned from the log, unless ``clone`` is False: then the sim
    side replays the logged commands and the verdict is not calibrated.

    Examples
    --------
    >>> import numpy as np
    >>> from acset_s2r.sim2real.logs import log_from_arrays
    >>> log = log_from_arrays(np.zeros((2, 3)), np.zeros((2, 1)), fps=100)
    >>> audit("cartpole", log, progress=False)
    Traceback (most recent call last):
    ...
    acset_s2r.errors.InstanceError: arrays, column 'obs': 3 observation values per frame, but task 'cartpole' observes 4
    """
    task = get_task(model)
    base = task.load_model()
    settings = read_randomization(randomization) if isinstance(randomization, (str, Path)) else (randomization or SimSettings())
    log = real if isinstance(real, RealLog) else read_log(real, columns)
    nobs = task.observation_size(base)
    check_log(log, nobs, base.nu, f"task {task.name!r}", base.nq, base.nv)
    if policy is not None:
        policy = as_policy(policy)
        _policy_width_check(policy, nobs, base.nu)
    sampling = log.sampling()
    control_dt = task.control_dt(base)
    grid = _common_horizon(log.resample(control_dt), horizon)
    rng = np.random.default_rng(seed)
    dr = settings.randomization if settings.randomization is not None else playground_defaults(base)
    params = draw_parameters(base, dr, n_sim, rng)
    ensemble = Ensemble(base, params)
    starts = _start_states(task, base, grid)
    drive, policy = _drive(task, base, log, policy, clone)
    ticks = _LogClocks.of(log, len(grid.episodes[0]), control_dt)
    sim_logs, _ = _run_side(ensemble, policy, task, ticks, starts, rng, settings, (0.0, float(settings.latency_max)))

    setup = task_setup(task, base, params.names, horizon=len(grid.episodes[0]))
    vector = getattr(policy, "to_vector", None)
    X = new_experiment(setup, base.nq + base.nv, vector().size if callable(vector) else 1)
    name = {"policy": "policy", "cloned": "cloned policy", "replay": "logged actions"}[drive.mode]
    p = record_log_policy(X, name, policy, sim_logs, params.values, grid, dr.level, seed, sampling)
    gap = measure_gap(X, p, rng)
    record_null(X, p, *_null(base, dr, policy, task, ticks, starts, settings, n_null, X, p, rng, progress))
    verdict = judge_policy(X, p, gap, MeasureSetup(n_null=n_null))
    try:
        diagnosis = diagnose_transfer_failure(X, p, task=task)
        X.set_subpart(X.subpart(p, "deploy"), "latency_ms", float(diagnosis.evidence.latency_ms))
    except InstanceError as exc:
        diagnosis = exc
    try:
        evidence = {} if isinstance(diagnosis, InstanceError) else {p: diagnosis.evidence}
        proof = verify_transfer_success(record_experiment_events(X, evidence=evidence))
    except InstanceError as exc:
        proof = exc
    result = AuditResult(X, verdict, gap, diagnosis, proof, grid, sampling, drive)
    if out is None:
        return result
    return attrs.evolve(result, files=tuple(_write(out, result, task)))


def _write(out: str | Path, result: AuditResult, task: Task) -> list[Path]:
    """Every file into a fresh temporary folder beside ``out``, then renamed into place."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write_experiment(result.acset, tmp)
        if not isinstance(result.proof, InstanceError):
            result.proof.write(tmp / "proof_bundle.json")
        write_page(tmp / "report.html", _report(result.acset, result, task))
        fig = plots.gaps_figure(result.acset, [result.verdict])
        fig.savefig(tmp / "gap.png", dpi=90, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close("all")
        (tmp / "summary.txt").write_text(result.summary() + "\n", encoding="utf-8")
        if out.exists():
            old = out.parent / f".{out.name}.old"
            if old.exists():
                shutil.rmtree(old)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(p for p in out.rglob("*") if p.is_file())
