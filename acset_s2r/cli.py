"""The ``acset-s2r`` command.

    acset-s2r run [--model cartpole] [--n-sim 8] [--level 1.0] ...   the default sim2real experiment
    acset-s2r sweep [--levels 0 1] [--sigmas ...] [--seeds ...] ...  a grid of experiments on Ray
    acset-s2r audit --model robot.xml --real LOGDIR [--policy p.onnx]  a real log against its model
    acset-s2r skills audit DIR [--json FILE]                          GF(3) audit of a SKILL.md corpus
    acset-s2r schemas extract DIR                                     @present blocks in SKILL.md files
    acset-s2r schema show FILE_OR_NAME [--no-attributes]              a schema as Mermaid text
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from acset_s2r.errors import AcsetS2RError


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not in [0, 1]")
    return value


def _nonneg_float(text: str) -> float:
    value = _number(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"{text} must be a number >= 0")
    return value


def _positive_float(text: str) -> float:
    value = _number(text)
    if not value > 0.0:
        raise argparse.ArgumentTypeError(f"{text} must be a number > 0")
    return value


def _task_name(text: str) -> str:
    """A shipped task's name, or a path to a TOML task file or an MJCF model (checked by loading it)."""
    from acset_s2r.errors import SimulationError
    from acset_s2r.sim2real.tasks import get_task

    try:
        get_task(text)
    except SimulationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} must be at least {minimum}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acset-s2r", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train, deploy and record the default sim2real experiment")
    _add_run_settings(run)
    run.add_argument("--name", default="default", help="run name: results go to OUT/NAME")
    run.add_argument("--out", default="runs", help="output folder (default runs/)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--json", action="store_true",
                     help="also write experiment.json, the ACSets.jl row JSON, beside the Parquet acset/")

    sweep = sub.add_parser("sweep", help="a grid of experiments (models x levels x action noise x seeds) as Ray tasks")
    _add_sweep_settings(sweep)

    real = sub.add_parser("audit", help="audit a real robot's log against its model: kl_gap, its null, a diagnosis")
    real.add_argument("--model", required=True, help="an MJCF file, a TOML task file or a shipped model name")
    real.add_argument("--real", required=True, metavar="LOG",
                      help="a LeRobot v3 dataset folder, or a .parquet/.csv/.npz file with --obs/--action/--time")
    real.add_argument("--policy", default=None,
                      help="the policy as an ONNX file (default: a linear policy cloned from the log)")
    real.add_argument("--no-clone", action="store_true",
                      help="without --policy, replay the logged commands open loop instead of cloning a policy "
                           "(the verdict is then not calibrated)")
    real.add_argument("--randomization", default=None, metavar="TOML", help="the sim's ranges, noise and latency")
    real.add_argument("--out", default="runs/audit", help="output folder (default runs/audit)")
    real.add_argument("--obs", nargs="+", default=None, help="observation column(s) of a single log file")
    real.add_argument("--action", nargs="+", default=None, help="action column(s) of a single log file")
    real.add_argument("--time", default=None, help="timestamp column of a single log file (seconds)")
    real.add_argument("--episode", default=None, help="episode column of a single log file")
    real.add_argument("--n-sim", type=_count(2), default=8, help="sim ensemble members (default 8)")
    real.add_argument("--n-null", type=_count(20), default=39, help="null plants (default 39)")
    real.add_argument("--seed", type=_count(0), default=0, help="seed (default 0)")
    real.add_argument("--quiet", action="store_true", help="no progress bars")

    skills = sub.add_parser("skills", help="GF(3) skill-balance tools").add_subparsers(dest="action", required=True)
    audit = skills.add_parser("audit", help="audit the trits and balance claims of a SKILL.md corpus")
    audit.add_argument("directory")
    audit.add_argument("--json", dest="json_out", default=None, help="also write the JSON report here (schemas/skill_audit_report.schema.json)")
    audit.add_argument("--html", dest="html_out", default=None, metavar="FILE",
                       help="also write the report as one self-contained HTML page here")
    audit.add_argument("--strict", action="store_true", help="members naming no skill in DIR also fail the audit")
    audit.add_argument("--format", dest="fmt", choices=("text", "json", "lines", "github"), default="text",
                       help="text (default): tables; json: the JSON report; lines: 'DIR/file:line: severity: message' "
                            "per finding, as linters print; github: '::error file=...,line=...::message' workflow "
                            "commands, annotations in GitHub Actions")
    audit.add_argument("--changed-since", metavar="REF", default=None,
                       help="audit only what touches the skills changed since git REF: their declarations and every "
                            "group in their files or naming them")
    audit.add_argument("--fix-suggestions", action="store_true",
                       help="with each finding, how to fix it: the member trit that balances an unbalanced group "
                            "(GF(3)), the declaration a mismatch disagrees with")

    schemas = sub.add_parser("schemas", help="schemas found in SKILL.md files").add_subparsers(dest="action", required=True)
    extract = schemas.add_parser("extract", help="parse every @present block and say which are C-set schemas")
    extract.add_argument("directory")

    schema = sub.add_parser("schema", help="one schema").add_subparsers(dest="action", required=True)
    show = schema.add_parser("show", help="print a schema as Mermaid text")
    show.add_argument("schema", help="a built-in schema name (SchGraph, ...) or a schema JSON file")
    show.add_argument("--no-attributes", action="store_true")
    return parser


def _defaults(read) -> str:
    """A setting's default per model, read from ``default_config``: 'default: 300 cartpole, 200 hopper'."""
    from acset_s2r.sim2real.config import default_config
    from acset_s2r.sim2real.tasks import TASKS

    values = {model: read(default_config(model)) for model in TASKS}
    if len(set(map(repr, values.values()))) == 1:
        return f"default {next(iter(values.values()))}"
    return "default: " + ", ".join(f"{v} {model}" for model, v in values.items())


# flag -> (section, field, reader of its default); the flags override default_config(model)
_RUN_SETTINGS = {
    "n_sim": ("sim", "n_sim"),
    "level": ("sim", "level"),
    "noise": ("real", "obs_noise"),
    "latency": ("real", "latency"),
    "real_episodes": ("real", "episodes"),
    "steps": ("training", "steps"),
    "iterations": ("training", "iterations"),
    "population": ("training", "population"),
    "alpha": ("measure", "alpha"),
    "n_null": ("measure", "n_null"),
}


def _add_run_settings(run: argparse.ArgumentParser) -> None:
    def default(section: str, field: str) -> str:
        return _defaults(lambda cfg: getattr(getattr(cfg, section), field))

    run.add_argument("--model", type=_task_name, default="cartpole", help="a shipped task (cartpole (default), hopper, quadruped), a TOML task file, or an MJCF model file")
    run.add_argument("--n-sim", type=_count(2), default=None, help=f"domain-randomised sim environments per policy ({default('sim', 'n_sim')})")
    run.add_argument("--level", type=_fraction, default=None, help=f"randomisation curriculum level in [0, 1] of the dr-* policies ({default('sim', 'level')})")
    run.add_argument("--noise", type=_nonneg_float, default=None,
                     help=f"real sensor noise std; the per-episode bias scales with it ({default('real', 'obs_noise')})")
    run.add_argument("--latency", type=_count(0), default=None, help=f"real action latency in control steps ({default('real', 'latency')})")
    run.add_argument("--steps", type=_count(10), default=None, help=f"control steps per rollout ({default('training', 'steps')})")
    run.add_argument("--iterations", type=_count(1), default=None, help=f"CEM generations per policy ({default('training', 'iterations')})")
    run.add_argument("--population", type=_count(2), default=None, help=f"CEM samples per generation ({default('training', 'population')})")
    run.add_argument("--real-episodes", type=_count(1), default=None, help=f"episodes on the real plant per policy ({default('real', 'episodes')})")
    run.add_argument("--alpha", type=_fraction, default=None,
                     help=f"level of the transfer test: a policy did not transfer when p < alpha ({default('measure', 'alpha')})")
    run.add_argument("--n-null", type=_count(1), default=None,
                     help=f"plants drawn from each policy's own randomisation to calibrate the test ({default('measure', 'n_null')})")
    run.add_argument("--seed", type=_count(0), default=0, help="seed of everything, an integer >= 0 (default 0)")


def run_config(args: argparse.Namespace):
    """The experiment ``acset-s2r run`` runs: ``default_config(--model)`` with the flags given."""
    from acset_s2r.sim2real.config import default_config

    config = default_config(args.model)
    changes: dict[str, dict] = {}
    for flag, (section, field) in _RUN_SETTINGS.items():
        value = getattr(args, flag)
        if value is not None:
            changes.setdefault(section, {})[field] = value
    if args.noise is not None and config.real.obs_noise > 0:
        # the per-episode bias keeps its default proportion to the noise
        changes["real"]["obs_bias"] = config.real.obs_bias * args.noise / config.real.obs_noise
    return config.evolve(seed=args.seed, **changes)


def _run(args: argparse.Namespace) -> int:
    from acset_s2r.sim2real.experiment import run_experiment

    config = run_config(args)
    out_dir = _output_dir(args.out, args.name)
    result = run_experiment(config, out_dir=out_dir, progress=not args.quiet, json=args.json)
    print(result.report())
    return 0


# the budget flags of run that a sweep applies to every experiment, with run's minimum
_SWEEP_SETTINGS = {"n_sim": 2, "real_episodes": 1, "steps": 10, "iterations": 1, "population": 2, "n_null": 1}


def _add_sweep_settings(sweep: argparse.ArgumentParser) -> None:
    sweep.add_argument("--config", metavar="TOML", default=None,
                       help="the sweep from a TOML file ([base], [grid], [[experiment]]) instead of the grid flags")
    sweep.add_argument("--models", nargs="+", type=_task_name, default=["cartpole"], metavar="MODEL",
                       help="shipped tasks, TOML task files or MJCF models (default cartpole)")
    sweep.add_argument("--levels", nargs="+", type=_fraction, default=[1.0], metavar="LEVEL",
                       help="randomisation levels in [0, 1] (default 1)")
    sweep.add_argument("--sigmas", nargs="+", type=_nonneg_float, default=None, metavar="SIGMA",
                       help="action noise: each experiment trains one policy at (level, sigma); "
                            "without it, the default four policies at the level")
    sweep.add_argument("--seeds", nargs="+", type=_count(0), default=[0], metavar="SEED", help="seeds (default 0)")
    for flag, minimum in _SWEEP_SETTINGS.items():
        sweep.add_argument("--" + flag.replace("_", "-"), type=_count(minimum), default=None,
                           help=f"{'.'.join(_RUN_SETTINGS[flag])} of every experiment (as in run)")
    sweep.add_argument("--name", default="sweep", help="sweep name: results go to OUT/NAME (default sweep)")
    sweep.add_argument("--out", default="runs", help="output folder (default runs/)")
    sweep.add_argument("--serial", action="store_true", help="run the experiments one after another here, without Ray")
    sweep.add_argument("--address", default=None, help="join the Ray cluster at this address (default: start a local one)")
    sweep.add_argument("--num-cpus", type=_count(1), default=None,
                       help="CPUs of the local Ray, one experiment each (default: this machine's cores)")
    sweep.add_argument("--merge", action="store_true", help="also merge the finished runs per model into OUT/NAME/merged/")
    sweep.add_argument("--json", action="store_true", help="also write each run's ACSets.jl row JSON")
    sweep.add_argument("--no-reports", action="store_true", help="runs keep their ACSet only: no plots, no report.html")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")


def _sweep(args: argparse.Namespace) -> int:
    from acset_s2r.sim2real.sweep import grid, load_sweep, run_sweep

    changes: dict[str, dict] = {}
    for flag in _SWEEP_SETTINGS:
        value = getattr(args, flag)
        if value is not None:
            section, field = _RUN_SETTINGS[flag]
            changes.setdefault(section, {})[field] = value
    if args.config is not None:
        tasks = load_sweep(args.config)
        if changes:
            tasks = tuple(type(t)(t.name, t.config.evolve(**changes), t.model, t.level, t.sigma, t.seed) for t in tasks)
    else:
        tasks = grid(args.models, args.levels, args.sigmas or [None], args.seeds, **changes)
    out_dir = _output_dir(args.out, args.name)
    where = "serially, without Ray" if args.serial else f"on Ray ({args.address or 'a local cluster'})"
    print(f"sweep {args.name}: {len(tasks)} experiments {where}, into {out_dir}", flush=True)
    result = run_sweep(tasks, out_dir, serial=args.serial, address=args.address, num_cpus=args.num_cpus,
                       merge=args.merge, json=args.json, reports=not args.no_reports, progress=not args.quiet)
    for r in result.rows:
        outcome = r["error"] if r["status"] == "failed" else (
            f"{r['policy']}: kl_gap {r['kl_gap']:.2f}, p {r['p_value']:.2f}, eps {r['epsilon']:.2f}, {r['verdict']}, "
            f"return sim {r['sim_return']:.1f} real {r['real_return']:.1f}{'' if r['kept'] else ' (not kept)'}")
        print(f"  {r['task']}: {outcome}")
    print(f"{len(result.ran)} ran, {len(result.skipped)} skipped, {len(result.failed)} failed in "
          f"{result.wall_time:.1f} s; wrote {out_dir}/summary.parquet and summary.csv"
          + (f", merged/{{{','.join(result.merged)}}}" if result.merged else ""))
    return 1 if result.failed else 0


def _output_dir(out: str, name: str):
    """Check the run folder can be written before a minute of training, not after."""
    import os
    from pathlib import Path

    if not name or "/" in name or name in (".", ".."):
        raise AcsetS2RError(f"--name must be a plain folder name, got {name!r}")
    path = Path(out) / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AcsetS2RError(f"cannot create the output folder {str(path)!r}: {err.strerror}") from None
    if not os.access(path, os.W_OK):
        raise AcsetS2RError(f"the output folder {str(path)!r} is not writable")
    return path


def _show_schema(args: argparse.Namespace) -> int:
    from pathlib import Path

    from acset_s2r.catalog import BUILTIN_SCHEMAS
    from acset_s2r.draw import to_mermaid
    from acset_s2r.serialization import read_schema_json

    if args.schema in BUILTIN_SCHEMAS:
        schema = BUILTIN_SCHEMAS[args.schema]
    elif Path(args.schema).exists():
        schema = read_schema_json(args.schema)
    else:
        raise AcsetS2RError(f"{args.schema!r} is neither a built-in schema ({sorted(BUILTIN_SCHEMAS)}) nor a file")
    print(to_mermaid(schema, attributes=not args.no_attributes))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from acset_s2r.sim2real.audit import audit

    columns = None
    if args.obs or args.action or args.time:
        columns = {"obs": args.obs, "action": args.action, "time": args.time}
        columns = {k: v for k, v in columns.items() if v is not None}
        if args.episode:
            columns["episode"] = args.episode
    result = audit(args.model, args.real, policy=args.policy, randomization=args.randomization, out=args.out,
                   columns=columns, n_sim=args.n_sim, n_null=args.n_null, seed=args.seed, progress=not args.quiet,
                   clone=not args.no_clone)
    print(result.summary())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "skills":
            from acset_s2r.gf3.audit import audit_main

            return audit_main(args.directory, json_out=args.json_out, strict=args.strict, fmt=args.fmt,
                              changed_since=args.changed_since, fix_suggestions=args.fix_suggestions,
                              html_out=args.html_out)
        if args.command == "schemas":
            from acset_s2r.gf3.extract import extract_main

            return extract_main(args.directory)
        return _show_schema(args)
    except AcsetS2RError as err:
        print(f"acset-s2r: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
