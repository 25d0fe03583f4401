"""Recorded closed-loop rollouts against a bare batched MuJoCo loop.

Both sides step the same randomised ensemble (per-env parameters through
Batch.expand), from the same initial states, on every core. The bare loop only
writes precomputed controls and steps; ours runs the policy with observation
noise and per-env latency, records every array, computes rewards and writes every
step into the experiment ACSet (one Observation stream per env, Step columns), and is
timed end to end (batch set-up and post-processing included). Repetitions are
interleaved so background load hits both sides alike; medians are reported.

    .venv/bin/python bench/rollout.py [--envs 256] [--reps 5] [--models cartpole hopper]
"""

from __future__ import annotations

import argparse
import time

import mujoco
import mujoco.batch
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.policy import lqr_policy, zero_policy
from acset_s2r.sim2real.randomization import playground_defaults, sample_ensemble
from acset_s2r.acset import ACSet
from acset_s2r.sim2real.record import record_stream
from acset_s2r.sim2real.rollout import install_warning_handler, rollout
from acset_s2r.sim2real.schema import SchSim2RealTrajectory, trajectory_types
from acset_s2r.sim2real.tasks import get_task

TARGET = 0.7


def bare(ensemble, task, qpos0, qvel0, controls: np.ndarray) -> float:
    """Seconds to step the ensemble through ``controls`` (T, N, nu) with nothing else."""
    n = len(ensemble)
    batch = mujoco.batch.Batch(ensemble.base, n)
    for name, values in ensemble.fields().items():
        batch.expand(name)[...] = values
    batch.set_const()
    batch.reset()
    batch.qpos[...] = qpos0
    batch.qvel[...] = qvel0
    ctrl = batch.bind("ctrl")
    start = time.perf_counter()
    for u in controls:
        ctrl[...] = u
        batch.step(nstep=task.substeps)
    return time.perf_counter() - start


def record(rb) -> ACSet:
    """Every env's episode as one Observation stream of Step rows, as the experiment stores it."""
    types = trajectory_types(rb.obs.shape[2], rb.action.shape[2], rb.qpos.shape[2] + rb.qvel.shape[2], 1, 1)
    X = ACSet(SchSim2RealTrajectory, **types)
    for env in range(rb.n_envs):
        record_stream(X, rb, env, "sim")
    return X


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=256)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["cartpole", "hopper"])
    args = parser.parse_args()
    install_warning_handler()
    print(f"{'model':<10}{'envs':>6}{'steps':>7}{'bare env-steps/s':>19}"
          f"{'ours env-steps/s':>19}{'ratio':>8}")
    worst = np.inf
    for name in args.models:
        task = get_task(name)
        base = task.load_model()
        rng = np.random.default_rng(0)
        ensemble = sample_ensemble(base, playground_defaults(base), args.envs, rng)
        try:
            policy = lqr_policy(base, sigma=0.1, substeps=task.substeps)
        except SimulationError:  # no LQR without full-state sensors (the hopper)
            policy = zero_policy(base, sigma=0.1)
        noise = ObservationNoise(0.01, 0.005)
        latency = ActionLatency(0, 2)
        qpos0, qvel0 = task.initial_state(base, args.envs, np.random.default_rng(1))
        t_bare, t_ours = [], []
        for rep in range(args.reps):
            start = time.perf_counter()
            rb = rollout(ensemble, policy, task, np.random.default_rng(rep), obs_noise=noise,
                         latency=latency, initial_state=(qpos0, qvel0))
            record(rb)
            t_ours.append(time.perf_counter() - start)
            # replay the very controls ours applied, so both do the same physics
            t_bare.append(bare(ensemble, task, qpos0, qvel0, np.swapaxes(rb.ctrl, 0, 1).copy()))
        steps = args.envs * task.horizon
        bare_rate, ours_rate = steps / np.median(t_bare), steps / np.median(t_ours)
        ratio = ours_rate / bare_rate
        worst = min(worst, ratio)
        print(f"{name:<10}{args.envs:>6}{task.horizon:>7}{bare_rate:>19,.0f}"
              f"{ours_rate:>19,.0f}{ratio:>8.2f}")
    verdict = "meets" if worst >= TARGET else "MISSES"
    print(f"worst ratio {worst:.2f}: {verdict} the {TARGET}x target")


if __name__ == "__main__":
    main()
