"""The config: defaults, the grid, and one clear message for each user mistake."""

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import copy_workflow
from hypothesis import given, settings
from hypothesis import strategies as st
from wganlib.plan import config as cfg
from wganlib.plan import objectives

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def test_default_config_expands_to_the_named_grid():
    config = cfg.load(ROOT / "config" / "config.yaml")
    names = sorted(name for _, name in cfg.experiments(config))
    architectures = ("conv", "conv-nobn", "mlp", "conv-bn-first")  # every claim the seeds and the paper make
    assert names == sorted(f"{m}-{a}-s0" for m in ("dcgan", "wgan", "wgan-gp") for a in architectures)


def test_seeds_from_the_command_line_are_a_chunk_of_the_grid():
    """`--config seeds=[3,4]` hands the seeds over as strings: they are the integers they spell, and
    a word is refused by the schema as before."""
    config = cfg.load(ROOT / "config" / "config.yaml")
    assert cfg.validate({**config, "seeds": ["3", "4"]})["seeds"] == [3, 4]
    with pytest.raises(cfg.ConfigError, match="seeds"):
        cfg.validate({**config, "seeds": ["three"]})


def test_schema_defaults_are_the_papers():
    config = cfg.validate({"models": ["dcgan", "wgan", "wgan-gp"], "architectures": ["conv"]})
    grid = cfg.experiments(config)
    wgan, gp, gan = (grid[("mnist-5k", f"{m}-conv-s0")] for m in ("wgan", "wgan-gp", "dcgan"))
    assert (wgan.optimizer, wgan.learning_rate, wgan.clip_value, wgan.n_critic) == ("rmsprop", 5e-5, 0.01, 5)
    assert wgan.critic_burst == {"iterations": 100, "first": 25, "every": 500}
    assert (gp.optimizer, gp.learning_rate, gp.beta_1, gp.beta_2, gp.gradient_penalty) == ("adam", 1e-4, 0.5, 0.9, 10.0)
    assert (gan.optimizer, gan.learning_rate, gan.beta_1, gan.n_critic) == ("adam", 2e-4, 0.5, 1)
    assert wgan.batch_size == 64
    # where the papers are silent, the official code's PyTorch optimizers and weights_init
    assert (wgan.rho, wgan.epsilon, gp.epsilon, gan.epsilon, gan.rho) == (0.99, 1e-8, 1e-8, 1e-8, None)
    # weights_init of the official WGAN code and DCGAN; Gulrajani et al.'s code initialises as Glorot
    assert (gan.init, wgan.init, gp.init) == ("official", "official", "glorot")
    assert gp.critic["normalization"] == "layer" and wgan.critic["normalization"] == "batch"


def test_overrides_apply_to_matching_experiments_only():
    config = cfg.validate(
        {
            "architectures": ["conv", "mlp"],
            "overrides": {"wgan-conv-s0": {"learning_rate": 1e-3}, "dcgan-*": {"generator_iterations": 7}},
        }
    )
    grid = cfg.experiments(config)
    assert grid[("mnist-5k", "wgan-conv-s0")].learning_rate == 1e-3
    assert grid[("mnist-5k", "wgan-mlp-s0")].learning_rate == 5e-5
    assert {grid[("mnist-5k", f"dcgan-{a}-s0")].generator_iterations for a in ("conv", "mlp")} == {7}


def test_user_architecture_joins_the_presets():
    config = cfg.validate(
        {
            "architectures": ["conv", "wide"],
            "architecture_definitions": {
                "wide": {"generator": {"type": "mlp", "width": 1024}, "critic": {"type": "mlp"}}
            },
        }
    )
    wide = cfg.experiments(config)[("mnist-5k", "wgan-wide-s0")]
    assert wide.generator["width"] == 1024 and wide.critic["type"] == "mlp"
    assert "conv" in config["architecture_definitions"]


def test_the_small_critic_preset_is_a_quarter_of_the_generator_and_in_no_default_grid():
    """conv-small-critic: Metz et al.'s and PacGAN's Table 3 small discriminator, where the GAN
    collapses on Stacked MNIST; it trains only when a config lists it."""
    config = cfg.validate({"architectures": ["conv-small-critic"]})
    e = cfg.experiments(config)[("mnist-5k", "dcgan-conv-small-critic-s0")]
    assert (e.generator["type"], e.critic["type"]) == ("conv", "conv")
    assert (
        e.critic["width"] * 4
        == e.generator["width"]
        == config["architecture_definitions"]["conv"]["generator"]["width"]
    )
    for defaults in (cfg.validate({}), cfg.load(ROOT / "config" / "config.yaml")):
        assert "conv-small-critic" not in defaults["architectures"]


def test_settings_json_ignores_key_order():
    a = cfg.experiments(cfg.validate({"training": {"batch_size": 32, "z_dim": 16}}))
    b = cfg.experiments(cfg.validate({"training": {"z_dim": 16, "batch_size": 32}}))
    assert [e.to_json() for e in a.values()] == [e.to_json() for e in b.values()]


BAD = {
    "unknown model": ("models: [dcgan, wgann]", "models[1]", "did you mean 'wgan'"),
    "unknown architecture": ("architectures: [convv]", "architectures[0]", "did you mean 'conv'"),
    "typo'd key": (
        "model_settings: {wgan: {learning_rat: 0.1}}",
        "model_settings.wgan",
        "did you mean 'learning_rate'",
    ),
    "typo'd top-level key": ("sedes: [0]", "(top level)", "did you mean 'seeds'"),
    "negative learning rate": (
        "model_settings: {wgan-gp: {learning_rate: -0.001}}",
        "model_settings.wgan-gp.learning_rate",
        "greater than 0",
    ),
    "seed not an integer": ("seeds: [0, one]", "seeds[1]", "expected an integer"),
    "fractional seed": ("seeds: [1.5]", "seeds[0]", "expected an integer"),
    "empty grid": ("models: []", "models", "empty"),
    "duplicate seed": ("seeds: [0, 0]", "seeds", "twice"),
    "zero budget": ("training: {generator_iterations: 0}", "training.generator_iterations", "at least 1"),
    "override matching nothing": (
        "overrides: {wgan-cnv-s0: {n_critic: 2}}",
        "overrides.wgan-cnv-s0",
        "matches no experiment",
    ),
    "setting of another model": (
        "overrides: {dcgan-*: {clip_value: 0.1}}",
        "overrides.dcgan-*.clip_value",
        "only to wgan",
    ),
    "architecture named like a model": (
        "architecture_definitions: {wgan: {generator: {type: conv}, critic: {type: conv}}}",
        "architecture_definitions.wgan",
        "must not start with a model name",
    ),
    "bad generator batch norm": (
        "architecture_definitions: {x: {generator: {type: conv, batch_norm: true}, critic: {type: conv}}}\narchitectures: [x]",
        "architecture_definitions.x.generator.batch_norm",
        "all, none, first",
    ),
    "wrong type of section": ("training: 5", "training", "expected an object"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_names_the_key_path(case, tmp_path):
    text, path, hint = BAD[case]
    (tmp_path / "c.yaml").write_text(text + "\n")
    with pytest.raises(cfg.ConfigError) as info:
        cfg.load(tmp_path / "c.yaml")
    message = str(info.value)
    assert f"  {path}: " in message and hint in message, message


def test_malformed_yaml_names_the_line(tmp_path):
    (tmp_path / "c.yaml").write_text("models: [dcgan, wgan\nseeds: [0]\n")
    with pytest.raises(cfg.ConfigError, match=r"not valid YAML at line 2"):
        cfg.load(tmp_path / "c.yaml")


@pytest.fixture()
def workflow_copy(tmp_path):
    """The workflow in a scratch folder, so Snakemake runs write nothing into the checkout."""
    return copy_workflow(tmp_path)


@pytest.mark.parametrize(
    "change, expected",
    [
        ("models: [dcgan, wgann]\n", "models[1]: 'wgann' is not allowed (did you mean 'wgan'?)"),
        ("model_settings: {wgan: {learning_rate: -1}}\n", "model_settings.wgan.learning_rate: -1 is out of range"),
        (
            "model_settings: {wgan: {learning_rate: .nan}}\n",
            "model_settings.wgan.learning_rate: nan is not a number a run can use",
        ),
        ("overrides: {wgan-conv-s0: {clip_value: .inf}}\n", "overrides.wgan-conv-s0.clip_value: inf is not a number"),
        ("models: [wgan]\nseeds: [1]\nmodels: [dcgan]\n", "key 'models' is given twice, at lines"),
        ("seeds: [\n", "not valid YAML at line"),
    ],
)
@pytest.mark.parametrize("where", ["config.yaml", "--configfile"])
def test_snakemake_stops_before_any_job_with_one_message(workflow_copy, change, expected, where):
    """The same mistakes, in config/config.yaml (replacing its lines) or in a --configfile."""
    config = workflow_copy / "config" / "config.yaml"
    command = [str(SNAKEMAKE), "-n", "--cores", "1"]
    if where == "config.yaml":
        keys = {line.split(":")[0] for line in change.splitlines()}
        kept = [line for line in config.read_text().splitlines(keepends=True) if line.split(":")[0] not in keys]
        config.write_text(change if "[\n" in change else "".join(kept) + change)
    else:
        (workflow_copy / "mine.yaml").write_text(change)
        command += ["--configfile", "mine.yaml"]
    run = subprocess.run(command, cwd=workflow_copy, capture_output=True, text=True)
    output = run.stdout + run.stderr
    assert run.returncode != 0
    if where == "--configfile" and "[\n" in change:  # Snakemake reads a --configfile before the workflow
        expected = "Config file is not valid JSON or YAML"
    else:
        assert ("mine.yaml" if where == "--configfile" else "config/config.yaml") in output
    assert expected in output, output
    assert "Traceback" not in output and 'File "' not in output
    assert not (workflow_copy / "results").exists()


def test_a_valid_config_plans_every_experiment(workflow_copy):
    run = subprocess.run(
        [str(SNAKEMAKE), "-n", "--cores", "1", "--quiet", "rules"], cwd=workflow_copy, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in run.stdout.splitlines()
        if line[:1].isalpha() and line.split()[-1].isdigit()
    }
    assert counts["train"] == 12 and counts["evaluate"] == 12 and counts["figures"] == 1


def test_config_readme_documents_every_key():
    schema = yaml.safe_load(cfg.SCHEMA_PATH.read_text())
    readme = (ROOT / "config" / "README.md").read_text()
    keys = set(schema["properties"])
    for section in ("training_settings", "model_settings", "network_blocks", "generator", "critic"):
        keys |= set(schema["$defs"][section]["properties"])
    for section in ("data", "resources", "evaluation", "figures", "claims"):
        keys |= set(schema["properties"][section]["properties"])
    missing = sorted(k for k in keys if f"`{k}`" not in readme)
    assert not missing, f"config/README.md does not document: {missing}"


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(0, 3000),
    n_critic=st.integers(1, 10),
    burst=st.one_of(st.none(), st.fixed_dictionaries({
        "iterations": st.integers(1, 200), "first": st.integers(0, 60), "every": st.integers(1, 700)})),
    model=st.sampled_from(["dcgan", "wgan", "wgan-gp"]),
)  # fmt: skip
def test_training_cost_counts_the_schedule(n, n_critic, burst, model):
    """The train rule's priority, in closed form, equals the critic schedule summed step by step."""
    exp = next(iter(cfg.experiments(cfg.validate({})).values()))
    exp = dataclasses.replace(exp, model=model, generator_iterations=n, n_critic=n_critic, critic_burst=burst)
    updates = sum(cfg.critic_iterations(i, n_critic, burst) for i in range(n))
    assert exp.training_cost() == updates * (2 if model == "wgan-gp" else 1) + n


def test_a_default_is_written_once_and_reaches_the_experiment(tmp_path, monkeypatch):
    """Every default is the schema's, but a model's settings, which are its row's in the model table."""
    schema = yaml.safe_load(cfg.SCHEMA_PATH.read_text())
    schema["$defs"]["network_blocks"]["allOf"][1]["then"]["properties"]["depth"]["default"] = 5
    schema["$defs"]["generator"]["allOf"][0]["then"]["properties"]["batch_norm"]["default"] = "first"
    schema["properties"]["training"]["properties"]["z_dim"]["default"] = 17
    changed = tmp_path / "schema.yaml"
    changed.write_text(yaml.safe_dump(schema))
    monkeypatch.setattr(cfg, "SCHEMA_PATH", changed)
    gp = objectives.MODELS["wgan-gp"]
    changed_gp = dataclasses.replace(gp, settings={**gp.settings, "init": "official", "beta_2": 0.8})
    monkeypatch.setitem(objectives.MODELS, "wgan-gp", changed_gp)
    config = cfg.validate(
        {
            "models": ["wgan-gp"],
            "architectures": ["x"],
            "architecture_definitions": {"x": {"generator": {"type": "conv"}, "critic": {"type": "mlp"}}},
        }
    )
    (exp,) = cfg.experiments(config).values()
    generator = {"type": "conv", "width": 64, "depth": 0, "constant_width": False, "batch_norm": "first"}
    conv = {"kernel_size": 4, "from_4x4": False}
    assert exp.generator == {**generator, **conv, "output": "tanh", "first_norm": "per_channel"}
    # an MLP critic without batch norm, as the official MLP_D
    assert exp.critic == {"type": "mlp", "width": 512, "depth": 5, "constant_width": False, "normalization": "none"}
    assert (exp.beta_2, exp.z_dim, exp.init) == (0.8, 17, "official")


def test_mlp_preset_is_the_official_mlp_g():
    grid = cfg.experiments(cfg.validate({"models": ["wgan"], "architectures": ["mlp"]}))
    generator = grid[("mnist-5k", "wgan-mlp-s0")].generator
    assert (generator["width"], generator["depth"], generator["output"]) == (512, 3, "linear")


def test_switching_a_models_optimizer_asks_for_its_settings():
    config = cfg.validate(
        {"models": ["wgan"], "architectures": ["conv"], "overrides": {"wgan-*": {"optimizer": "adam"}}}
    )
    with pytest.raises(cfg.ConfigError, match="wgan-conv-s0 trains with adam, which needs beta_1"):
        cfg.experiments(config)
    config["overrides"]["wgan-*"].update(beta_1=0.5, beta_2=0.9)
    exp = cfg.experiments(config)[("mnist-5k", "wgan-conv-s0")]
    assert (exp.beta_1, exp.rho) == (0.5, None)  # RMSProp's rho does not apply any more


def test_settings_that_do_not_apply_to_a_model_are_none():
    grid = cfg.experiments(cfg.validate({"models": ["wgan", "dcgan"], "architectures": ["conv"]}))
    wgan, dcgan = grid[("mnist-5k", "wgan-conv-s0")], grid[("mnist-5k", "dcgan-conv-s0")]
    assert (wgan.beta_1, wgan.beta_2, wgan.gradient_penalty) == (None, None, None)
    assert (dcgan.clip_value, dcgan.gradient_penalty, dcgan.critic_burst) == (None, None, None)


def test_a_key_given_twice_names_both_lines(tmp_path):
    (tmp_path / "c.yaml").write_text("models: [wgan]\ntraining:\n  z_dim: 8\n  batch_size: 4\n  z_dim: 16\n")
    with pytest.raises(cfg.ConfigError, match=r"key 'z_dim' is given twice, at lines 3 and 5"):
        cfg.load(tmp_path / "c.yaml")


def test_an_override_for_a_model_outside_the_grid_is_skipped_a_typo_is_not(caplog):
    narrowed = {
        "models": ["wgan"],
        "overrides": {"dcgan-*": {"generator_iterations": 5}, "wgan-conv-s3": {"n_critic": 2}},
    }
    with caplog.at_level("WARNING"):
        grid = cfg.experiments(cfg.validate(narrowed))
    assert {e.model for e in grid.values()} == {"wgan"}
    assert all(e.generator_iterations == 600 and e.n_critic == 5 for e in grid.values())
    assert sum("skipped" in r.message for r in caplog.records) == 2  # one line per skipped pattern
    for typo in ("dcgn-*", "wgan-cnv-s0"):
        with pytest.raises(
            cfg.ConfigError, match=re.escape(f"overrides.{typo}: matches no experiment") + ".*did you mean"
        ):
            cfg.validate({"models": ["wgan"], "overrides": {typo: {"n_critic": 2}}})


def test_an_override_set_to_null_removes_the_inherited_one():
    merged = {"overrides": {"dcgan-*": None, "wgan-*": {"n_critic": 3}}}  # a --configfile over config.yaml
    grid = cfg.experiments(cfg.validate(merged))
    assert grid[("mnist-5k", "dcgan-conv-s0")].generator_iterations == 600
    assert grid[("mnist-5k", "wgan-conv-s0")].n_critic == 3
    assert cfg.validate({"overrides": None})["overrides"] == {}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_no_numeric_key_takes_nan_or_infinity(value):
    for config, path in (
        ({"model_settings": {"wgan": {"learning_rate": value}}}, "model_settings.wgan.learning_rate"),
        ({"evaluation": {"mode_min_share": value}}, "evaluation.mode_min_share"),
        ({"figures": {"gif_frame_duration": value}}, "figures.gif_frame_duration"),
        ({"seeds": [0, value]}, "seeds[1]"),
    ):
        with pytest.raises(cfg.ConfigError, match=re.escape(path) + r": -?(nan|inf) is not a number a run can use"):
            cfg.validate(config)


def test_a_configfile_pattern_applies_after_the_ones_it_inherits(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "overrides:\n  dcgan-*: {generator_iterations: 1000}\n  wgan-*: {n_critic: 2}\n"
    )
    (tmp_path / "mine.yaml").write_text(
        "overrides:\n  dcgan-conv-s0: {generator_iterations: 7}\n  wgan-*: {n_critic: 3}\n"
    )
    # Snakemake's merge: the command line's file first, then config.yaml's patterns after it
    merged = {
        "dcgan-conv-s0": {"generator_iterations": 7},
        "wgan-*": {"n_critic": 3},
        "dcgan-*": {"generator_iterations": 1000},
    }
    ordered = cfg.overrides_in_file_order(merged, [tmp_path / "base.yaml", tmp_path / "mine.yaml"])
    assert list(ordered) == ["dcgan-*", "wgan-*", "dcgan-conv-s0"] and ordered["wgan-*"] == {"n_critic": 3}
    config = cfg.validate({"models": ["dcgan"], "architectures": ["conv", "mlp"], "overrides": ordered})
    grid = cfg.experiments(config)
    assert [grid[("mnist-5k", f"dcgan-{a}-s0")].generator_iterations for a in ("conv", "mlp")] == [7, 1000]


def test_snakemake_applies_a_configfile_pattern_last(workflow_copy):
    """Seen in the plan: the train rule's priority is the run's training cost."""
    (workflow_copy / "mine.yaml").write_text("overrides:\n  dcgan-conv-s0: {generator_iterations: 7}\n")
    run = subprocess.run(
        [
            str(SNAKEMAKE),
            "results/mnist-5k/dcgan-conv-s0/status.json",
            "-n",
            "--cores",
            "1",
            "--configfile",  # takes every word after it: the target goes first
            "mine.yaml",
        ],
        cwd=workflow_copy,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "priority: 14\n" in run.stdout, run.stdout  # 7 critic and 7 generator updates
