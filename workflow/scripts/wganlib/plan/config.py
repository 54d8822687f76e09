"""The configuration: validation against the schema, and the grid expanded into experiments.

Used by workflow/rules/common.smk and by every script run by hand, so both read the same
config the same way. No TensorFlow here: the Snakefile imports this module.
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from wganlib.datasets import DatasetError, get_spec, image_shape
from wganlib.judge import judges

from . import architectures, objectives
from .configfile import (  # noqa: F401 (ConfigError, read_yaml and the rest are this module's API too)
    ConfigError,
    drop_removed_overrides,
    exit_on_bad_yaml,
    overrides_in_file_order,
    raise_schema_errors,
    read_yaml,
    refuse_non_finite,
    source_of,
    suggest,
    validator_with_defaults,
    without_replaced_overrides,
)
from .layout import results_folder_problem
from .shapes import conv_plan

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "config.schema.yaml"

MODELS = tuple(objectives.MODELS)  # the model table's names
TRAINING_KEYS = (
    "generator_iterations",
    "batch_size",
    "z_dim",
    "snapshot_every",
    "checkpoint_every",
    "keep_checkpoints",
    "log_every",
    "precision",
    "stop_at_convergence",
    "min_iterations",
)
MODEL_KEYS = (
    "optimizer",
    "learning_rate",
    "beta_1",
    "beta_2",
    "rho",
    "epsilon",
    "init",
    "norm_epsilon",
    "conv_bias",
    "n_critic",
    "clip_value",
    "clip_at",
    "gradient_penalty",
    "critic_burst",
    "epoch_ends_critic_run",
)
# Settings that mean something for one model only; setting them for another is a mistake.
MODEL_ONLY = objectives.model_only()
# Settings each optimizer reads; the other optimizer's are None in an Experiment.
OPTIMIZER_KEYS = {"adam": ("beta_1", "beta_2"), "rmsprop": ("rho",)}


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Experiment:
    """One cell of the grid: what a training job needs, fully resolved.

    No field has a default: every default is the schema's (workflow/schemas/config.schema.yaml),
    and a setting that does not apply to the model (Adam's betas for RMSProp) is None.
    """

    name: str
    dataset: str
    image_size: int  # the dataset's (square) images, and their channels: what the networks are sized by
    channels: int
    model: str
    architecture: str
    seed: int
    generator: dict
    critic: dict
    optimizer: str
    learning_rate: float
    n_critic: int
    generator_iterations: int
    batch_size: int
    z_dim: int
    snapshot_every: int
    checkpoint_every: int
    keep_checkpoints: int
    log_every: int
    precision: str
    stop_at_convergence: bool
    min_iterations: int | None  # with stop_at_convergence: no stop before it; else None
    beta_1: float | None
    beta_2: float | None
    rho: float | None
    epsilon: float
    init: str
    norm_epsilon: float
    conv_bias: bool
    clip_value: float | None
    clip_at: str | None
    gradient_penalty: float | None
    critic_burst: dict | None
    epoch_ends_critic_run: bool

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        """Normalised form (sorted keys) for Snakemake params: key order changes nothing."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Experiment:
        return cls(**json.loads(text))

    def training_cost(self) -> int:
        """A rough count of the run's work, in critic updates (weighted by the model's update_cost: a
        WGAN-GP update counts twice, the penalty's double backward) plus generator updates."""
        updates = objectives.critic_updates_before(self.generator_iterations, self.n_critic, self.critic_burst)
        return updates * objectives.MODELS[self.model].update_cost + self.generator_iterations


def critic_iterations(iteration: int, n_critic: int, burst: dict | None) -> int:
    """Critic updates before generator iteration `iteration` (0-based): WGAN's schedule trains the
    critic `burst.iterations` times for the first `burst.first` and every `burst.every`-th one."""
    if burst and (iteration < burst["first"] or iteration % burst["every"] == 0):
        return burst["iterations"]
    return n_critic


# --------------------------------------------------------------------------------------------
# Loading and validation


def validate(config: dict, source: str = "config") -> dict:
    """Validate ``config`` against the schema and return a copy with every default filled in."""
    config = copy.deepcopy(config)
    refuse_non_finite(config, source)
    config["overrides"] = drop_removed_overrides(config.get("overrides"))
    seeds = config.get("seeds")
    if isinstance(seeds, list):  # `--config seeds=[3,4]` gives strings: a chunk of a study's seeds
        config["seeds"] = [int(s) if isinstance(s, str) and s.strip().isdigit() else s for s in seeds]
    schema = objectives.fill_schema(yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8")))
    user_architectures = config.get("architecture_definitions")
    if isinstance(user_architectures, dict):  # the user's entries join the presets
        presets = schema["properties"]["architecture_definitions"]["default"]
        config["architecture_definitions"] = {**presets, **user_architectures}
    validator = validator_with_defaults()(schema)
    raise_schema_errors(list(validator.iter_errors(config)), source)
    if _add_random_architectures(config, user_architectures, source):
        raise_schema_errors(list(validator.iter_errors(config)), source)  # fills the drawn blocks' defaults
    _check_semantics(config, source)
    return config


def _add_random_architectures(config: dict, user_architectures: Any, source: str) -> bool:
    """The random architectures join the definitions and the grid (after the listed ones); True if any."""
    try:  # the redraw rule reads the grid's images (refused data settings: _check_datasets says so)
        shapes = [(s, s, c) for s, c in (image_shape(d, config["data"]["settings"].get(d)) for d in config["datasets"])]
    except DatasetError:
        shapes = []
    try:
        drawn = architectures.draw_all(config["robustness"], shapes, config["training"]["z_dim"])
    except ValueError as err:
        _fail(source, "robustness.max_cost", str(err))
    for name, definition in drawn.items():
        mine = (user_architectures or {}).get(name) if isinstance(user_architectures, dict) else None
        if mine is not None and not architectures.same_blocks(mine, definition):
            _fail(
                source,
                f"architecture_definitions.{name}",
                f"'{name}' is the name of a random architecture (robustness.architectures); rename yours",
            )
    config["architecture_definitions"].update(copy.deepcopy(drawn))
    config["architectures"] = [*config["architectures"], *(n for n in drawn if n not in config["architectures"])]
    return bool(drawn)


def load(path: str | Path) -> dict:
    """Read, validate and fill a config file (what a script run by hand uses)."""
    return validate(read_yaml(path), str(path))


# --------------------------------------------------------------------------------------------
# Checks the schema cannot express


def _fail(source: str, path: str, message: str) -> None:
    raise ConfigError(f"Invalid config ({source_of(source, path)}):\n  {path}: {message}")


def _check_datasets(config: dict, source: str) -> None:
    """Each dataset's settings are ones it reads, and every conv network can be built for its images."""
    for name, given in config["data"]["settings"].items():
        try:
            image_shape(name, given)
            get_spec(name).sources(given)
        except DatasetError as err:
            _fail(source, f"data.settings.{name}", str(err))
    for dataset in config["datasets"]:
        size, _ = image_shape(dataset, config["data"]["settings"].get(dataset))
        for arch in config["architectures"]:
            for net, blocks in config["architecture_definitions"][arch].items():
                try:
                    _ = conv_plan(size, blocks["from_4x4"]) if blocks["type"] == "conv" else None
                except ValueError as err:
                    _fail(source, f"architecture_definitions.{arch}.{net}", f"{err} ({dataset}); or use type mlp")


def _check_semantics(config: dict, source: str) -> None:
    if problem := results_folder_problem(config["results"]):
        _fail(source, "results", problem)
    defined = config["architecture_definitions"]
    if not config["architectures"]:
        _fail(
            source,
            "architectures",
            "the list is empty; give at least one entry, or random ones (robustness.architectures)",
        )
    for i, name in enumerate(config["architectures"]):
        if name not in defined:
            known = ", ".join(sorted(defined)) or "none"
            _fail(
                source,
                f"architectures[{i}]",
                f"'{name}' is not defined under architecture_definitions{suggest(name, list(defined))}; "
                f"defined: {known}",
            )
    for name in defined:
        if name in MODELS or any(name.startswith(m + "-") for m in MODELS):
            _fail(
                source,
                f"architecture_definitions.{name}",
                "an architecture name must not start with a model name "
                f"({', '.join(MODELS)}), or experiment names become ambiguous",
            )
    _check_datasets(config, source)
    if too_few := judges.too_few_for_inception(config):
        _fail(source, *too_few)
    names = [e.name for e in _grid(config)]
    for pattern, settings in config["overrides"].items():
        matched = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not matched and _could_match(pattern, config):
            log.warning(
                "overrides.%s: no experiment of this grid matches it (models: %s; architectures: %s): skipped",
                pattern,
                ", ".join(config["models"]),
                ", ".join(config["architectures"]),
            )
        elif not matched:
            shapes = [f"{m}-*" for m in MODELS] + [f"*-{a}-*" for a in config["architecture_definitions"]]
            _fail(
                source,
                f"overrides.{pattern}",
                f"matches no experiment of the grid{suggest(pattern, names + shapes)}, nor of any grid of the defined "
                f"models and architectures; experiments: {', '.join(names[:12])}{' ...' if len(names) > 12 else ''}",
            )
        for key, model in MODEL_ONLY.items():
            if key in settings and any(_model_of(n) != model for n in matched):
                _fail(source, f"overrides.{pattern}.{key}", f"{key} applies only to {model} experiments")


def _could_match(pattern: str, config: dict) -> bool:
    """Whether ``pattern`` names an experiment of a wider grid: every model, every defined
    architecture, the grid's seeds and the seed the pattern names (a narrowed grid, not a typo)."""
    seeds = set(config["seeds"]) | {int(s) for s in re.findall(r"-s(\d+)$", pattern)}
    wider = {
        "datasets": config["datasets"],
        "models": MODELS,
        "architectures": list(config["architecture_definitions"]),
        "seeds": sorted(seeds),
    }
    return any(fnmatch.fnmatchcase(cell.name, pattern) for cell in _grid(wider))


def _model_of(name: str) -> str:
    return max((m for m in MODELS if name.startswith(m + "-")), key=len)


# --------------------------------------------------------------------------------------------
# The grid


@dataclass(frozen=True)
class _Cell:
    name: str
    dataset: str
    model: str
    architecture: str
    seed: int


def _grid(config: dict) -> list[_Cell]:
    return [
        _Cell(f"{model}-{arch}-s{seed}", dataset, model, arch, seed)
        for dataset, model, arch, seed in itertools.product(
            config["datasets"], config["models"], config["architectures"], config["seeds"]
        )
    ]


def _critic(spec: dict, model: str) -> dict:
    """The critic's blocks (defaults filled by the schema), with its normalisation resolved: what
    batch norm, or none, becomes for the model (its critic_norm: WGAN-GP's layer norm, SN-GAN's
    spectral normalisation)."""
    net = dict(spec)
    # WGAN-GP penalises each sample's gradient, which batch norm would mix across the batch: its
    # critic takes penalty_norm there (layer norm, Gulrajani et al. Sec. 4; gan_cifar.py's none).
    batch_norm, instead = net.pop("batch_norm"), net.pop("penalty_norm")
    with_batch_norm, without = objectives.MODELS[model].critic_norm
    if "gradient_penalty" in objectives.MODELS[model].only:
        with_batch_norm = instead
    net["normalization"] = with_batch_norm if batch_norm else without
    return net


def _resolve_optimizer(settings: dict, cell: _Cell) -> None:
    """Keep the settings the experiment's optimizer reads, and require them."""
    optimizer = settings["optimizer"]
    for other, keys in OPTIMIZER_KEYS.items():
        for key in keys:
            if other != optimizer:
                settings[key] = None
            elif settings.get(key) is None:
                raise ConfigError(
                    f"Invalid config: {cell.name} trains with {optimizer}, which needs {key}; "
                    f"set it under model_settings.{cell.model} or in an override for {cell.name}."
                )


def experiments(config: dict) -> dict[tuple[str, str], Experiment]:
    """Expand a validated config into its experiments, keyed by (dataset, experiment name)."""
    result: dict[tuple[str, str], Experiment] = {}
    for cell in _grid(config):
        settings: dict[str, Any] = {**config["training"], **config["model_settings"][cell.model]}
        arch = config["architecture_definitions"][cell.architecture]
        generator = dict(arch["generator"])
        settings["z_dim"] = generator.pop("z_dim") or settings["z_dim"]  # a network's own noise; overrides win
        for pattern, override in config["overrides"].items():
            if fnmatch.fnmatchcase(cell.name, pattern):
                settings.update(override)
        _resolve_optimizer(settings, cell)
        if not settings["stop_at_convergence"]:  # a fixed budget reads no minimum
            settings["min_iterations"] = None
        size, channels = image_shape(cell.dataset, config["data"]["settings"].get(cell.dataset))
        experiment = Experiment(
            name=cell.name,
            dataset=cell.dataset,
            image_size=size,
            channels=channels,
            model=cell.model,
            architecture=cell.architecture,
            seed=cell.seed,
            generator=generator,
            critic=_critic(arch["critic"], cell.model),
            **{k: settings.get(k) for k in TRAINING_KEYS + MODEL_KEYS},
        )
        key = (cell.dataset, cell.name)
        if key in result:
            raise ConfigError(
                f"Invalid config: two experiments are both named '{cell.name}' on {cell.dataset}; "
                "rename an architecture so that model-architecture names differ."
            )
        result[key] = experiment
    return result


def find_experiment(config: dict, name: str, dataset: str | None = None) -> Experiment:
    """The experiment called ``name`` (and on ``dataset`` when several datasets have it)."""
    grid = experiments(config)
    found = [e for (d, n), e in grid.items() if n == name and (dataset is None or d == dataset)]
    if not found:
        names = sorted({n for _, n in grid})
        raise ConfigError(f"No experiment '{name}' in the grid{suggest(name, names)}; experiments: {', '.join(names)}")
    if len(found) > 1:
        raise ConfigError(
            f"Experiment '{name}' exists on several datasets ({', '.join(e.dataset for e in found)}); "
            "say which with --dataset."
        )
    return found[0]
