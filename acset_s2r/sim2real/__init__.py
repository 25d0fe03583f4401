"""Sim-to-real experiments on MuJoCo, recorded in ACSets of the seed's schema.

The pipeline flows one way, one module per stage:

1. physics (MuJoCo only): ``models``, ``selections`` and ``terms`` (what a task observes and
   rewards), ``tasks`` (any MJCF as a :class:`Task`), ``noise``, ``randomization``, ``plant``,
   ``policy`` (linear-Gaussian) and ``policies`` (any batch policy: numpy, ONNX, torch);
2. settings: ``presets`` (named physics), ``config`` (one nested config, :func:`default_config`);
3. simulate: ``rollout`` (closed-loop batches as named steps, ``deploy``), ``train`` (CEM);
4. record: ``record``, the only bridge between rollouts and the ACSet (``schema`` holds its
   schema, ``store`` writes and reads a run's Parquet folder); ``logs`` reads real-robot logs
   (LeRobot v3 folders, Parquet/CSV/NPZ) onto the control grid, ``estimate`` gives states from
   observations where a log has none, ``robotlog`` is a hidden plant that logs as a robot does;
5. measure and judge: ``kl`` (estimators), ``judge`` (the calibrated test and the one
   :class:`Verdict`), ``diagnosis`` (why a transfer failed), ``verification`` (the seed's proof
   bundle), ``faults`` (the fault-injection bench);
6. run and show: ``plots``, ``report`` (text and files), ``html_report`` (report.html),
   ``experiment`` (:func:`run_experiment`), ``sweep`` (grids of experiments on Ray), ``audit``
   (your robot, your policy and your logs: ``acset-s2r audit``).

Examples
--------
>>> from acset_s2r import sim2real
>>> sim2real.default_config("cartpole").training.steps
300
"""

from acset_s2r.sim2real.audit import AuditResult, audit
from acset_s2r.sim2real.config import (
    ExperimentConfig,
    MeasureSetup,
    PolicySpec,
    RealSide,
    SimSide,
    TrainingSetup,
    default_config,
)
from acset_s2r.sim2real.diagnosis import Cause, Diagnosis, TransferEvidence, diagnose_transfer_failure, transfer_evidence
from acset_s2r.sim2real.experiment import ExperimentResult, run_experiment
from acset_s2r.sim2real.faults import Fault, fault_experiment
from acset_s2r.sim2real.judge import Verdict, judge_policy, measure_gap, read_verdict, read_verdicts, seed_constraint
from acset_s2r.sim2real.kl import GapEstimate, kl_gap
from acset_s2r.sim2real.logs import RealLog, log_from_arrays, read_lerobot, read_log, read_table, write_lerobot
from acset_s2r.sim2real.models import load_model
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlant, RealPlantConfig, make_real_plant
from acset_s2r.sim2real.policies import NumpyPolicy, OnnxPolicy, Policy, TorchPolicy, as_policy
from acset_s2r.sim2real.policy import LinearGaussianPolicy, lqr_policy
from acset_s2r.sim2real.randomization import Range, RandomizationConfig
from acset_s2r.sim2real.record import Setup, policy_samples, read_setup
from acset_s2r.sim2real.report import report_text, save_experiment
from acset_s2r.sim2real.rollout import RolloutBatch, VelocityKicks, deploy, rollout
from acset_s2r.sim2real.schema import SchSim2RealTrajectory
from acset_s2r.sim2real.html_report import write_experiment_report
from acset_s2r.sim2real.store import read_experiment, write_experiment
from acset_s2r.sim2real.sweep import grid, load_sweep, run_sweep
from acset_s2r.sim2real.tasks import Task, get_task, task_from_file
from acset_s2r.sim2real.train import TrainConfig, evaluate_policy, train_cem
from acset_s2r.sim2real.verification import ProofBundle, record_experiment_events, verify_transfer_success

__all__ = [
    # settings
    "ExperimentConfig", "SimSide", "RealSide", "TrainingSetup", "MeasureSetup", "PolicySpec", "default_config",
    # physics
    "load_model", "get_task", "Task", "task_from_file", "Range", "RandomizationConfig", "ObservationNoise", "ActionLatency",
    "RealPlant", "RealPlantConfig", "make_real_plant", "LinearGaussianPolicy", "lqr_policy",
    "Policy", "NumpyPolicy", "OnnxPolicy", "TorchPolicy", "as_policy",
    # simulate
    "rollout", "deploy", "RolloutBatch", "VelocityKicks", "TrainConfig", "train_cem", "evaluate_policy",
    # record
    "SchSim2RealTrajectory", "Setup", "read_setup", "policy_samples", "read_experiment", "write_experiment",
    # measure and judge
    "kl_gap", "GapEstimate", "measure_gap", "judge_policy", "Verdict", "read_verdict", "read_verdicts",
    "seed_constraint", "Cause", "Diagnosis", "TransferEvidence", "transfer_evidence", "diagnose_transfer_failure",
    "ProofBundle", "record_experiment_events", "verify_transfer_success", "Fault", "fault_experiment",
    # run and show
    "run_experiment", "ExperimentResult", "report_text", "save_experiment", "write_experiment_report",
    "run_sweep", "grid", "load_sweep", "audit", "AuditResult",
    # real logs
    "RealLog", "log_from_arrays", "read_lerobot", "read_table", "read_log", "write_lerobot",
]
