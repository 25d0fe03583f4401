"""Why did a policy fail to transfer? Evidence from the experiment ACSet, and one cause.

Everything is read from a ``SchSim2RealTrajectory`` instance: the real stream
``deploy ⋅ observe_real`` (observations as the policy saw them, commands, and the
true state after each step), the policy's training ensemble (the converse of
``train``, with each member's ``sim_params``) and its sim streams. The real plant's
recorded parameters, noise and latency are never read: they are what is diagnosed.
A stream holding several episodes is read as one segment per episode: every statistic
below (lags, autocorrelations, residuals, one-step replays) is computed inside each
contiguous episode and pooled over them, so no transition or lag crosses a reset.

Evidence (:func:`transfer_evidence`), each a comparison of real against the sim's own
runs, so that "what the sim already expects" is the baseline:

- observation: the sensor residual ``o_t - h(x_t)`` (recorded observation minus the
  sensor model at the true state). Its power in real over that in sim is the variance
  inflation; a lag-1 autocorrelation near 0 says the extra is white sensor noise.
- latency: per episode, the lag k in 0..MAX_LAG whose commands ``a_{t-k}``, replayed one
  step through the sim (the ensemble's mean model; each sim stream through its own member),
  give the smallest velocity residual is the realised latency. Done for every sim stream too,
  so the real lag is compared with the sim's range, and each episode is replayed below with
  its own lag. How clear the lag is: the control each transition received, inferred by least
  squares through the sim's control Jacobian, ``û_t = B_t⁺ (v_{t+1} - f_v(x_t, 0))``,
  cross-correlated with the commands (weak through contact, where it can peak at a wrong lag).
- dynamics: each real transition is replayed through every ensemble member from the
  recorded state with the command the latency estimate says was acting; the velocity
  residual against the ensemble mean, relative to the sim's typical one-step velocity
  change, is the dynamics error. A least-squares fit of that residual on the members'
  parameter sensitivities, refined by one chord step (replay at the fitted parameters, refit
  what is left), says how much of it a different physical parameter vector explains (a
  systematic mismatch) rather than unmodelled randomness.
- overconfidence: coverage, the fraction of residuals inside the ensemble's two-sigma
  band, against the coverage the ensemble achieves on its own members held out in
  turn (what it would be if the real plant were one more draw).

:func:`diagnose_transfer_failure` turns the evidence into one :class:`Cause`, and explains
it with the seed's PAD split: VFE on the past (how surprising the recorded real past is
to the sim ensemble, beyond its own held-out runs) and KL on the future (kl_gap on
observation transitions against the sim-vs-sim floor).
"""

from __future__ import annotations

import enum
from typing import Sequence

import attrs
import mujoco
import mujoco.rollout
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import InstanceError
from acset_s2r.sim2real.judge import measure_gap
from acset_s2r.sim2real.randomization import apply_parameters
from acset_s2r.sim2real.record import read_setup, stream_steps
from acset_s2r.sim2real.rollout import install_warning_handler
from acset_s2r.sim2real.tasks import get_task

#: Fewest real steps a diagnosis is attempted on: below this the residual statistics
#: (variances, a lag-1 autocorrelation, a cross-correlation over MAX_LAG lags) are noise.
MIN_STEPS = 12
#: Largest action latency searched, in control steps.
MAX_LAG = 8
#: Half-width of the ensemble's predictive band, in ensemble standard deviations.
BAND_Z = 2.0
#: Floor of the predictive std, as a fraction of the typical one-step velocity change:
#: solver tolerance and warm-start differences make replay inexact at about this level,
#: and a level-0 ensemble (all members equal) would otherwise claim zero spread.
SPREAD_FLOOR = 0.02
# Relative size of the control perturbation for the finite-difference Jacobian.
_DU = 0.1
# Relative size of the parameter perturbation for sensitivities: a secant over offsets of the
# size a fault brings (tens of percent); through contact a 5% tangent mispredicts them.
_DTHETA = 0.25


class Cause(str, enum.Enum):
    """The seed's four failure modes, and none."""

    OBSERVATION = "observation mismatch"
    DYNAMICS = "dynamics mismatch"
    LATENCY = "temporal/latency mismatch"
    OVERCONFIDENCE = "overconfident predictions"
    NONE = "none"


@attrs.frozen
class TransferEvidence:
    """What separates the causes, for one policy. Dimensionless unless stated.

    - ``observation_error``: RMS over channels of the excess sensor-noise std of real
      over sim, relative to the channel's spread in the sim's clean signal;
    - ``obs_variance_ratio``: sensor-residual power, real over sim (channels scaled alike);
    - ``obs_whiteness``: lag-1 autocorrelation of the real sensor residual (0 = white);
    - ``real_latency``, ``sim_latency_low``, ``sim_latency_high``: realised lags in steps (per
      stream the lower median of its episodes' lags, as latency is drawn at each reset);
    - ``latency_delta``: control steps from the sim's lag range to the real lag, real minus
      sim (0 inside the range);
    - ``latency_peak``: each real episode's peak cross-correlation of commands with the
      inferred control, averaged over transitions (how clear the lag is);
    - ``dynamics_error``: RMS one-step velocity residual against the ensemble mean,
      relative to the sim's RMS one-step velocity change;
    - ``sim_dynamics_error``: the same for held-out sim members (the baseline);
    - ``dynamics_explained``: fraction of the real residual's power that a constant physical
      parameter offset explains (cross-validated over the two halves of each episode);
    - ``coverage``, ``expected_coverage``: fraction of real (held-out sim) residuals inside
      the ensemble's ``BAND_Z``-sigma band;
    - ``vfe_past``: mean excess surprise (nats per step) of the real transitions under the
      ensemble's Gaussian predictive law, over held-out sim transitions;
    - ``kl_future``, ``kl_floor``: kl_gap on observation transitions and its sim-vs-sim floor
      (nan when the real stream is too short for the estimator);
    - ``n_steps``: real transitions used (inside episodes: steps minus episodes).
    """

    observation_error: float
    obs_variance_ratio: float
    obs_whiteness: float
    real_latency: int
    sim_latency_low: int
    sim_latency_high: int
    latency_delta: float
    latency_peak: float
    dynamics_error: float
    sim_dynamics_error: float
    dynamics_explained: float
    coverage: float
    expected_coverage: float
    vfe_past: float
    kl_future: float
    kl_floor: float
    n_steps: int
    fitted_params: dict[str, float] = attrs.field(factory=dict)

    def as_dict(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class Thresholds:
    """When a piece of evidence counts as a fault. Defaults and why:

    - ``obs_ratio = 2.0``: real sensor noise power twice the sim's. With ~100 steps the
      sampling error of a variance ratio is ~15%, so 2 is far outside chance.
    - ``obs_error = 0.05``: and the excess noise is at least 5% of the channel's spread,
      so a noise-free sim (ratio infinite) does not flag negligible real noise.
    - ``obs_white = 0.5``: the residual's lag-1 autocorrelation below this counts as white;
      above it the inflation is a delayed or filtered sensor (a temporal mismatch).
    - ``latency_steps = 1``: a whole control step outside the sim's latency range.
    - ``latency_peak = 0.3``: below this cross-correlation the lag is not identified.
    - ``coverage_deficit = 0.2``: real coverage 20 points below the held-out sim coverage
      (two-sigma bands hold ~95% of a Gaussian; a calibrated ensemble loses far less).
    - ``explained = 0.4``: a parameter offset explaining at least 40% of the residual power
      makes it a dynamics mismatch; white, unexplained error is overconfidence.
    """

    obs_ratio: float = 2.0
    obs_error: float = 0.05
    obs_white: float = 0.5
    latency_steps: float = 1.0
    latency_peak: float = 0.3
    coverage_deficit: float = 0.2
    explained: float = 0.4


@attrs.frozen
class Diagnosis:
    """One cause, the evidence, the other causes that also fired, and the PAD explanation."""

    cause: Cause
    evidence: TransferEvidence
    flagged: tuple[Cause, ...]
    explanation: str
    thresholds: Thresholds


# --------------------------------------------------------------------- reading X


@attrs.frozen(eq=False)
class _Stream:
    """One contiguous episode."""

    obs: np.ndarray  # (T, nobs)
    action: np.ndarray  # (T, nu)
    next_state: np.ndarray  # (T, nq + nv)


def _stream(X: ACSet, stream: int) -> list[_Stream]:
    """The episodes of a stream, each in time order; those without a transition are dropped."""
    steps, seg = stream_steps(X, stream)
    cuts = np.flatnonzero(seg[1:] != seg[:-1]) + 1
    obs, action, nxt = (np.asarray(X.subpart(steps, f), float) for f in ("obs", "action", "next_state"))
    return [
        _Stream(o, a, x)
        for o, a, x in zip(np.split(obs, cuts), np.split(action, cuts), np.split(nxt, cuts))
        if len(o) >= 2
    ]


def _steps(episodes: list[_Stream]) -> int:
    return sum(len(e.obs) for e in episodes)


def _transitions(episodes: list[_Stream], lag) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_t, control acting under ``lag``, x_{t+1}) of every transition inside an episode;
    ``lag`` is one latency or one per episode."""
    lags = np.broadcast_to(np.asarray(lag, int), (len(episodes),))
    x = np.concatenate([e.next_state[:-1] for e in episodes])
    u = np.concatenate([_lagged(e.action, k)[1:] for e, k in zip(episodes, lags)])
    x1 = np.concatenate([e.next_state[1:] for e in episodes])
    return x, u, x1


def _policy_data(X: ACSet, policy, base: mujoco.MjModel, names: Sequence[str]):
    if "Policy" not in X.schema.obs or "Step" not in X.schema.obs:
        raise InstanceError("transfer_evidence needs a SchSim2RealTrajectory instance (Policy and Step parts)")
    if isinstance(policy, bool) or not isinstance(policy, (int, np.integer)) or not 0 <= policy < X.nparts("Policy"):
        raise InstanceError(f"policy {policy!r} is not a Policy part (there are {X.nparts('Policy')})")
    policy = int(policy)
    real_env = X.subpart(policy, "deploy")
    real_stream = -1 if real_env < 0 else X.subpart(real_env, "observe_real")
    if real_stream < 0:
        raise InstanceError(f"policy {policy} has no real stream: deploy ⋅ observe_real is undefined")
    real = _stream(X, real_stream)
    if _steps(real) < MIN_STEPS:
        raise InstanceError(
            f"policy {policy}: the real stream {real_stream} has {_steps(real)} steps in episodes "
            f"of 2 or more; a diagnosis needs at least {MIN_STEPS}"
        )
    widths = {"obs": base.nsensordata, "action": base.nu, "next_state": base.nq + base.nv}
    for what, want in widths.items():
        got = getattr(real[0], what).shape[1]
        if got != want:
            raise InstanceError(f"policy {policy}: Step.{what} has width {got} but the task's model needs {want}")
    envs = X.incident(policy, "train")
    if len(envs) < 2:
        raise InstanceError(f"policy {policy} has {len(envs)} training SimEnv parts; the ensemble needs 2 or more")
    sims = [_stream(X, s) for s in X.subpart(envs, "observe_sim")]
    if any(_steps(s) < 3 for s in sims):
        raise InstanceError(f"policy {policy}: a sim stream has fewer than 3 steps")
    params = np.atleast_2d(np.asarray(X.subpart(envs, "sim_params"), float))
    return real, sims, params, tuple(names)


# --------------------------------------------------------------------- physics


class _Replay:
    """One-step replays of recorded states through given models, by mujoco.rollout."""

    def __init__(self, base: mujoco.MjModel, substeps: int):
        self.base = base
        self.substeps = substeps
        self.spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        d = mujoco.MjData(base)
        self.template = np.empty(mujoco.mj_stateSize(base, self.spec))
        mujoco.mj_getState(base, d, self.template, self.spec)
        self.data = [d]
        self.nq, self.nv = base.nq, base.nv

    def step(self, models: list[mujoco.MjModel], states: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
        """(N, nq + nv) states after one control step of ``ctrl`` (N, nu) from ``states``."""
        n = len(states)
        init = np.repeat(self.template[None], n, axis=0)
        init[:, 1 : 1 + self.nq + self.nv] = states
        control = np.repeat(ctrl[:, None, :], self.substeps, axis=1)
        out, _ = mujoco.rollout.rollout(models, self.data, init, control, nstep=self.substeps)
        return out[:, -1, 1 : 1 + self.nq + self.nv]


def _sensors(base: mujoco.MjModel, states: np.ndarray) -> np.ndarray:
    d = mujoco.MjData(base)
    out = np.empty((len(states), base.nsensordata))
    for i, s in enumerate(states):
        d.qpos[:], d.qvel[:] = s[: base.nq], s[base.nq :]
        mujoco.mj_forward(base, d)
        out[i] = d.sensordata
    return out


def _constraint_signature(base: mujoco.MjModel, states: np.ndarray) -> np.ndarray:
    """Per state, which contacts and joint limits are active (one integer code)."""
    d = mujoco.MjData(base)
    out = np.empty(len(states), np.int64)
    for i, s in enumerate(states):
        d.qpos[:], d.qvel[:] = s[: base.nq], s[base.nq :]
        mujoco.mj_forward(base, d)
        limits = d.efc_type == mujoco.mjtConstraint.mjCNSTR_LIMIT_JOINT
        out[i] = d.ncon * (base.njnt + 1) + int(np.sum(limits))
    return out


def _lagged(action: np.ndarray, k: int) -> np.ndarray:
    """Commands acting at each step under latency k: a_{t-k}, zeros before the episode."""
    out = np.zeros_like(action)
    if k < len(action):
        out[k:] = action[: len(action) - k] if k else action
    return out


def _lag1(parts: list[np.ndarray]) -> float:
    """Lag-1 autocorrelation of the columns of r (each de-meaned), pooled over the
    episodes ``parts``: products are taken inside an episode, never across a reset."""
    mean = np.concatenate(parts).mean(axis=0)
    num = den = 0.0
    for r in parts:
        r = r - mean
        den += np.sum(r * r)
        num += np.sum(r[1:] * r[:-1])
    return float(num / den) if den > 0 else 0.0


def _latency(rep: _Replay, model: mujoco.MjModel, episodes: list[_Stream]) -> tuple[np.ndarray, np.ndarray]:
    """Per episode, (lag, peak correlation) between commands and the control the transitions
    received. Per episode, as the latency is drawn afresh at each reset. Only the peak is
    used: through contact it is weak and its lag can be off by one (see _replay_lags)."""
    x, _, x1 = _transitions(episodes, 0)
    n, nu, nq = len(x), rep.base.nu, rep.nq
    ctrl = np.zeros((n * (1 + nu), nu))
    scale = np.maximum(np.abs(rep.base.actuator_ctrlrange).max(axis=1), 1.0) * _DU
    for j in range(nu):
        ctrl[n * (1 + j) : n * (2 + j), j] = scale[j]
    nxt = rep.step([model] * len(ctrl), np.tile(x, (1 + nu, 1)), ctrl)[:, nq:]
    free = nxt[:n]
    B = np.stack([(nxt[n * (1 + j) : n * (2 + j)] - free) / scale[j] for j in range(nu)], axis=2)  # (n, nv, nu)
    received_all = np.einsum("tij,tj->ti", np.linalg.pinv(B, rcond=1e-6), x1[:, nq:] - free)
    cuts = np.cumsum([len(e.obs) - 1 for e in episodes])[:-1]
    lags, peaks = [], []
    for e, received in zip(episodes, np.split(received_all, cuts)):
        best, peak = 0, -np.inf
        for k in range(min(MAX_LAG, len(received) - 3) + 1):
            cmd = _lagged(e.action, k)[1:]
            num = den_a = den_u = 0.0
            for j in range(nu):
                u, c = received[:, j] - received[:, j].mean(), cmd[:, j] - cmd[:, j].mean()
                num += np.dot(u, c)
                den_a += np.dot(c, c)
                den_u += np.dot(u, u)
            r = num / np.sqrt(den_a * den_u) if den_a > 0 and den_u > 0 else 0.0
            if r > peak:
                best, peak = k, r
        lags.append(best)
        peaks.append(peak if np.isfinite(peak) else 0.0)
    return np.array(lags, int), np.array(peaks, float)


def _replay_lags(rep: _Replay, model: mujoco.MjModel, episodes: list[_Stream], dscale: np.ndarray) -> np.ndarray:
    """Per episode, the lag in 0..MAX_LAG whose commands, replayed through ``model``, give
    the smallest one-step velocity residual (scaled by ``dscale``)."""
    x, _, x1 = _transitions(episodes, 0)
    n, nq = len(x), rep.nq
    ks = range(MAX_LAG + 1)
    u = np.concatenate([_transitions(episodes, k)[1] for k in ks])
    nxt = rep.step([model] * len(u), np.tile(x, (len(ks), 1)), u)[:, nq:].reshape(len(ks), n, -1)
    sq = np.sum(((nxt - x1[None, :, nq:]) / dscale) ** 2, axis=2)  # (lags, n)
    cuts = np.cumsum([len(e.obs) - 1 for e in episodes])[:-1]
    return np.array([int(np.argmin(part.sum(axis=1))) for part in np.split(sq, cuts, axis=1)], int)


def _typical_lag(lags: np.ndarray) -> int:
    """The lower median: a latency outside the sim's range must hold in most episodes."""
    return int(np.sort(lags)[(len(lags) - 1) // 2])


@attrs.frozen(eq=False)
class _Policy:
    """What the evidence is computed from: the real episodes, each sim stream's episodes, the
    ensemble (parameters and models), and the scale of a one-step velocity change in sim."""

    base: mujoco.MjModel
    replay: _Replay
    real: list[_Stream]
    sims: list[list[_Stream]]
    params: np.ndarray
    names: tuple[str, ...]
    members: list[mujoco.MjModel]
    dscale: np.ndarray

    @property
    def sim_episodes(self) -> list[_Stream]:
        return [e for s in self.sims for e in s]

    def predict(self, episodes: list[_Stream], lag, models: list[mujoco.MjModel]) -> np.ndarray:
        """(models, transitions, nv) next velocities replayed from each recorded state, scaled."""
        nq, nv = self.base.nq, self.base.nv
        x, u, _ = _transitions(episodes, lag)
        n = len(x)
        out = self.replay.step(
            [m for m in models for _ in range(n)], np.tile(x, (len(models), 1)), np.tile(u, (len(models), 1))
        )
        return out[:, nq:].reshape(len(models), n, nv) / self.dscale

    def next_velocity(self, episodes: list[_Stream]) -> np.ndarray:
        return _transitions(episodes, 0)[2][:, self.base.nq:] / self.dscale


def _read_policy(X: ACSet, policy: int) -> _Policy:
    setup = read_setup(X)
    task = get_task(setup.task_name)
    base = task.load_model()
    real, sims, params, names = _policy_data(X, policy, base, setup.parameters)
    sim_episodes = [e for s in sims for e in s]
    dv_sim = np.concatenate([np.diff(e.next_state[:, base.nq:], axis=0) for e in sim_episodes])
    dscale = np.maximum(np.sqrt(np.mean(dv_sim**2, axis=0)), 1e-9)
    members = [apply_parameters(base, names, p) for p in params]
    return _Policy(base, _Replay(base, task.substeps), real, sims, params, names, members, dscale)


@attrs.frozen
class _ObservationEvidence:
    observation_error: float
    obs_variance_ratio: float
    obs_whiteness: float


def _observation_evidence(pol: _Policy) -> _ObservationEvidence:
    """The sensor residual at the true state, real against sim."""
    base = pol.base

    def sensor_residual(s: _Stream) -> np.ndarray:
        return s.obs[1:] - _sensors(base, s.next_state[:-1])

    sim_episodes = pol.sim_episodes
    sim_clean = np.concatenate([_sensors(base, e.next_state) for e in sim_episodes])
    sig = np.maximum(sim_clean.std(axis=0), 1e-6)
    r_real_episodes = [sensor_residual(e) / sig for e in pol.real]
    r_real = np.concatenate(r_real_episodes)
    r_sim = np.concatenate([sensor_residual(e) for e in sim_episodes]) / sig
    p_real, p_sim = np.mean(r_real**2, axis=0), np.mean(r_sim**2, axis=0)
    error = float(np.sqrt(np.mean(np.maximum(p_real - p_sim, 0.0))))
    ratio = float(p_real.sum() / p_sim.sum()) if p_sim.sum() > 0 else (np.inf if p_real.sum() > 0 else 1.0)
    return _ObservationEvidence(error, ratio, _lag1(r_real_episodes))


@attrs.frozen(eq=False)
class _LatencyEvidence:
    real_lags: np.ndarray  # per real episode
    sim_lags: list[np.ndarray]  # per sim stream, per episode
    real_latency: int
    sim_latency_low: int
    sim_latency_high: int
    latency_delta: float
    latency_peak: float


def _latency_evidence(pol: _Policy) -> _LatencyEvidence:
    """The realised lag of the real episodes and of each sim stream."""
    mean_model = apply_parameters(pol.base, pol.names, pol.params.mean(axis=0))
    # the lag is the one whose commands, replayed, best reproduce the transitions; the
    # cross-correlation peak (weak through contact) only says how clear the lag is
    _, real_peaks = _latency(pol.replay, mean_model, pol.real)
    real_lags = _replay_lags(pol.replay, mean_model, pol.real, pol.dscale)
    real_lag = _typical_lag(real_lags)
    peak = float(np.average(real_peaks, weights=[len(e.obs) - 1 for e in pol.real]))
    sim_lags = [_replay_lags(pol.replay, m, s, pol.dscale) for m, s in zip(pol.members, pol.sims)]
    lo, hi = min(_typical_lag(k) for k in sim_lags), max(_typical_lag(k) for k in sim_lags)
    delta = float(real_lag - hi if real_lag > hi else (real_lag - lo if real_lag < lo else 0))
    return _LatencyEvidence(real_lags, sim_lags, int(real_lag), int(lo), int(hi), delta, peak)


def _band(v1: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residual against the ensemble mean, and the ensemble's predictive std (floored)."""
    mu = pred.mean(axis=0)
    sd = pred.std(axis=0, ddof=1) if len(pred) > 1 else np.zeros_like(mu)
    return v1 - mu, np.sqrt(sd**2 + SPREAD_FLOOR**2)


def _nll(e: np.ndarray, sd: np.ndarray) -> np.ndarray:
    return 0.5 * np.sum((e / sd) ** 2 + np.log(2 * np.pi * sd**2), axis=1)


@attrs.frozen(eq=False)
class _DynamicsEvidence:
    residual: np.ndarray  # real transitions' residual against the ensemble mean, scaled
    dynamics_error: float
    sim_dynamics_error: float
    coverage: float
    expected_coverage: float
    vfe_past: float


def _dynamics_evidence(pol: _Policy, lat: _LatencyEvidence) -> _DynamicsEvidence:
    """Real transitions replayed through every member, against held-out members' own."""
    # each episode replayed with its own realised lag
    pred = pol.predict(pol.real, lat.real_lags, pol.members)
    e_real, sd_real = _band(pol.next_velocity(pol.real), pred)
    # held-out members over the same steps as the real stream: early steps (landing,
    # transients) are harder to predict than the long-run ones
    horizon = max(len(e.obs) for e in pol.real)
    held_cov, held_err, held_nll = [], [], []
    for i, s in enumerate(pol.sims):
        others = [m for j, m in enumerate(pol.members) if j != i]
        w = [_Stream(e.obs[:horizon], e.action[:horizon], e.next_state[:horizon]) for e in s]
        e, sd = _band(pol.next_velocity(w), pol.predict(w, lat.sim_lags[i][: len(w)], others))
        held_cov.append(np.abs(e) <= BAND_Z * sd)
        held_err.append(e**2)
        held_nll.append(_nll(e, sd))
    return _DynamicsEvidence(
        residual=e_real,
        dynamics_error=float(np.sqrt(np.mean(e_real**2))),
        sim_dynamics_error=float(np.sqrt(np.mean(np.concatenate(held_err)))),
        coverage=float(np.mean(np.abs(e_real) <= BAND_Z * sd_real)),
        expected_coverage=float(np.mean(np.concatenate(held_cov))),
        vfe_past=float(np.mean(_nll(e_real, sd_real)) - np.mean(np.concatenate(held_nll))),
    )


def _future_gap(X: ACSet, policy: int) -> tuple[float, float]:
    """(kl_gap, floor): the verdict's own gap when recorded, else measured as the verdict does."""
    if np.isfinite(X.subpart(policy, "kl_gap")):
        return float(X.subpart(policy, "kl_gap")), float(X.subpart(policy, "kl_floor"))
    g = measure_gap(X, policy, rng=0)
    return float(g.value), float(g.floor)


def transfer_evidence(X: ACSet, policy: int) -> TransferEvidence:
    """Evidence for why ``policy`` did or did not transfer (see the module docstring).

    The task (whose model is the sim's nominal model) and the names of the ``sim_params``
    columns are read from the experiment's Setup, Parameter parts
    (:func:`acset_s2r.sim2real.record.read_setup`).
    Raises InstanceError for an ACSet that does not describe itself, a policy id that is not
    a Policy part, a policy with no real stream or training ensemble, a real stream shorter
    than MIN_STEPS, or widths that do not fit the task's model.
    """
    install_warning_handler()
    pol = _read_policy(X, policy)
    obs = _observation_evidence(pol)
    lat = _latency_evidence(pol)
    dyn = _dynamics_evidence(pol, lat)
    explained, fitted = _explained(pol, lat.real_lags, dyn.residual)
    kl_future, kl_floor = _future_gap(X, policy)
    return TransferEvidence(
        observation_error=obs.observation_error,
        obs_variance_ratio=obs.obs_variance_ratio,
        obs_whiteness=obs.obs_whiteness,
        real_latency=lat.real_latency,
        sim_latency_low=lat.sim_latency_low,
        sim_latency_high=lat.sim_latency_high,
        latency_delta=lat.latency_delta,
        latency_peak=lat.latency_peak,
        dynamics_error=dyn.dynamics_error,
        sim_dynamics_error=dyn.sim_dynamics_error,
        dynamics_explained=explained,
        coverage=dyn.coverage,
        expected_coverage=dyn.expected_coverage,
        vfe_past=dyn.vfe_past,
        kl_future=kl_future,
        kl_floor=kl_floor,
        n_steps=len(dyn.residual),
        fitted_params=fitted,
    )


def _explained(pol: _Policy, lag, e_real: np.ndarray) -> tuple[float, dict[str, float]]:
    """Cross-validated share of the residual that a parameter offset δθ explains: e ≈ J δθ,
    then one chord step, over the steady transitions (all of them if fewer than MIN_STEPS
    are). The two folds are the first and second half of each episode; the held-out residual
    is a replay at the fitted parameters."""
    base, names, params, real, predictions = pol.base, pol.names, pol.params, pol.real, pol.predict
    # transitions that make or break a contact or a joint limit are not smooth in the
    # parameters, so the linearised fit uses only those that keep the constraint set
    steady = np.concatenate([(g[:-1] == g[1:]) for g in (_constraint_signature(base, e.next_state) for e in real)])
    episode = np.concatenate([np.full(len(e.obs) - 1, i) for i, e in enumerate(real)])
    center = params.mean(axis=0)
    step = _DTHETA * np.maximum(np.abs(center), 1e-3)
    models = [apply_parameters(base, names, center)]
    for j in range(len(names)):
        c = center.copy()
        c[j] += step[j]
        models.append(apply_parameters(base, names, c))
    pred = predictions(real, lag, models)  # (1 + P, n, nv), scaled
    J = (pred[1:] - pred[:1]) / step[:, None, None]  # (P, n, nv) per unit parameter
    if np.count_nonzero(steady) < MIN_STEPS:
        steady = np.ones(len(e_real), bool)
    J, target = J[:, steady], e_real[steady]  # residual against the ensemble mean
    pred0 = pred[0][steady]
    A = J.reshape(len(names), -1).T  # (n·nv, P)
    y = target.reshape(-1)
    # early against late steps of every episode: a constant offset must carry over in time
    episode = episode[steady]
    starts = np.searchsorted(episode, episode, side="left")
    sizes = np.bincount(episode)[episode]
    halves = (np.arange(len(episode)) - starts) < sizes // 2
    rows = np.repeat(halves, target.shape[1])

    def fit(train):
        # a mass fault of tens of percent is not linear in the parameters: one chord step
        # refits, with the same J, what is left after replaying at the first fit
        coef = _ridge(A[train], y[train])
        return coef + _ridge(A[train], moved_residual(coef)[train])

    def moved_residual(coef):
        # an ill-determined offset may step past zero; keep the replayed model physical
        theta = np.maximum(center + coef, 0.1 * np.abs(center))
        moved = predictions(real, lag, [apply_parameters(base, names, theta)])[0][steady]
        return (target - (moved - pred0)).reshape(-1)

    sse = sst = 0.0
    for train in (rows, ~rows):
        r = moved_residual(fit(train))[~train]  # held out, by replay at the fitted parameters
        sse += r @ r
        sst += y[~train] @ y[~train]
    explained = float(max(0.0, 1.0 - sse / sst)) if sst > 0 else 0.0
    coef = fit(np.ones(len(y), bool))
    fitted = {nm: float(c + d) for nm, c, d in zip(names, center, coef)}
    return explained, fitted


def _ridge(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    # columns scaled to unit norm, a small ridge keeps unidentified parameters at 0
    norm = np.maximum(np.linalg.norm(A, axis=0), 1e-12)
    As = A / norm
    lam = 1e-3 * len(y)
    coef = np.linalg.solve(As.T @ As + lam * np.eye(A.shape[1]), As.T @ y)
    return coef / norm


# --------------------------------------------------------------------- the verdict


def _flags(ev: TransferEvidence, th: Thresholds) -> dict[Cause, float]:
    """Each cause whose evidence crosses its threshold, with how far (evidence / threshold)."""
    out: dict[Cause, float] = {}
    inflated = ev.obs_variance_ratio > th.obs_ratio and ev.observation_error > th.obs_error
    if inflated:
        # white extra noise is a sensor problem; correlated extra is a delayed sensor
        cause = Cause.OBSERVATION if abs(ev.obs_whiteness) < th.obs_white else Cause.LATENCY
        out[cause] = ev.observation_error / th.obs_error
    if abs(ev.latency_delta) >= th.latency_steps and ev.latency_peak >= th.latency_peak:
        out[Cause.LATENCY] = max(out.get(Cause.LATENCY, 0.0), abs(ev.latency_delta) / th.latency_steps)
    deficit = ev.expected_coverage - ev.coverage
    if deficit > th.coverage_deficit:
        cause = Cause.DYNAMICS if ev.dynamics_explained >= th.explained else Cause.OVERCONFIDENCE
        out[cause] = deficit / th.coverage_deficit
    return out


_WHY = {
    Cause.OBSERVATION: "the real sensor residual o_t - h(x_t) carries {obs_variance_ratio:.1f}x the sim's noise "
    "power (excess std {observation_error:.2f} of the signal spread) and is white in time "
    "(lag-1 autocorrelation {obs_whiteness:.2f}): the sensors are noisier than the sim assumed",
    Cause.LATENCY: "commands and the control the real transitions received line up at a lag of "
    "{real_latency} steps (cross-correlation {latency_peak:.2f}) against {sim_latency_low}..{sim_latency_high} "
    "in the sim, {latency_delta:+.0f} steps outside its range; or the sensor residual is inflated and "
    "correlated in time (a delayed sensor)",
    Cause.DYNAMICS: "replayed through the ensemble, the real transitions leave its two-sigma band "
    "({coverage:.0%} covered against {expected_coverage:.0%} for held-out members; one-step error "
    "{dynamics_error:.2f} vs {sim_dynamics_error:.2f}), and {dynamics_explained:.0%} of the residual is a "
    "constant physical-parameter offset: the real physics is outside the randomised family",
    Cause.OVERCONFIDENCE: "replayed through the ensemble, the real transitions leave its two-sigma band "
    "({coverage:.0%} covered against {expected_coverage:.0%} for held-out members; one-step error "
    "{dynamics_error:.2f} vs {sim_dynamics_error:.2f}), but no parameter offset explains it "
    "({dynamics_explained:.0%}): the ensemble's spread is too narrow for an unmodelled, random part of reality",
    Cause.NONE: "every piece of evidence is within its threshold: sensor noise ratio {obs_variance_ratio:.1f}, "
    "latency {real_latency} steps in the sim's {sim_latency_low}..{sim_latency_high}, coverage {coverage:.0%} "
    "against {expected_coverage:.0%}",
}


# Most specific evidence first. A lag outside the sim's range and white extra sensor noise
# are exact tests (the other faults leave them untouched); a coverage deficit also fires
# when an in-support plant happens to sit at the edge of a small ensemble.
_PRECEDENCE = (Cause.LATENCY, Cause.OBSERVATION, Cause.DYNAMICS, Cause.OVERCONFIDENCE)


def _explain(cause: Cause, ev: TransferEvidence, flagged: tuple[Cause, ...]) -> str:
    fields = ev.as_dict()
    past = (
        f"Past (VFE): the recorded real transitions are {ev.vfe_past:+.1f} nats/step more surprising "
        "to the sim ensemble than its own held-out runs"
    )
    past += "; the sim does not explain what already happened." if ev.vfe_past > 1.0 else "; the sim explains the past."
    if np.isfinite(ev.kl_future):
        future = (
            f"Future (KL): predictions of the next observations are off by KL(real || sim) = {ev.kl_future:.2f} "
            f"nats on transitions, against a sim-vs-sim floor of {ev.kl_floor:.2f}."
        )
    else:
        future = "Future (KL): the real stream is too short for the transition KL estimator."
    verdict = f"Cause: {cause.value}, because {_WHY[cause].format(**fields)}."
    others = [c.value for c in flagged if c is not cause]
    if others:
        verdict += " Also flagged: " + ", ".join(others) + "."
    return "\n".join([past, future, verdict])


def diagnose_transfer_failure(X: ACSet, policy: int, *, thresholds: Thresholds = Thresholds()) -> Diagnosis:
    """The most likely single cause of ``policy``'s transfer failure, with its evidence.

    Each cause whose evidence crosses its threshold (see :class:`Thresholds`) is
    flagged; the most specific flagged cause is returned (latency, then observation,
    then the coverage-based dynamics and overconfidence), ``Cause.NONE`` if none is. The explanation starts with the seed's PAD split: VFE on the recorded past,
    KL on future predictions.
    """
    ev = transfer_evidence(X, policy)
    flags = _flags(ev, thresholds)
    flagged = tuple(c for c in _PRECEDENCE if c in flags)
    cause = flagged[0] if flagged else Cause.NONE
    return Diagnosis(cause, ev, flagged, _explain(cause, ev, flagged), thresholds)
