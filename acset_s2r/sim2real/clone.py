"""A linear-Gaussian policy cloned from a log's own (observation, command) pairs.

A log without its policy still shows the policy's input and output at every tick: the
observation it read and the command it sent. :func:`clone_policy` fits the
:class:`~acset_s2r.sim2real.policy.LinearGaussianPolicy` that runs as the clone will run,

    a = clip(clip(K·(o - o_ref) + b) + σ·ε),  ε ~ N(0, I),

clipped to the task's action bounds (the commands are logged before the task's action
transform, in the policy's own units), by maximum likelihood per actuator: a command
inside the bounds has the Gaussian density around the clipped mean, a command at a bound
the probability of the noise carrying the mean there. Least squares on every pair would
not do: the policy's saturated commands are the largest excursions, and treating them as
linear flattens the gains (on a cartpole log with 0.7% of its commands at a bound, by 15%).
The gains carry a ridge penalty chosen by generalised cross-validation, so that channels the
log barely excites get no gain the data does not support.

The clone does not depend on the plant's latency: a late plant changes what the
observations are, not the map from an observation to its command. Its fit, R² of the
commands against the clipped mean, says whether a linear map explains them at all.

Examples
--------
>>> import numpy as np
>>> from acset_s2r.sim2real.tasks import get_task
>>> task = get_task("cartpole"); model = task.load_model()
>>> rng = np.random.default_rng(0)
>>> obs = rng.normal(0.0, 0.1, (400, 4))
>>> K = np.array([[1.0, 2.0, 0.5, 0.0]])
>>> act = np.clip(obs @ K.T + 0.05 * rng.standard_normal((400, 1)), -1, 1)
>>> clone = clone_policy(task, model, obs, act, source="example")
>>> bool(np.abs(clone.gain - K).max() < 0.1), clone.sigma.round(2).tolist(), bool(clone.fits())
(True, [0.05], True)
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import mujoco
import numpy as np
import scipy.optimize
import scipy.special

from acset_s2r.errors import InstanceError
from acset_s2r.sim2real.policy import LinearGaussianPolicy, _frozen_array
from acset_s2r.sim2real.tasks import Task

#: Below this R² (the worst actuator's) a linear map does not explain the commands: the clone
#: is not the policy, and a closed-loop sim side run with it proves nothing about the log.
MIN_R2 = 0.5

# A command within this (relative) distance of a bound was clipped to it.
_AT_BOUND = 1e-9
# Ridge strengths tried, per pair, on the standardised gains (0 is least squares).
_RIDGES = np.concatenate([[0.0], np.logspace(-6, 1, 29)])


@attrs.frozen(eq=False)
class ClonedPolicy(LinearGaussianPolicy):
    """A LinearGaussianPolicy fitted from a log: its fit ``r2`` per actuator, the number of
    ``pairs`` it was fitted on, and the log it came from (``source``)."""

    kind: ClassVar[str] = "cloned"

    r2: np.ndarray = attrs.field(converter=_frozen_array)
    pairs: int = 0
    source: str = ""

    @property
    def fit(self) -> float:
        """The worst actuator's R²."""
        return float(np.min(self.r2))

    def fits(self, min_r2: float = MIN_R2) -> bool:
        return bool(self.fit >= min_r2)


def _negative_log_likelihood(theta, z_obs, a, low, high, ridge):
    """(value, gradient) of one actuator's censored-Gaussian likelihood, theta = (k, b, log σ)."""
    k, b, log_sigma = theta[:-2], theta[-2], theta[-1]
    sigma = np.exp(log_sigma)
    z = z_obs @ k + b
    m = np.clip(z, low, high)
    inside = (z > low) & (z < high)  # where the mean moves with the parameters
    at_high, at_low = a >= high, a <= low
    mid = ~(at_high | at_low)
    d_m = np.zeros_like(a)  # d value / d m, per pair
    d_ls = 0.0
    r = (a[mid] - m[mid]) / sigma
    value = 0.5 * np.sum(r**2) + np.count_nonzero(mid) * log_sigma
    d_m[mid] = -r / sigma
    d_ls += np.sum(1.0 - r**2)
    for rows, sign, bound in ((at_high, 1.0, high), (at_low, -1.0, low)):
        if not rows.any():
            continue
        u = sign * (m[rows] - bound) / sigma  # the noise carries the mean past the bound: Φ(u)
        log_cdf = scipy.special.log_ndtr(u)
        ratio = np.exp(-0.5 * u**2 - 0.5 * np.log(2 * np.pi) - log_cdf)  # φ(u)/Φ(u)
        value -= np.sum(log_cdf)
        d_m[rows] = -ratio * sign / sigma
        d_ls += np.sum(ratio * u)
    d_z = d_m * inside
    value += 0.5 * ridge * np.sum(k**2)
    grad = np.concatenate([z_obs.T @ d_z + ridge * k, [np.sum(d_z), d_ls]])
    return value, grad


def _ridge(z: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(k, b, σ, λ): ridge regression of ``a`` on ``z``, λ by generalised cross-validation.

    Channels the log barely excites (many of a legged robot's, at a stance) leave least
    squares free to give them large gains that the data does not support and that a closed
    loop then acts on; GCV shrinks those and leaves well-excited gains alone."""
    n = len(a)
    zc, ac = z - z.mean(0), a - a.mean()
    u, sv, vt = np.linalg.svd(zc, full_matrices=False)
    keep = sv > 1e-9 * max(sv.max(initial=0.0), 1.0)  # a constant channel has no direction
    u, sv, vt = u[:, keep], sv[keep], vt[keep]
    proj = u.T @ ac
    outside = ac @ ac - proj @ proj
    best = None
    for lam in _RIDGES * n:
        shrink = sv**2 / (sv**2 + lam)
        rss = np.sum(((1 - shrink) * proj) ** 2) + outside
        dof = np.sum(shrink) + 1.0
        if n - dof <= 0:
            continue
        gcv = n * rss / (n - dof) ** 2
        if best is None or gcv < best[0]:
            best = (gcv, lam, rss, dof)
    _, lam, rss, dof = best
    k = vt.T @ (sv / (sv**2 + lam) * proj)
    return k, float(a.mean() - z.mean(0) @ k), float(np.sqrt(max(rss, 0.0) / (n - dof))), float(lam)


def _fit_actuator(z_obs, a, low, high):
    """(k, b, σ) of one actuator on standardised observations: ridge on the commands inside
    the bounds, then, when some were clipped, the censored likelihood with the same ridge."""
    at_bound = (a >= high) | (a <= low)
    free = ~at_bound if np.count_nonzero(~at_bound) > z_obs.shape[1] + 2 else np.ones(len(a), bool)
    k, b, spread, lam = _ridge(z_obs[free], a[free])
    if not at_bound.any():
        # nothing censored: the ridge fit is the (penalised) maximum-likelihood fit
        return k, b, spread
    spread = max(spread, 1e-6)
    theta0 = np.concatenate([k, [b, np.log(spread)]])
    # the ridge's penalty in the likelihood's units (its squares are divided by 2σ²)
    res = scipy.optimize.minimize(
        _negative_log_likelihood, theta0, args=(z_obs, a, low, high, lam / spread**2), jac=True, method="L-BFGS-B",
    )
    theta = res.x if np.isfinite(res.fun) else theta0
    return theta[:-2], theta[-2], float(np.exp(theta[-1]))


def _snap(a: np.ndarray, bound: float, side: float) -> np.ndarray:
    """Commands within rounding of a finite bound (side +1 a lower, -1 an upper one) set on it."""
    if not np.isfinite(bound):
        return a
    return np.where(side * (a - bound) <= _AT_BOUND * (1.0 + abs(bound)), bound, a)


def clone_policy(task: Task, model: mujoco.MjModel, obs: np.ndarray, action: np.ndarray, source: str = "") -> ClonedPolicy:
    """The LinearGaussianPolicy most likely to have sent ``action`` (n, nu) on seeing ``obs``
    (n, nobs), clipped to the task's action bounds; its R² per actuator (see the module
    docstring). Refused (InstanceError) with fewer pairs than parameters."""
    obs, action = np.asarray(obs, float), np.asarray(action, float)
    if obs.ndim != 2 or action.ndim != 2 or len(obs) != len(action):
        raise InstanceError(f"{source or 'log'}: a clone needs (n, nobs) observations and (n, nu) commands, "
                            f"got {obs.shape} and {action.shape}")
    n, nobs = obs.shape
    if n < 2 * (nobs + 2):
        raise InstanceError(f"{source or 'log'}: {n} (observation, command) pairs are too few to clone a policy "
                            f"on {nobs} channels; it needs {2 * (nobs + 2)}")
    low, high = task.action_bounds(model)
    o_ref = task.nominal_observation(model)
    # standardised observations keep the optimiser's steps of one size across channels
    mean, scale = obs.mean(0), obs.std(0)
    scale = np.where(scale > 0, scale, 1.0)
    z_obs = (obs - mean) / scale
    gain, bias, sigma, r2 = (np.zeros((action.shape[1], nobs)), np.zeros(action.shape[1]),
                             np.zeros(action.shape[1]), np.zeros(action.shape[1]))
    for j in range(action.shape[1]):
        lo, hi = low[j], high[j]
        a = _snap(_snap(action[:, j], lo, 1.0), hi, -1.0)
        k, b, s = _fit_actuator(z_obs, a, lo, hi)
        gain[j] = k / scale
        bias[j] = b + gain[j] @ (o_ref - mean)
        fitted = np.clip(z_obs @ k + b, lo, hi)
        total = np.sum((a - a.mean()) ** 2)
        r2[j] = 1.0 - np.sum((a - fitted) ** 2) / total if total > 0 else 0.0
        sigma[j] = s
    return ClonedPolicy(gain=gain, bias=bias, sigma=sigma, obs_ref=o_ref, ctrl_low=low, ctrl_high=high,
                        r2=r2, pairs=n, source=source)


def clone_from_log(task: Task, model: mujoco.MjModel, log) -> ClonedPolicy:
    """:func:`clone_policy` on every frame of a :class:`~acset_s2r.sim2real.logs.RealLog`: each
    frame is a tick of the policy, the observation it read and the command it sent."""
    obs = np.concatenate([e.obs for e in log.episodes])
    action = np.concatenate([e.action for e in log.episodes])
    return clone_policy(task, model, obs, action, source=str(log.source))
