"""A budget the user sets is the budget that runs: a key a later file sets for every experiment
(or every experiment of a model) wins over an earlier file's pattern for it, and the plan says so."""

import subprocess

import pytest
from conftest import BIN, copy_workflow
from wganlib.plan import config as cfg


def write(folder, name, text):
    (folder / name).write_text(text)
    return folder / name


def test_a_later_general_setting_replaces_an_earlier_pattern(tmp_path, caplog):
    base = write(tmp_path, "base.yaml", "overrides:\n  wgan-gp-*: {generator_iterations: 600, n_critic: 2}\n")
    mine = write(tmp_path, "mine.yaml", "training: {generator_iterations: 60}\n")
    merged = {"wgan-gp-*": {"generator_iterations": 600, "n_critic": 2}}
    with caplog.at_level("WARNING"):
        kept = cfg.without_replaced_overrides(merged, [base, mine], cfg.MODELS)
    assert kept == {"wgan-gp-*": {"n_critic": 2}}  # the budget goes, the other key stays
    assert "overrides.wgan-gp-*.generator_iterations" in caplog.text and "mine.yaml" in caplog.text
    config = cfg.validate({"models": ["wgan-gp"], "training": {"generator_iterations": 60}, "overrides": kept})
    assert {e.generator_iterations for e in cfg.experiments(config).values()} == {60}


def test_a_later_model_setting_replaces_only_that_models_patterns(tmp_path):
    base = write(
        tmp_path,
        "base.yaml",
        "overrides:\n  wgan-*: {learning_rate: 2.0e-4}\n  wgan-gp-*: {learning_rate: 3.0e-4}\n"
        "  '*-mlp-*': {learning_rate: 1.0e-5}\n",
    )
    mine = write(tmp_path, "mine.yaml", "model_settings:\n  wgan: {learning_rate: 5.0e-5}\n")
    merged = {
        "wgan-*": {"learning_rate": 2.0e-4},
        "wgan-gp-*": {"learning_rate": 3.0e-4},
        "*-mlp-*": {"learning_rate": 1.0e-5},
    }
    kept = cfg.without_replaced_overrides(merged, [base, mine], cfg.MODELS)
    assert kept == {"wgan-gp-*": {"learning_rate": 3.0e-4}, "*-mlp-*": {"learning_rate": 1.0e-5}}


def test_a_files_own_patterns_and_removals_stay(tmp_path):
    base = write(tmp_path, "base.yaml", "overrides:\n  dcgan-*: {generator_iterations: 9}\n  x-*: {n_critic: 2}\n")
    mine = write(
        tmp_path,
        "mine.yaml",
        "training: {generator_iterations: 60}\noverrides:\n  dcgan-*: {generator_iterations: 30}\n  x-*: null\n",
    )
    merged = {"dcgan-*": {"generator_iterations": 30}, "x-*": None}
    assert cfg.without_replaced_overrides(merged, [base, mine], cfg.MODELS) == merged


@pytest.fixture()
def workflow_copy(tmp_path):
    return copy_workflow(tmp_path)


def test_the_plan_trains_the_budget_a_configfile_sets(workflow_copy):
    """The default config gives WGAN-GP 600 iterations by a pattern; a file of the user's that asks
    60 for everything gets 60 (the train rule's priority is the run's cost: 60 x 5 x 2 + 60)."""
    write(
        workflow_copy, "mine.yaml", "models: [wgan-gp]\narchitectures: [conv]\ntraining: {generator_iterations: 60}\n"
    )
    run = subprocess.run(
        [str(BIN / "snakemake"), "-n", "--cores", "1", "--configfile", "mine.yaml"],
        cwd=workflow_copy,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "priority: 660\n" in run.stdout, run.stdout
    assert "overrides.wgan-gp-*.generator_iterations (config/config.yaml) does not apply" in run.stderr + run.stdout
