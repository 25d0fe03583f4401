"""Is the audit without a policy calibrated? Cartpole logs from hidden plants, audited with no policy.

Each case: a hidden plant drawn from the audit's default randomisation (Playground's ranges
at level 1, as :func:`acset_s2r.sim2real.faults.plant_config` draws the fault bench's), run
by an LQR policy with action noise σ 0.1 that the audit is not given, logged as a robot
logs (:func:`acset_s2r.sim2real.robotlog.robot_log`: jittered ticks, sensor noise, a real
latency) for ``--episodes`` episodes of ``--steps`` ticks. In support: latency uniform in
the sim's 0..1 steps, sensor noise σ 0.01. Faults: a latency of 3.5 steps, or sensor noise
σ 0.05. Each log is audited with ``policy=None`` (the sim side driven by a clone of the
policy, or with ``--replay`` by the logged commands) and the table gives p, kl_gap, the
clone's R² and the diagnosis; at the end, how many in-support logs were flagged (p < 0.05)
and how many faulty ones were.

    .venv/bin/python bench/audit_calibration.py                 # 10 in-support, 3 + 3 faulty
    .venv/bin/python bench/audit_calibration.py --in-support 20 # the README's figure (about 7 min)
    .venv/bin/python bench/audit_calibration.py --replay        # the open-loop replay, for comparison
    .venv/bin/python bench/audit_calibration.py --teacher-forced

``--teacher-forced`` checks the other design, a sim side and null restarted at every control
step from the log's estimated state and stepped once with the logged command: on in-support
logs (no latency, no jitter) it prints the Gaussian KL of the log's (o_t, o_t+1) pairs to the
ensemble's teacher-forced pairs, and the same for teacher-forced null plants and for the
hidden plant itself. The log's own pairs come from true states, the replays' from noisy
estimates, so the log stands far above every null plant, the hidden plant included: that
design rejects every in-support log.
"""

from __future__ import annotations

import argparse
import time

import mujoco
import numpy as np

from acset_s2r.sim2real import kl
from acset_s2r.sim2real.audit import audit
from acset_s2r.sim2real.estimate import estimate_states
from acset_s2r.sim2real.faults import FAULT_BENCH_SIM, Fault, plant_config
from acset_s2r.sim2real.plant import make_real_plant
from acset_s2r.sim2real.policy import lqr_policy
from acset_s2r.sim2real.randomization import Ensemble, draw_parameters, playground_defaults
from acset_s2r.sim2real.robotlog import robot_log
from acset_s2r.sim2real.tasks import get_task

ALPHA = 0.05


def hidden_log(task, base, policy, seed: int, kind: str, episodes: int, steps: int):
    """A log of a hidden in-support plant; ``kind`` "none", "latency" (3.5 steps) or "noise" (σ 0.05)."""
    rng = np.random.default_rng(seed)
    plant = make_real_plant(base, plant_config(base, FAULT_BENCH_SIM, Fault("none")), rng)
    dt = task.control_dt(base)
    lag = 3.5 if kind == "latency" else rng.uniform(0, FAULT_BENCH_SIM.latency_max)
    noise = 0.05 if kind == "noise" else FAULT_BENCH_SIM.obs_noise
    return robot_log(plant.model, policy, task, rng, episodes=episodes, steps=steps, latency=lag * dt,
                     obs_noise=noise, source=f"{kind}-{seed}")


def teacher_forced_pairs(task, base, model, log, rng, noise: float) -> np.ndarray:
    """(o_t, o'_t+1) per logged step: ``model`` restarted at the state estimated from o_t and
    stepped over one control step with the logged command, observed with sensor noise."""
    data = mujoco.MjData(model)
    pairs = []
    for e in log.episodes:
        x = estimate_states(task, base, e.obs)
        for t in range(len(e) - 1):
            data.qpos[:], data.qvel[:] = x[t, : model.nq], x[t, model.nq :]
            data.ctrl[:] = e.action[t]  # the cartpole's action transform is the identity
            for _ in range(task.substeps):
                mujoco.mj_step(model, data)
            pairs.append(np.r_[e.obs[t], data.sensordata + noise * rng.standard_normal(model.nsensordata)])
    return np.array(pairs)


def teacher_forced_check(task, base, policy, seeds, n_sim: int, n_null: int) -> None:
    for seed in seeds:
        rng = np.random.default_rng(seed)
        plant = make_real_plant(base, plant_config(base, FAULT_BENCH_SIM, Fault("none")), rng)
        log = robot_log(plant.model, policy, task, rng, episodes=3, steps=150, latency=0.0, jitter=0.0,
                        obs_noise=FAULT_BENCH_SIM.obs_noise)
        ensemble = Ensemble(base, draw_parameters(base, playground_defaults(base), n_sim, rng))
        noise = FAULT_BENCH_SIM.obs_noise
        sim = np.concatenate([teacher_forced_pairs(task, base, ensemble.model(i), log, rng, noise) for i in range(n_sim)])

        def gap(pairs):
            return kl.kl_gaussian_estimate(pairs, sim, shrinkage="ledoit-wolf")

        real = gap(np.concatenate([np.c_[e.obs[:-1], e.obs[1:]] for e in log.episodes]))
        own = gap(teacher_forced_pairs(task, base, plant.model, log, rng, noise))
        nulls = [gap(teacher_forced_pairs(task, base, make_real_plant(base, plant_config(base, FAULT_BENCH_SIM, Fault("none")),
                                                                      rng).model, log, rng, noise)) for _ in range(n_null)]
        print(f"in-support seed {seed}: log {real:.3f}; the hidden plant teacher-forced {own:.3f}; "
              f"{n_null} null plants {min(nulls):.3f}..{max(nulls):.3f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in-support", type=int, default=10)
    ap.add_argument("--faulty", type=int, default=3)
    ap.add_argument("--n-null", type=int, default=39)
    ap.add_argument("--n-sim", type=int, default=8)
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--seed", type=int, default=9200)
    ap.add_argument("--replay", action="store_true", help="replay the logged commands instead of cloning")
    ap.add_argument("--teacher-forced", action="store_true", help="check the teacher-forced design instead")
    args = ap.parse_args()
    task = get_task("cartpole")
    base = task.load_model()
    policy = lqr_policy(base, sigma=0.1)
    if args.teacher_forced:
        teacher_forced_check(task, base, policy, range(args.seed, args.seed + 3), args.n_sim, 10)
        return
    cases = [("none", args.seed + i) for i in range(args.in_support)]
    cases += [(kind, args.seed + 100 * (k + 1) + i) for k, kind in enumerate(("latency", "noise")) for i in range(args.faulty)]
    flagged: dict[str, list[bool]] = {}
    print(f"{'case':>14} {'p':>6} {'kl_gap':>8} {'R²':>6}  diagnosis")
    for kind, seed in cases:
        t0 = time.time()
        log = hidden_log(task, base, policy, seed, kind, args.episodes, args.steps)
        r = audit("cartpole", log, n_sim=args.n_sim, n_null=args.n_null, seed=seed, progress=False, clone=not args.replay)
        v = r.verdict
        r2 = r.drive.clone.fit if r.drive.clone is not None else float("nan")
        cause = r.diagnosis.cause.value if hasattr(r.diagnosis, "cause") else f"none ({r.diagnosis})"
        flagged.setdefault(kind, []).append(bool(v.p_value < ALPHA))
        print(f"{kind + '-' + str(seed):>14} {v.p_value:6.3f} {v.kl_gap:8.3f} {r2:6.3f}  {cause} [{r.drive.mode}, {time.time() - t0:.0f} s]",
              flush=True)
    for kind, flags in flagged.items():
        print(f"{kind}: {sum(flags)}/{len(flags)} flagged at p < {ALPHA}")


if __name__ == "__main__":
    main()
