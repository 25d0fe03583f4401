"""report.html of a run: a valid, self-contained page in the promised order, and what a browser shows."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from acset_s2r.cli import build_parser, run_config
from acset_s2r.errors import InstanceError
from acset_s2r.sim2real import PolicySpec, default_config, run_experiment
from acset_s2r.sim2real.html_report import (
    diagnosis_section,
    proof_section,
    reproduce_command,
    reproduce_python,
    verdict_headline,
)
from acset_s2r.sim2real.judge import read_verdicts
from tests.htmlcheck import parse

# a name that is markup and an entity: it must come out as text
ODD_NAME = "<i>nominal</i>&co"


def small_config(seed: int = 5, **changes):
    return default_config("cartpole").evolve(
        seed=seed, sim={"n_sim": 3}, real={"episodes": 3}, measure={"n_null": 39},
        training={"steps": 40, "iterations": 2, "population": 4, **changes},
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "small"
    config = small_config(policies=(PolicySpec(ODD_NAME, 0.0, 0.05), PolicySpec("dr", 1.0, 0.3)))
    cwd = os.getcwd()
    os.chdir(out.parent)  # MuJoCo's log file, if any, goes to the temp dir
    try:
        result = run_experiment(config, out_dir=out, progress=False)
    finally:
        os.chdir(cwd)
    return result, out


def test_the_page_is_valid_self_contained_and_in_order(run):
    result, out = run
    text = (out / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    page = parse(text)
    verdicts = read_verdicts(result.acset, result.config.measure)
    policies = [f"policy-{'i-nominal-i-co' if v.name == ODD_NAME else v.name}" for v in verdicts]
    assert page.ids == ["verdict", *policies, "diagnosis", "proof-bundle", "reproduce"]
    # every link is to a section of the page, every image is embedded PNG
    assert sorted(link[1:] for link in page.links) == sorted(page.ids)
    assert len(page.images) >= 2 + len(verdicts) * 2
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # the odd name is text, never markup
    assert "i" not in page.tags and ODD_NAME in page.words


def test_the_verdict_comes_first_and_agrees_with_the_acset(run):
    result, out = run
    page = parse((out / "report.html").read_text(encoding="utf-8"))
    verdicts = read_verdicts(result.acset, result.config.measure)
    headline = verdict_headline(verdicts)
    n_in = sum(v.transferred for v in verdicts)
    assert headline.startswith(f"{n_in} of {len(verdicts)} policies transferred")
    words = page.words
    assert words.index(headline) < words.index("Diagnosis") < words.index("Proof bundle") < words.index("Reproduce")
    for v in verdicts:
        assert v.reason() in words
    if n_in < len(verdicts):
        assert "nothing to diagnose" not in words
        assert "Cause:" in words or "No diagnosis:" in words
    assert "proof hash (sha256)" in words or "No proof bundle:" in words
    assert f"seed={result.config.seed}" in words.replace(" ", "")
    assert result.report().splitlines()[-1].endswith("report.html")


def test_the_reproduction_gives_back_the_config():
    config = small_config(seed=11)
    command = reproduce_command(config, "runs/small")
    assert command is not None and "--seed 11" in command
    args = build_parser().parse_args(command.split()[1:])
    assert run_config(args) == config and (args.out, args.name) == ("runs", "small")
    noisy = run_config(build_parser().parse_args(["run", "--noise", "0.05", "--seed", "2"]))
    assert run_config(build_parser().parse_args(reproduce_command(noisy).split()[1:])) == noisy
    odd = small_config(policies=(PolicySpec(ODD_NAME, 0.0, 0.05),))
    assert reproduce_command(odd) is None
    for c in (config, noisy, odd):
        namespace: dict = {}
        exec(reproduce_python(c).replace("result = run_experiment(config)", ""), namespace)
        assert namespace["config"] == c


def test_sections_say_what_could_not_be_made(run):
    result, _ = run
    verdicts = read_verdicts(result.acset, result.config.measure)
    assert "nothing to diagnose" in diagnosis_section(result.acset, verdicts, {}).to_html()
    err = InstanceError("the real stream is too short")
    failed = {verdicts[0].name: err}
    assert "No diagnosis: the real stream is too short" in parse(diagnosis_section(result.acset, verdicts, failed).to_html()).words
    assert "No proof bundle: the real stream is too short" in parse(proof_section(err).to_html()).words


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


# what a root, headless Chromium needs on a closed network
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)")
def test_a_browser_shows_the_verdict(run, tmp_path):
    result, out = run
    url = (out / "report.html").resolve().as_uri()
    shot = tmp_path / "report.png"

    def chromium(*args):
        return subprocess.run(
            [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, url],
            capture_output=True, text=True, timeout=120,
        )

    done = chromium("--window-size=1366,900", f"--screenshot={shot}")
    assert shot.exists(), done.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (900, 1366)
    assert pixels.std() > 0.05  # a blank or single-colour page has none
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.005  # and some dark text on the light page
    dom = chromium("--dump-dom").stdout
    words = parse(dom[dom.index("<html"):]).words
    verdicts = read_verdicts(result.acset, result.config.measure)
    assert verdict_headline(verdicts) in words
    assert all(v.name in words for v in verdicts)
