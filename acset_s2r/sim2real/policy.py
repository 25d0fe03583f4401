"""Linear-Gaussian feedback policies, and an LQR baseline from finite differences.

a = clip(K·(o - o_ref) + b + σ·ε, ctrlrange), ε ~ N(0, I). The action-noise std
σ is the policy's stochastic part: its Gaussian entropy Σ ½ ln(2πeσ²) is the
entropy of Q in the seed's predictive-coding reading.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, ClassVar

import attrs
import mujoco
import numpy as np
import scipy.linalg

from acset_s2r.errors import SimulationError

if TYPE_CHECKING:
    from acset_s2r.sim2real.tasks import Task

# log σ is floored here so that σ = 0 (a deterministic policy) has a finite vector form
LOG_SIGMA_FLOOR = -20.0


def _frozen_array(value) -> np.ndarray:
    arr = np.array(value, dtype=float)
    arr.flags.writeable = False
    return arr


@attrs.frozen(eq=False)
class LinearGaussianPolicy:
    """K (nu, nobs), b (nu,), σ (nu,), o_ref (nobs,) and the action bounds (nu,) each.

    It follows the :class:`~acset_s2r.sim2real.policies.Policy` protocol: called on
    observations it gives the mean action; rollouts add its noise σ on a fast path.
    """

    kind: ClassVar[str] = "linear-gaussian"
    source: ClassVar[str] = ""

    gain: np.ndarray = attrs.field(converter=_frozen_array)
    bias: np.ndarray = attrs.field(converter=_frozen_array)
    sigma: np.ndarray = attrs.field(converter=_frozen_array)
    obs_ref: np.ndarray = attrs.field(converter=_frozen_array)
    ctrl_low: np.ndarray = attrs.field(converter=_frozen_array)
    ctrl_high: np.ndarray = attrs.field(converter=_frozen_array)

    def __attrs_post_init__(self):
        if self.gain.ndim != 2:
            raise SimulationError(f"policy gain must be (nu, nobs), got shape {self.gain.shape}")
        nu, nobs = self.gain.shape
        for name, want in (("bias", nu), ("sigma", nu), ("obs_ref", nobs),
                           ("ctrl_low", nu), ("ctrl_high", nu)):
            got = getattr(self, name).shape
            if got != (want,):
                raise SimulationError(f"policy {name} must have shape ({want},), got {got}")
        for name in ("gain", "bias", "sigma", "obs_ref"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise SimulationError(f"policy {name} has non-finite entries")
        if np.any(self.sigma < 0):
            raise SimulationError(f"policy action-noise std must be >= 0, got {self.sigma}")
        if np.any(self.ctrl_low > self.ctrl_high):
            raise SimulationError("policy ctrl_low exceeds ctrl_high")

    @property
    def nu(self) -> int:
        return self.gain.shape[0]

    @property
    def nobs(self) -> int:
        return self.gain.shape[1]

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.mean_action(obs)

    def check(self, obs_dim: int, act_dim: int) -> None:
        if (self.nu, self.nobs) != (act_dim, obs_dim):
            raise SimulationError(
                f"policy gain has shape {self.gain.shape} but the task has {act_dim} actuators "
                f"and {obs_dim} observation channels"
            )

    def mean_action(self, obs: np.ndarray) -> np.ndarray:
        """Clipped noise-free action for observations of shape (..., nobs)."""
        a = (np.asarray(obs) - self.obs_ref) @ self.gain.T + self.bias
        return np.clip(a, self.ctrl_low, self.ctrl_high)

    def sample_action(self, obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        obs = np.asarray(obs)
        a = (obs - self.obs_ref) @ self.gain.T + self.bias
        a = a + self.sigma * rng.standard_normal(a.shape)
        return np.clip(a, self.ctrl_low, self.ctrl_high)

    def entropy(self) -> float:
        """Differential entropy (nats) of the unclipped action Gaussian; -inf if any σ = 0."""
        with np.errstate(divide="ignore"):
            return float(np.sum(0.5 * np.log(2 * np.pi * np.e * self.sigma**2)))

    # --- flat parameter vectors (for optimisers and for recording) -----------------

    def n_params(self, include_sigma: bool = True) -> int:
        return self.nu * self.nobs + self.nu + (self.nu if include_sigma else 0)

    def to_vector(self, include_sigma: bool = True) -> np.ndarray:
        """[K row-major, b, log σ] (log σ floored at LOG_SIGMA_FLOOR)."""
        parts = [self.gain.ravel(), self.bias]
        if include_sigma:
            with np.errstate(divide="ignore"):
                parts.append(np.maximum(np.log(self.sigma), LOG_SIGMA_FLOOR))
        return np.concatenate(parts)

    def with_vector(self, vec: np.ndarray, include_sigma: bool = True) -> "LinearGaussianPolicy":
        """A policy of the same layout with parameters from ``to_vector``'s format."""
        vec = np.asarray(vec, dtype=float)
        if vec.shape != (self.n_params(include_sigma),):
            raise SimulationError(
                f"policy vector must have shape ({self.n_params(include_sigma)},), got {vec.shape}"
            )
        nk = self.nu * self.nobs
        gain = vec[:nk].reshape(self.nu, self.nobs)
        bias = vec[nk : nk + self.nu]
        sigma = self.sigma
        if include_sigma:
            log_sigma = vec[nk + self.nu :]
            sigma = np.where(log_sigma <= LOG_SIGMA_FLOOR, 0.0, np.exp(log_sigma))
        return attrs.evolve(self, gain=gain, bias=bias, sigma=sigma)

    def with_sigma(self, sigma) -> "LinearGaussianPolicy":
        return attrs.evolve(self, sigma=np.broadcast_to(np.asarray(sigma, float), (self.nu,)))


def ctrl_bounds(model: mujoco.MjModel) -> tuple[np.ndarray, np.ndarray]:
    """Per-actuator control bounds; unlimited actuators get ±inf."""
    limited = model.actuator_ctrllimited.astype(bool)
    low = np.where(limited, model.actuator_ctrlrange[:, 0], -np.inf)
    high = np.where(limited, model.actuator_ctrlrange[:, 1], np.inf)
    return low, high


def nominal_observation(model: mujoco.MjModel) -> np.ndarray:
    """Sensor readings at qpos0 with zero velocity: the default o_ref."""
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    return data.sensordata.copy()


def zero_policy(model: mujoco.MjModel, sigma=0.0, obs_ref=None, task: Task | None = None) -> LinearGaussianPolicy:
    """K = 0, b = 0: the untrained policy (pure action noise of std σ).

    With a ``task``, o_ref is the task's nominal observation and the bounds are its action
    bounds; without, o_ref is the sensors at qpos0 and the bounds the ctrlrange.

    Examples
    --------
    >>> from acset_s2r.sim2real.tasks import get_task
    >>> task = get_task("quadruped")
    >>> zero_policy(task.load_model(), task=task).gain.shape
    (8, 27)
    """
    if task is not None:
        low, high = task.action_bounds(model)
        obs_ref = task.nominal_observation(model) if obs_ref is None else obs_ref
    else:
        low, high = ctrl_bounds(model)
    nu = model.nu
    nobs = model.nsensordata if obs_ref is None else len(obs_ref)
    return LinearGaussianPolicy(
        gain=np.zeros((nu, nobs)),
        bias=np.zeros(nu),
        sigma=np.broadcast_to(np.asarray(sigma, float), (nu,)),
        obs_ref=nominal_observation(model) if obs_ref is None else obs_ref,
        ctrl_low=low,
        ctrl_high=high,
    )


def linearize(
    model: mujoco.MjModel, substeps: int = 1, fd_step: float = 1e-6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, B, C) of x' = A x + B u over one control step, y = C x, at qpos0, zero ctrl.

    x is the tangent state (dq, dv) of size 2·nv. ``mjd_transitionFD`` refuses
    RK4, so a copy with the Euler integrator is linearised. Dry friction
    (frictionloss) is dropped from the copy: at zero velocity it is not
    differentiable and finite differences through it give meaningless gains.
    """
    lin = copy.deepcopy(model)
    if lin.opt.integrator == mujoco.mjtIntegrator.mjINT_RK4:
        lin.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    lin.dof_frictionloss[:] = 0.0
    data = mujoco.MjData(lin)
    mujoco.mj_forward(lin, data)
    nx, nu, ny = 2 * lin.nv + lin.na, lin.nu, lin.nsensordata
    A1, B1 = np.zeros((nx, nx)), np.zeros((nx, nu))
    C, D = np.zeros((ny, nx)), np.zeros((ny, nu))
    mujoco.mjd_transitionFD(lin, data, fd_step, True, A1, B1, C, D)
    # holding u for several physics steps composes the one-step map
    A, B = np.eye(nx), np.zeros((nx, nu))
    for _ in range(substeps):
        A, B = A1 @ A, A1 @ B + B1
    return A, B, C


def lqr_policy(
    model: mujoco.MjModel,
    Q: np.ndarray | None = None,
    R: np.ndarray | None = None,
    sigma=0.0,
    substeps: int = 1,
) -> LinearGaussianPolicy:
    """Discrete LQR around qpos0, expressed as a feedback on the observations.

    Needs observations from which the state can be read back (C of full column
    rank), as the cartpole's joint position and velocity sensors are. Defaults:
    Q = I, R = 0.1·I.
    """
    A, B, C = linearize(model, substeps)
    nx, nu = B.shape
    Q = np.eye(nx) if Q is None else np.asarray(Q, float)
    R = 0.1 * np.eye(nu) if R is None else np.asarray(R, float)
    if np.linalg.matrix_rank(C) < nx:
        raise SimulationError(
            f"LQR needs observations that determine the state: sensor Jacobian has rank "
            f"{np.linalg.matrix_rank(C)} < state size {nx}"
        )
    try:
        P = scipy.linalg.solve_discrete_are(A, B, Q, R)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise SimulationError(f"LQR Riccati equation has no stabilising solution: {exc}") from exc
    K_state = np.linalg.solve(R + B.T @ P @ B, B.T @ P @ A)
    # u = -K x and x = C⁺ (o - o_ref)
    gain = -K_state @ np.linalg.pinv(C)
    policy = zero_policy(model, sigma)
    return attrs.evolve(policy, gain=gain)


def stance_policy(model: mujoco.MjModel, gains, sigma=0.1) -> LinearGaussianPolicy:
    """Hopper PD stance around the nominal pose, as a linear-Gaussian policy.

    ``gains`` = (kp, kd, hip on pitch, hip on pitch rate, foot on pitch, foot on pitch
    rate, foot on forward velocity, hip on forward velocity); each motor also holds its
    own joint at the nominal angle with kp, kd. Needs the hopper's sensor layout:
    height, pitch, thigh, leg, foot positions, then forward, height, pitch, thigh, leg,
    foot velocities.
    """
    if model.nu != 3 or model.nsensordata != 11:
        raise SimulationError(
            f"stance_policy needs the hopper's 3 motors and 11 sensors, got {model.nu} and {model.nsensordata}"
        )
    kp, kd, hp, hd, fp, fd, fvx, hvx = np.asarray(gains, float)
    K = np.zeros((3, 11))
    for j in range(3):
        K[j, 2 + j], K[j, 8 + j] = -kp, -kd
    K[0, [1, 7, 5]] += (hp, hd, hvx)
    K[2, [1, 7, 5]] += (fp, fd, fvx)
    return attrs.evolve(zero_policy(model, sigma), gain=K)
