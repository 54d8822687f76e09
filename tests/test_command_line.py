"""Values given with `--config` are typed as the YAML they spell, at any depth (Snakemake leaves
nested ones strings), and a wrong one is blamed on the command line; docs/running.md's quick run
passes the schema and plans."""

import re
import shlex
from pathlib import Path

import pytest
from conftest import copy_workflow, snakemake
from snakemake.cli import parse_config
from snakemake.utils import update_config
from wganlib.plan import config as cfg
from wganlib.plan.command_line import Sources, given_on_command_line, merge

ROOT = Path(__file__).resolve().parents[1]


def quick_run() -> list[str]:
    """The quick run docs/running.md shows (the command after its "A quick run" heading)."""
    section = (ROOT / "docs" / "running.md").read_text().split("## A quick run", 1)[1]
    command = re.search(r"^snakemake .*$", section.replace("\\\n", " "), re.MULTILINE).group(0)
    return shlex.split(command, comments=True)


def config_entries(command: list[str]) -> list[str]:
    """The `key=value` entries that follow --config."""
    entries = command[command.index("--config") + 1 :]
    return entries[: next((i for i, e in enumerate(entries) if e.startswith("-")), len(entries))]


def test_nested_values_are_typed_as_yaml_types_them():
    entries = ["training={generator_iterations: 200, precision: float32}", "seeds=[3, 4]", "results=results-quick"]
    entries += ["model_settings={wgan: {learning_rate: 1.0e-4, critic_burst: null}}", "overrides="]
    assert given_on_command_line(entries) == {
        "training": {"generator_iterations": 200, "precision": "float32"},
        "seeds": [3, 4],
        "results": "results-quick",
        "model_settings": {"wgan": {"learning_rate": 1e-4, "critic_burst": None}},
        "overrides": None,
    }
    # as Snakemake merges them over the files: its strings replaced by the typed values, the rest kept
    config = cfg.read_yaml(ROOT / "config" / "config.yaml")
    update_config(config, parse_config(entries[:1]))
    assert config["training"]["generator_iterations"] == "200"
    merge(config, given_on_command_line(entries[:1]))
    assert config["training"] == {
        **cfg.read_yaml(ROOT / "config" / "config.yaml")["training"],
        "generator_iterations": 200,
        "precision": "float32",
    }


def test_the_quick_run_passes_the_schema_with_the_budget_it_gives():
    """Every run of the quick run trains its budget: the default file's per-model budgets give way."""
    command = quick_run()
    entries = config_entries(command)
    config = cfg.read_yaml(ROOT / "config" / "config.yaml")
    update_config(config, parse_config(entries))  # what Snakemake hands the workflow: strings
    given = given_on_command_line(entries)
    merge(config, given)
    files = [ROOT / "config" / "config.yaml"]
    config["overrides"] = cfg.without_replaced_overrides(config["overrides"], files, cfg.MODELS, given)
    grid = cfg.experiments(cfg.validate(config, Sources("config/config.yaml", entries)))
    assert {e.generator_iterations for e in grid.values()} == {given["training"]["generator_iterations"]}
    assert config["results"] != "results"  # the default run's results stay as they are


@pytest.mark.parametrize(
    "entries, path, blamed",
    [
        (["training={batch_size: 6x4}"], "training.batch_size", "--config 'training={batch_size: 6x4}'"),
        (["seeds=[0, one]"], "seeds[1]", "--config 'seeds=[0, one]'"),
        (["seeds=[0]"], "models[1]", "config/config.yaml"),  # the file's mistake stays the file's
    ],
)
def test_a_wrong_value_names_where_it_was_given(entries, path, blamed):
    config = (
        {**cfg.read_yaml(ROOT / "config" / "config.yaml"), "models": ["dcgan", "wgann"]}
        if blamed.startswith("config")
        else cfg.read_yaml(ROOT / "config" / "config.yaml")
    )
    merge(config, given_on_command_line(entries))
    with pytest.raises(cfg.ConfigError) as error:
        cfg.validate(config, Sources("config/config.yaml", entries))
    header, line = str(error.value).splitlines()[:2]
    assert blamed in header and ("command line" in header) == blamed.startswith("--config")
    assert line.startswith(f"  {path}: ")


def test_a_number_yaml_reads_as_text_says_how_to_write_it():
    with pytest.raises(cfg.ConfigError, match=r"got '1e-4' \(YAML read it as text: write 1.0e-04, without quotes\)"):
        cfg.validate({"model_settings": {"wgan": {"learning_rate": "1e-4"}}})


def test_an_entry_that_is_not_yaml_is_named():
    with pytest.raises(cfg.ConfigError, match=r"--config 'training=\{generator_iterations: 200': not valid YAML"):
        given_on_command_line(["training={generator_iterations: 200"])


@pytest.mark.slow
def test_the_quick_run_plans_and_a_wrong_value_stops_naming_the_command_line(tmp_path):
    root = copy_workflow(tmp_path)
    command = quick_run()
    run = snakemake(*command[1:], "-n", "--quiet", "rules", cwd=root)
    assert re.search(r"^train\s+3$", run.stdout, re.MULTILINE), run.stdout
    wrong = snakemake("-n", "--config", "training={generator_iterations: 2OO}", cwd=root, check=False)
    output = wrong.stdout + wrong.stderr
    assert wrong.returncode != 0
    assert "Invalid config (the command line: --config 'training={generator_iterations: 2OO}'):" in output, output
    assert "training.generator_iterations: expected an integer, got '2OO'" in output
    assert "Traceback" not in output
