"""Audit a real robot's log against its model: one call, or ``acset-s2r audit``.

:func:`audit` reads a robot's MJCF (or a task file), a real log (a LeRobot v3 folder, or a
Parquet/CSV/NPZ file with a column mapping) and optionally its policy (an ONNX file or any
:class:`~acset_s2r.sim2real.policies.Policy`), then

1. checks everything first (widths against the task's observation spec, the policy's input
   width, the log's frames, timestamps and values), so bad input fails before any file is
   written;
2. puts the log on the control grid (its sampling measured) and cuts every episode to a
   common horizon;
3. runs the sim side: with a policy, the randomised ensemble runs it closed-loop; without
   one, each member replays one logged episode's commands from that episode's start (the
   logged state, or one estimated from the first observation);
4. records the experiment ACSet (the RealEnv names the log; its physics stay undefined);
5. measures kl_gap with its interval, and its null: plants drawn from the same
   randomisation, each run or replayed as the sim side is, scored against the same sim
   streams; judges the transfer (:mod:`~acset_s2r.sim2real.judge`);
6. diagnoses the gap from the log alone (:mod:`~acset_s2r.sim2real.diagnosis`);
7. writes, with ``out``, the ACSet, the ProofBundle, ``report.html`` and the plots, all
   into a temporary folder renamed into place at the end.

A randomisation file is TOML::

    level = 1.0          # curriculum level scaling every range
    obs_noise = 0.01     # the sim's sensor noise std
    latency_max = 1      # the sim's action latency, 0..latency_max control steps
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
from acset_s2r.sim2real.config import MeasureSetup
from acset_s2r.sim2real.diagnosis import Diagnosis, diagnose_transfer_failure
from acset_s2r.sim2real.estimate import estimate_states
from acset_s2r.sim2real.html_report import diagnosis_section, proof_section, verdict_headline, verdict_table
from acset_s2r.sim2real.judge import Verdict, gap_score, judge_policy, measure_gap
from acset_s2r.sim2real.kl import GapEstimate
from acset_s2r.sim2real.logs import RealLog, Sampling, check_log, read_log
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.policies import as_policy, check_policy
from acset_s2r.sim2real.randomization import (
    Ensemble,
    Range,
    RandomizationConfig,
    draw_parameters,
    playground_defaults,
)
from acset_s2r.sim2real.record import (
    batch_samples,
    new_experiment,
    policy_samples,
    record_log_policy,
    record_null,
    task_setup,
)
from acset_s2r.sim2real.rollout import RolloutBatch, rollout
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


class ReplayActions:
    """A batch policy that replays logged commands: env i gets row i of ``actions`` (N, T, nu)
    at its t-th call, whatever it observes."""

    kind = "replay"
    source = ""

    def __init__(self, actions: np.ndarray):
        self.actions = np.asarray(actions, float)
        self.t = 0

    def reset(self, n_envs: int) -> None:
        if n_envs != len(self.actions):
            raise SimulationError(f"replay of {len(self.actions)} episodes asked for {n_envs} envs")
        self.t = 0

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        a = self.actions[:, min(self.t, self.actions.shape[1] - 1)]
        self.t += 1
        return a


@attrs.frozen(eq=False)
class AuditResult:
    """The audit's ACSet, verdict, diagnosis (or the error that stopped it), proof bundle,
    the log on the control grid with its measured sampling, and the files written."""

    acset: ACSet
    verdict: Verdict
    gap: GapEstimate
    diagnosis: Diagnosis | InstanceError
    proof: ProofBundle | InstanceError
    log: RealLog
    sampling: Sampling
    files: tuple[Path, ...] = ()

    def summary(self) -> str:
        v = self.verdict
        lines = [
            f"log {self.log.source}: {len(self.log.episodes)} episodes of {len(self.log.episodes[0])} control steps; "
            f"sampling {1000 * self.sampling.mean:.2f} ms ± {1000 * self.sampling.std:.2f} ms",
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
    cut = tuple(attrs.evolve(e, time=e.time[:h], obs=e.obs[:h], action=e.action[:h],
                             qpos=None if e.qpos is None else e.qpos[:h], qvel=None if e.qvel is None else e.qvel[:h])
                for e in log.episodes)
    return attrs.evolve(log, episodes=cut)


def _start_states(task: Task, base: mujoco.MjModel, log: RealLog) -> tuple[np.ndarray, np.ndarray]:
    """Each episode's first state: logged, or estimated from its first observation."""
    if log.has_state:
        x = np.array([np.concatenate([e.qpos[0], e.qvel[0]]) for e in log.episodes])
    else:
        x = np.concatenate([estimate_states(task, base, e.obs[:1]) for e in log.episodes])
    return x[:, : base.nq], x[:, base.nq :]


def _run_side(ensemble: Ensemble, policy, task: Task, log: RealLog, starts, rng, noise, latency) -> RolloutBatch:
    """One episode per member: the policy closed-loop, or member i replaying episode i mod n."""
    n, h = len(ensemble), len(log.episodes[0])
    if policy is not None:
        return rollout(ensemble, policy, task, rng, horizon=h, obs_noise=noise, latency=latency, nthread=1)
    which = np.arange(n) % len(log.episodes)
    actions = np.stack([log.episodes[i].action for i in which])
    return rollout(
        ensemble, ReplayActions(actions), task, rng, horizon=h, obs_noise=noise, latency=latency,
        initial_state=(starts[0][which], starts[1][which]), nthread=1,
    )


def _null(base, dr, policy, task, log, starts, settings, n_null, X, p, rng, progress):
    """(gaps, parameters, latencies) of ``n_null`` plants drawn from the randomisation, each
    running every logged episode as the sim side does, scored against the sim streams."""
    params = draw_parameters(base, dr, n_null, rng)
    latencies = ActionLatency(0, settings.latency_max).sample(rng, n_null)
    episodes = len(log.episodes)
    _, _, sim, sim_segments = policy_samples(X, p)
    noise = ObservationNoise(std=settings.obs_noise)
    gaps = np.empty(n_null)
    for i in track(range(n_null), "null plants", enabled=progress):
        members = Ensemble(base, params).take(np.full(episodes, i))
        if policy is None:
            batch = rollout(
                members, ReplayActions(np.stack([e.action for e in log.episodes])), task, rng,
                horizon=len(log.episodes[0]), obs_noise=noise, latency=int(latencies[i]),
                initial_state=starts, nthread=1,
            )
        else:
            batch = rollout(members, policy, task, rng, horizon=len(log.episodes[0]), obs_noise=noise,
                            latency=int(latencies[i]), nthread=1)
        gaps[i] = gap_score(*batch_samples(batch, range(episodes)), sim, sim_segments)
    return gaps, params.values, latencies


def _report(X: ACSet, result: AuditResult, task: Task) -> str:
    v = result.verdict
    s = result.sampling
    log_rows = [
        ("log", result.log.source), ("model", task.source or task.name),
        ("episodes × control steps", f"{len(result.log.episodes)} × {len(result.log.episodes[0])}"),
        ("sampling interval", f"{1000 * s.mean:.2f} ms ± {1000 * s.std:.2f} ms (min {1000 * s.min:.2f}, max {1000 * s.max:.2f})"),
        ("control timestep", f"{1000 * float(X.subpart(0, 'control_dt')):.2f} ms"),
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
) -> AuditResult:
    """Audit a real log against a model (see the module docstring); ``out`` writes the files.

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
    noise, latency = ObservationNoise(std=settings.obs_noise), ActionLatency(0, settings.latency_max)
    starts = _start_states(task, base, grid)
    sim_batch = _run_side(ensemble, policy, task, grid, starts, rng, noise, latency)

    setup = task_setup(task, base, params.names, horizon=len(grid.episodes[0]))
    vector = getattr(policy, "to_vector", None)
    X = new_experiment(setup, base.nq + base.nv, vector().size if callable(vector) else 1)
    name = "logged actions" if policy is None else "policy"
    p = record_log_policy(X, name, policy, sim_batch, params.values, grid, dr.level, seed, sampling)
    gap = measure_gap(X, p, rng)
    record_null(X, p, *_null(base, dr, policy, task, grid, starts, settings, n_null, X, p, rng, progress))
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
    result = AuditResult(X, verdict, gap, diagnosis, proof, grid, sampling)
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
