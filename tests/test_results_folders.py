"""Each config file writes under a results folder of its own (its `results` key), so that the
default run, the study and Stacked MNIST live side by side; a run ends saying where its summary,
figures and report are, and `snakemake --report` without a finished run says what to type."""

import re
from pathlib import Path

import pytest
from conftest import copy_workflow, snakemake
from wganlib.plan import config as cfg
from wganlib.plan import layout

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "config").glob("*.yaml"))


def test_each_config_file_names_a_folder_of_its_own():
    folders = {path.name: cfg.read_yaml(path)["results"] for path in FILES}
    assert folders["config.yaml"] == "results" == cfg.validate({})["results"]  # the default run keeps results/
    assert len(set(folders.values())) == len(folders), folders
    assert all(layout.results_folder_problem(f) is None for f in folders.values())
    gitignore = (ROOT / ".gitignore").read_text().splitlines()
    assert all(f == "results" or (f.startswith("results-") and "results-*/" in gitignore) for f in folders.values())


@pytest.mark.parametrize("folder", ["resources", "resources/mine", "workflow/x", "../elsewhere", "config"])
def test_a_results_folder_inside_the_project_s_own_is_refused(folder):
    with pytest.raises(cfg.ConfigError, match=rf"  results: '{re.escape(folder)}' "):
        cfg.validate({"results": folder})


def test_the_end_of_a_run_says_where_everything_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ("results-study/mnist-5k/summary.md", "results-study/mnist-5k/figures/summary.png"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(b"x" * 1000)
    (tmp_path / "results-study/mnist-5k/wgan-conv-s0/train_state").mkdir(parents=True)
    (tmp_path / "results-study/mnist-5k/wgan-conv-s0/train_state/ckpt.npz").write_bytes(b"x" * 3_000_000)
    (tmp_path / "config").mkdir()
    message = layout.finished("results-study", ["mnist-5k"], [tmp_path / "config" / "study.yaml"], ["seeds=[0]"])
    assert "  summary  results-study/mnist-5k/summary.md" in message
    assert "  figures  results-study/mnist-5k/figures/" in message
    assert "snakemake --report results-study/report.html --configfile config/study.yaml --config 'seeds=[0]'" in message
    assert (
        "3 MB in results-study/, 3 MB of it checkpoints" in message and "rm -r results-study/*/*/train_state" in message
    )


@pytest.mark.slow
def test_the_study_plans_into_its_own_folder_and_a_report_without_a_run_says_what_to_type(tmp_path):
    root = copy_workflow(tmp_path)
    run = snakemake("-n", "--configfile", "config/study.yaml", "--config", "seeds=[0]", cwd=root)
    paths = re.findall(r"^    (?:output|log|benchmark): (.+)$", run.stdout, re.MULTILINE)
    written = {p.strip() for line in paths for p in line.split(",")}
    assert written and all(p.startswith(("results-study/", "resources/")) for p in written), sorted(written)[:5]
    report = snakemake("--report", "report.html", cwd=root, check=False)
    output = report.stdout + report.stderr
    assert report.returncode != 0 and "Traceback" not in output
    assert "results/ holds no finished run of config/config.yaml" in output
    assert "snakemake --report results-study/report.html --configfile config/study.yaml" in output
