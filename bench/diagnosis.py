"""Fault-injection benchmark of the transfer-failure diagnosis.

For each model, a policy is fixed (LQR on the cartpole; on the hopper a PD stance
controller whose gains a seeded random search sets for long episodes on the sim's
randomised ensembles), then for every seed and every fault
(none, and each single cause at three magnitudes) a fresh sim ensemble and real
plant are drawn (see ``acset_s2r.sim2real.faults``), recorded into the experiment
ACSet and diagnosed. Prints a confusion matrix per model and the accuracy over all
non-trivial magnitudes (every injected fault), with the none cases apart.
"error" counts a real episode that fell before MIN_STEPS steps (no diagnosis).

Thresholds and the precedence of causes were set on seeds 7-9 and 100-109; seeds 1000-1009
reported the first version (cartpole 87.5%, hopper 64.2%); the reported seeds now start at 2000
(cartpole 92.5%, hopper 68.3% with a CEM hopping policy that fell within ~50 steps). The stance
policy, the offset fit on contact-steady transitions and its 25% secant step were set on seeds
100-109: on 2000-2009 the hopper gives 88.3% (cartpole 92.5%), on the unused 4000-4009 80.8%
(cartpole 91.7%). Intermediate versions were also run on 2000-2009 and 3000-3009.
With 4 real episodes per policy, each its own segment of the diagnosis (replayed with its own
realised lag; per-episode lag set on seeds 100-109): 2000-2009 cartpole 92.5%, hopper 91.7%;
the unused 5000-5009 cartpole 95.8%, hopper 85.8%. Steps per episode unchanged.
Lags chosen by the smallest one-step replay residual (real and sim streams) and one chord step
of the offset fit, set on seeds 7-9 and 100-109 (hopper 80.6 -> 94.4%, 93.3 -> 97.5%; cartpole
unchanged): 2000-2009 cartpole 92.5%, hopper 95.0%; 5000-5009 cartpole 95.8%, hopper 93.3%;
the unused 6000-6009 cartpole 100%, hopper 96.7% (94.2% before the change).

Logs-only mode (``--logs-only``): the same faults, but the real side is a hidden plant that
logs as a robot does (:mod:`acset_s2r.sim2real.robotlog`: control ticks jittered by ±15%,
latency in seconds, here ``sim max + m + 0.5`` control steps, so never a whole step) and the
diagnosis sees only what a LeRobot dataset holds: noisy observations, commands and the
jittered timestamps, resampled onto the control grid. It also reports how often the latency
in milliseconds is within one control step of the truth.
First version, seeds 7000-7002: cartpole 77.8%, hopper 27.8%. With the sensor noise read at two
strides on position channels, the fractional lag and the tick jitter in the replay, the lag's
replay contrast and the offset fit on smoothed states against held-out sim streams (set on
seeds 8000-8002): 7000-7002 cartpole 94.4%, hopper 80.6% (overconfidence 2/9), latency within
a control step 9/9 on both; the full-information mode on 6000-6009 stays cartpole 100%,
hopper 96.7%.
Replays through the task's action transform (the quadruped's actions are offsets from its
keyframe), robot logs whose tick states lie on the physics step's path (they were extrapolated
from the step before, an error 6-28x the jitter's, which the cartpole's 94.4% fed on), a
fractional lag per physics step, and overconfidence from logs read as surprise beyond twice
the held-out members' spread (set on 8000-8002): 7000-7002 hopper 97.2%, cartpole 83.3%,
quadruped 80.6%, latency within a control step 9/9 on each; full information on 6000-6002
cartpole 100%, hopper 100%, quadruped 77.8% (kicks of 0.2 and 0.4 barely move a servo stance).
The sim side of a log is now logged as the log was (robotlog.log_ensemble: the log's ticks, a
real-valued latency over the sim's range, every member over every episode), held-out streams
get the real one's fractional lag fit, and the offset fit only splits surprising transitions
into dynamics and overconfidence (alone it flagged 11 of 20 in-support cartpole plants, seeds
9100-9119; now 2). 7000-7002: cartpole 83.3%, hopper 83.3%, quadruped 83.3% on 7000-7001,
latency within a control step 9/9, 9/9, 6/6; the misses are link-mass faults of 0.6-1.0 and
the quadruped's kicks of 0.2-0.4.
From logs, a correlated rise of the roughness is now overconfidence (a random force), not
latency, and an offset explaining 2.5x better than held-out streams is a dynamics mismatch
without surprise (set on 8000-8002 and the in-support plants 9100-9119; hopper 80.6 -> 91.7%
there). On the unused seeds 7100-7102: cartpole 91.7% (33/36), hopper 83.3% (30/36, the six
misses all mass faults of 0.6-1.0), quadruped 66.7% on 7100 (8/12, its three kicks read as
none); none as none 7/7; latency within a control step 9/9, 9/9, 3/3. The previous rules give
the same on those seeds. In-support plants flagged: cartpole 2/20, hopper 2/12 (9100-9111).
Then from logs, velocities that answer the commands' noise less than held-out members' by two of
their spreads (force_noise_z <= -2; in-support plants on the tuning seeds at -1.6 or above) are a
dynamics mismatch: on 7100-7102 hopper 97.2% (35/36), cartpole 91.7%, quadruped 7100 66.7%
(unchanged), no in-support plant added. The idea came from the hopper's missed mass faults on
7100-7102; the threshold was set on the tuning seeds before their z-scores were computed.
Quadruped from logs, the remaining cases of 7101-7102 (kicks 0.4 and 0.8): 2/4, so 27/36 = 75.0%
on 7100-7102 (kicks of 0.2-0.4 read as none: its positions are read with noise that, through the
servos' stiffness, dwarfs the kick in a one-step replay), none 3/3, latency 9/9. Drift evidence
(the velocity 20 steps on, open loop, against held-out members'; drift_z >= 2 is surprise)
catches the kick of 0.8 on 7100 and of 0.4 on 7101 there: 29/36 = 80.6%; on the unused 7300-7302, of the cases it can change
(none, kicks, masses x1.6), 11/16 right against 10/16 without it, none 3/3.
With the true state, a residual that no parameter offset explains (dynamics_explained < 0.75,
was 0.4 and only behind a coverage deficit) is overconfidence even inside the band: the sim is
deterministic, so an in-support plant is a member of its family (set on 8000-8002 and on
in-support plants 9100-9119, 9100-9111 and 9100-9107; two in-support plants of 40 fall below it). On the unused seeds 7200-7209
cartpole 99.2% (none 10/10); 7200-7202 hopper 97.2% (none 2/3, the third called dynamics by
coverage), quadruped 100% (36/36, none 3/3; 77.8% on 6000-6002 before).

    .venv/bin/python bench/diagnosis.py [--seeds 10] [--models cartpole hopper quadruped] [--logs-only]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from acset_s2r.errors import InstanceError, SimulationError
from acset_s2r.sim2real.diagnosis import Cause, diagnose_transfer_failure
from acset_s2r.sim2real.faults import FAULT_BENCH_SIM, Fault, fault_experiment, fault_log_experiment, sim_ensemble
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.policy import lqr_policy, stance_policy, zero_policy
from acset_s2r.sim2real.rollout import rollout
from acset_s2r.sim2real.tasks import get_task

TARGET = 0.9
LOGS_TARGET = 0.85
FIRST_SEED = 2000
MAGNITUDES = {
    "observation": (0.02, 0.05, 0.1),  # extra sensor noise std
    "dynamics": (0.6, 1.0, 1.5),  # link masses x (1 + m)
    "latency": (1, 2, 3),  # steps beyond the sim's maximum
    "overconfidence": (0.2, 0.4, 0.8),  # kick std / typical velocity change
}
EXPECTED = {
    "none": Cause.NONE,
    "observation": Cause.OBSERVATION,
    "dynamics": Cause.DYNAMICS,
    "latency": Cause.LATENCY,
    "overconfidence": Cause.OVERCONFIDENCE,
}
STEPS = {"cartpole": 200, "hopper": 300, "quadruped": 200}
REAL_EPISODES = 4  # fresh real episodes per policy, on the same faulty plant
SEARCH_ITERS = 100


def make_policy(model: str):
    task = get_task(model)
    base = task.load_model()
    if model == "cartpole":
        return lqr_policy(base, sigma=0.1)
    if model == "quadruped":
        # the servos hold the keyframe stance; exploration around it excites the legs
        return zero_policy(base, sigma=0.1, task=task)
    # A policy that keeps the hopper standing for the whole episode, so that every fault is
    # seen over a long stream (the hopping CEM policy fell within ~50 steps, often before
    # MIN_STEPS). (1+1) random search on the PD gains for mean episode length on two sim
    # ensembles, one with the sim's latency and one with up to 4 steps, as a margin.
    rng = np.random.default_rng(0)
    sim = FAULT_BENCH_SIM
    ensembles = [sim_ensemble(base, sim, 16, rng) for _ in range(2)]
    noise = ObservationNoise(std=sim.obs_noise)

    def score(x):
        total = 0.0
        for ens, lat, seed in zip(ensembles, (sim.latency_max, 4), (1, 2)):
            try:
                b = rollout(ens, stance_policy(base, x), task, np.random.default_rng(seed),
                            horizon=STEPS[model], obs_noise=noise, latency=ActionLatency(0, lat), nthread=1)
            except SimulationError:
                return 0.0
            total += b.lengths.mean()
        return total / 2

    best = np.array([1.0, 0.05, 0, 0, 0, 0, 0, 0])
    best_score = score(best)
    step = np.array([0.5, 0.03, 0.5, 0.05, 0.5, 0.05, 0.1, 0.1])
    for _ in range(SEARCH_ITERS):
        x = best + step * rng.standard_normal(len(best))
        x[:2] = np.maximum(x[:2], (0.05, 0.0))
        s = score(x)
        if s > best_score:
            best, best_score = x, s
    print(f"hopper stance gains {np.round(best, 3).tolist()}, mean sim episode {best_score:.0f}/{STEPS[model]} steps")
    return stance_policy(base, best)


def bench_model(model: str, seeds: list[int], real_episodes: int = REAL_EPISODES, logs_only: bool = False) -> tuple[float, float]:
    task = get_task(model)
    t0 = time.perf_counter()
    policy = make_policy(model)
    t_train = time.perf_counter() - t0
    cases = [("none", 0.0)] + [(k, m) for k, ms in MAGNITUDES.items() for m in ms]
    labels = [c.value for c in Cause] + ["error"]
    confusion = {k: dict.fromkeys(labels, 0) for k in EXPECTED}
    per_mag: dict[tuple[str, float], list[bool]] = {}
    lengths, latency_hits = [], []
    t0 = time.perf_counter()
    for seed in seeds:
        for kind, mag in cases:
            try:
                if logs_only:
                    X, true_latency = fault_log_experiment(policy, task, Fault(kind, mag), seed, steps=STEPS[model],
                                                           real_episodes=real_episodes)
                else:
                    X = fault_experiment(policy, task, Fault(kind, mag), seed, steps=STEPS[model],
                                         real_episodes=real_episodes)
                d = diagnose_transfer_failure(X, 0, logs_only=logs_only or None)
                got = d.cause.value
                lengths.append(d.evidence.n_steps)
                if logs_only and kind == "latency":
                    step_ms = 1000 * float(X.subpart(0, "control_dt"))
                    latency_hits.append(abs(d.evidence.latency_ms - 1000 * true_latency) <= step_ms)
            except (InstanceError, SimulationError):
                got = "error"
            confusion[kind][got] += 1
            per_mag.setdefault((kind, mag), []).append(got == EXPECTED[kind].value)
    t_diag = time.perf_counter() - t0

    n_runs = len(seeds) * len(cases)
    print(f"\n== {model}{' (logs only)' if logs_only else ''}: {len(seeds)} seeds x {len(cases)} cases = {n_runs} runs "
          f"({real_episodes} real episodes each; policy {t_train:.0f} s, runs + diagnosis {t_diag:.0f} s, median real transitions "
          f"{int(np.median(lengths))})")
    short = {"observation mismatch": "obs", "dynamics mismatch": "dyn", "temporal/latency mismatch": "lat",
             "overconfident predictions": "conf", "none": "none", "error": "error"}
    print(f"{'injected / diagnosed':<22}" + "".join(f"{short[lab]:>7}" for lab in labels))
    for kind in EXPECTED:
        print(f"{kind:<22}" + "".join(f"{confusion[kind][lab]:>7}" for lab in labels))
    print("accuracy by magnitude:")
    for (kind, mag), hits in per_mag.items():
        print(f"  {kind:<15}{mag:>6}: {np.mean(hits):6.0%}")
    faulty = [h for (k, _), hs in per_mag.items() if k != "none" for h in hs]
    none = per_mag[("none", 0.0)]
    acc = float(np.mean(faulty))
    target = LOGS_TARGET if logs_only else TARGET
    print(f"accuracy over all non-trivial magnitudes: {acc:.1%} ({sum(faulty)}/{len(faulty)}); "
          f"none diagnosed as none: {np.mean(none):.0%} ({sum(none)}/{len(none)}); "
          f"target {target:.0%}: {'met' if acc >= target else 'NOT met'}")
    if latency_hits:
        print(f"latency within one control step of the truth: {np.mean(latency_hits):.0%} "
              f"({sum(latency_hits)}/{len(latency_hits)}; target 90%)")
    return acc, float(np.mean(none))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--models", nargs="+", default=["cartpole", "hopper"])
    ap.add_argument("--first-seed", type=int, default=FIRST_SEED, help="tune on seeds other than the reported ones")
    ap.add_argument("--real-episodes", type=int, default=REAL_EPISODES)
    ap.add_argument("--logs-only", action="store_true", help="the diagnosis sees only a robot's log (see above)")
    args = ap.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    for model in args.models:
        bench_model(model, seeds, args.real_episodes, args.logs_only)


if __name__ == "__main__":
    main()
