"""The config files beside config/config.yaml (config/README.md): each is valid alone and over the
default, runs the grid it says, and leaks nothing of the default run into its own."""

import re
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config
from wganlib.plan import config as cfg

ROOT = Path(__file__).resolve().parents[1]


# config file -> (datasets, runs, (image size, channels), maximum budget)
SCALE_CONFIGS = {
    "paper.yaml": ({"lsun-bedroom"}, 3 * 3 * 3, (64, 3), 228000),
    "cifar10.yaml": ({"cifar10"}, 3 * 1 * 3, (32, 3), 200000),
    "mnist.yaml": ({"mnist"}, 3 * 4 * 3, (28, 1), 20000),
}


@pytest.mark.parametrize("name", SCALE_CONFIGS)
def test_the_scale_configs_are_valid_and_nothing_of_the_default_leaks_in(name):
    paper = cfg.read_yaml(ROOT / "config" / name)
    merged = cfg.read_yaml(ROOT / "config" / "config.yaml")  # what --configfile does: a merge
    update_config(merged, paper)
    alone, over_default = (cfg.experiments(cfg.validate(c)) for c in (paper, merged))
    assert alone == over_default
    assert cfg.validate(paper)["claims"] == cfg.validate(merged)["claims"]
    datasets, runs, shape, budget = SCALE_CONFIGS[name]
    assert {e.dataset for e in alone.values()} == datasets
    assert len(alone) == runs
    assert {(e.image_size, e.channels) for e in alone.values()} == {shape}
    assert {e.generator_iterations for e in alone.values()} == {budget}
    assert {e.learning_rate for e in alone.values() if e.model == "wgan"} == {5e-5}  # the paper's, not the laptop's
    widths = {e.generator["width"] for e in alone.values() if e.generator["type"] == "conv"}
    assert widths == ({128} if name == "cifar10.yaml" else {64})  # gan_cifar.py's DIM; the official ngf and ndf
    if name in ("paper.yaml", "cifar10.yaml"):  # float32 as the official code, unless a user asks for bfloat16
        assert {e.precision for e in alone.values()} == {"float32"}


def test_the_cifar10_config_trains_the_wgan_gp_papers_networks_and_schedule():
    """gan_cifar.py for every model: its networks (the gulrajani-cifar preset, z 128), no critic
    bursts, the clipped WGAN clipped after each update with TensorFlow 1's RMSProp, tflib's biases."""
    merged = cfg.read_yaml(ROOT / "config" / "config.yaml")
    update_config(merged, cfg.read_yaml(ROOT / "config" / "cifar10.yaml"))
    config = cfg.validate(merged)
    assert (
        config["architecture_definitions"]["gulrajani-cifar"]
        == cfg.validate({})["architecture_definitions"]["gulrajani-cifar"]
    )
    grid = cfg.experiments(config).values()
    assert {e.architecture for e in grid} == {"gulrajani-cifar"} and {e.z_dim for e in grid} == {128}
    assert all(e.critic_burst is None and e.conv_bias and e.init == "glorot" for e in grid)
    assert {e.critic["normalization"] for e in grid if e.model == "wgan-gp"} == {"none"}
    wgan = [e for e in grid if e.model == "wgan"]
    assert {(e.rho, e.epsilon, e.clip_at, e.n_critic, e.epoch_ends_critic_run) for e in wgan} == {
        (0.9, 1e-5, "after_update", 5, False)
    }


def test_the_stacked_mnist_config_builds_offline_and_counts_over_26000_samples():
    merged = cfg.read_yaml(ROOT / "config" / "config.yaml")
    update_config(merged, cfg.read_yaml(ROOT / "config" / "stacked-mnist.yaml"))
    config = cfg.validate(merged)
    grid = cfg.experiments(config)
    assert {(e.dataset, e.image_size, e.channels) for e in grid.values()} == {("stacked-mnist", 28, 3)}
    assert len(grid) == 3 * 3 * 3 and {e.seed for e in grid.values()} == {0, 1, 2}
    assert config["data"]["settings"]["stacked-mnist"]["digits"] == "mnist-5k"  # offline
    assert config["evaluation"]["final_samples"] == 26000  # the protocol's count
    small = next(e for e in grid.values() if e.architecture == "conv-small-critic")
    assert small.critic["width"] * 4 == small.generator["width"]  # PacGAN's quarter-size discriminator
    assert all(e.stop_at_convergence for e in grid.values())


def test_one_confidence_level_everywhere():
    """Every verdict aims at the schema's level: no config file lowers it for its own seeds (three
    seeds state their 75 % interval in each verdict instead)."""
    default = cfg.validate({})["claims"]["confidence"]
    assert default == 0.9
    for path in sorted((ROOT / "config").glob("*.yaml")):
        assert "confidence" not in (cfg.read_yaml(path).get("claims") or {}), path.name


def _cell_value(cell: str):
    """A table cell's value as YAML reads it ("`[conv, mlp]`", "1e-4", "null (all)", "–": None)."""
    text = cell.split(" (")[0].strip().strip("`")
    if text in ("–", "see below") or " " in text and not text.startswith(("[", "{")):
        return None if text == "–" else ...
    value = yaml.safe_load(text)
    try:
        return float(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float | int) and isinstance(b, float | int) and abs(a - b) <= 1e-12 * abs(b))


# config/README.md's sections with a `default` column: the config's section each key is in
SECTIONS = {"The grid": (), "`results`": (), "`training`": ("training",), "`robustness`": ("robustness",),
            "`data`": ("data",), "`resources`": ("resources",), "`evaluation`": ("evaluation",),
            "`figures`": ("figures",), "`claims`": ("claims",)}  # fmt: skip


def test_the_readme_default_column_is_what_make_run_uses():
    """Each `default` cell starts with config/config.yaml's value (over the schema), and names the
    schema's where it differs; the model_settings table, per model."""
    readme = (ROOT / "config" / "README.md").read_text()
    run, schema = cfg.load(ROOT / "config" / "config.yaml"), cfg.validate({})
    checked = 0
    for section in readme.split("\n## ")[1:]:
        title = section.split(":")[0].split("\n")[0]
        rows = [r.split(" | ") for r in section.splitlines() if r.startswith("| `") and r.count(" | ") >= 2]
        if title in SECTIONS:
            place = SECTIONS[title]
            wanted = [((*place, r[0].strip("| `")), r[1]) for r in rows if "." not in r[0] and len(r) == 3]
        elif title == "`model_settings`":
            wanted = [
                (("model_settings", m, r[0].strip("| `")), r[i + 1]) for r in rows for i, m in enumerate(cfg.MODELS)
            ]
        else:
            continue
        for path, cell in wanted:
            shown = _cell_value(cell)
            if shown is ...:
                continue
            ours, theirs = run, schema
            for key in path:
                ours, theirs = ours.get(key) if ours else None, theirs.get(key) if theirs else None
            if isinstance(ours, dict) and shown == {}:
                continue  # a section whose keys have defaults of their own
            assert _same(shown, ours), (path, cell, ours)
            if not _same(ours, theirs):
                named = re.search(r"schema: (`[^`]*`|[^,;)]*)", cell)
                assert named and _same(_cell_value(named[1]), theirs), (path, cell)
            checked += 1
    assert checked > 40
