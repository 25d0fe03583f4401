"""Schemas of sim2real experiments.

``SchSim2RealTransfer`` is the seed's schema verbatim (see ``acset_s2r.catalog``).
``SchSim2RealTrajectory`` extends it with the data behind every part, keeping the
seed's morphisms' meaning:

- an ``Observation`` is one observation stream: the whole recorded sensor data of one
  environment, which may hold several episodes (the environment was reset between them);
  ``episode_return`` is the mean return over its episodes;
- a ``Step`` points to its stream and carries the observation (as the policy saw it,
  noise included), the action applied, the time, the reward, and the true next state
  (qpos, qvel) needed for dynamics checks; ``episode`` numbers the stream's episodes
  from 0 and ``t_index`` counts steps from 0 within an episode; ``next_step`` links an
  episode's steps in order and is -1 (undefined) at each episode's last step, so no
  transition crosses a reset;
- ``SimEnv`` and ``RealEnv`` carry their physical parameters; a RealEnv read from a log
  (``real_source``: its file or folder) has none, so ``real_params``, ``obs_noise_std`` and
  ``latency_steps`` stay undefined there, and carries what the log's timestamps say instead:
  the mean and standard deviation of its sampling interval (``sample_dt_mean``,
  ``sample_dt_std``, seconds) and the latency estimated from it (``latency_ms``);
- a real Step read from a log without the true state has ``next_state`` undefined;
- ``Policy`` carries what it is (``policy_kind``: linear-gaussian, numpy, onnx, torch; in an
  audit, cloned for a policy cloned from the log, replay for the logged commands replayed;
  ``policy_source``: its file name, if any; ``policy_hash``: a sha256 of its file or
  parameter vector), its parameters (undefined for policies that have no parameter
  vector), its action noise (the entropy of Q), its returns in
  sim and in real, and its measured gap: ``kl_gap`` with its interval, its floor and the floor's upper end;
- the experiment describes itself, so that a file needs no side information: one ``Setup``
  part (task name, control timestep and ``task_source``: the TOML or MJCF file the task was
  read from, so a task declared outside the shipped ones can be found again), and one ``Channel``, ``Actuator`` and ``Parameter``
  part per column of ``obs``, ``action`` and ``sim_params``/``real_params``, in column order,
  each with its name;
- the transfer test's null: one ``NullPlant`` per extra plant drawn from a policy's own
  randomisation distribution and run as the real plant was (``null_of``), with its gap
  ``null_gap``; the Policy carries the conformal p-value ``kl_p_value`` and ``kl_epsilon``,
  the null's (1 - α) quantile (see :mod:`acset_s2r.sim2real.judge`).

So "what did π see in the real world" is ``deploy ⋅ observe_real`` followed by the
converse of ``stream``, and "what did it see in training" is the converse of
``train`` followed by ``observe_sim`` and the converse of ``stream``.
"""

from __future__ import annotations

from acset_s2r.catalog import SchSim2RealTransfer

SchSim2RealTrajectory = SchSim2RealTransfer.extend(
    "SchSim2RealTrajectory",
    obs=["Step", "Setup", "Channel", "Actuator", "Parameter", "NullPlant"],
    homs=[("stream", "Step", "Observation"), ("next_step", "Step", "Step"), ("null_of", "NullPlant", "Policy")],
    attrtypes=["ObsVec", "ActVec", "StateVec", "Params", "PolicyVec", "Real", "Count", "Label"],
    attrs=[
        # Step: one control step of one stream
        ("obs", "Step", "ObsVec"),
        ("action", "Step", "ActVec"),
        ("time", "Step", "Real"),
        ("reward", "Step", "Real"),
        ("next_state", "Step", "StateVec"),
        ("t_index", "Step", "Count"),
        ("episode", "Step", "Count"),
        # Observation: one stream
        ("domain", "Observation", "Label"),
        ("episode_return", "Observation", "Real"),
        # environments
        ("sim_params", "SimEnv", "Params"),
        ("sim_seed", "SimEnv", "Count"),
        ("randomization_level", "SimEnv", "Real"),
        ("real_params", "RealEnv", "Params"),
        ("obs_noise_std", "RealEnv", "Real"),
        ("latency_steps", "RealEnv", "Count"),
        ("real_source", "RealEnv", "Label"),
        ("latency_ms", "RealEnv", "Real"),
        ("sample_dt_mean", "RealEnv", "Real"),
        ("sample_dt_std", "RealEnv", "Real"),
        # Policy: Q, the recognition model
        ("policy_name", "Policy", "Label"),
        ("policy_params", "Policy", "PolicyVec"),
        ("policy_kind", "Policy", "Label"),
        ("policy_source", "Policy", "Label"),
        ("policy_hash", "Policy", "Label"),
        ("action_noise", "Policy", "Real"),
        ("sim_return", "Policy", "Real"),
        ("real_return", "Policy", "Real"),
        ("kl_floor", "Policy", "TransferGap"),
        ("kl_ci_low", "Policy", "TransferGap"),
        ("kl_ci_high", "Policy", "TransferGap"),
        ("kl_floor_ci_high", "Policy", "TransferGap"),
        ("kl_p_value", "Policy", "Real"),
        ("kl_epsilon", "Policy", "TransferGap"),
        # the null: plants drawn from the policy's own randomisation, run as the real one was
        ("null_gap", "NullPlant", "TransferGap"),
        ("null_params", "NullPlant", "Params"),
        ("null_latency", "NullPlant", "Real"),  # control steps; a log's are real numbers
        # what the columns mean
        ("task_name", "Setup", "Label"),
        ("task_source", "Setup", "Label"),
        ("control_dt", "Setup", "Real"),
        ("horizon", "Setup", "Count"),
        ("channel_name", "Channel", "Label"),
        ("actuator_name", "Actuator", "Label"),
        ("parameter_name", "Parameter", "Label"),
    ],
)


def trajectory_types(obs_dim: int, act_dim: int, state_dim: int, n_params: int, policy_dim: int) -> dict:
    """Attribute-type bindings for an experiment with these widths."""
    return {
        "TransferGap": float,
        "ObsVec": (float, obs_dim),
        "ActVec": (float, act_dim),
        "StateVec": (float, state_dim),
        "Params": (float, n_params),
        "PolicyVec": (float, policy_dim),
        "Real": float,
        "Count": int,
        "Label": str,
    }
