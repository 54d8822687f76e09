"""The configuration: validation against the schema, and the grid expanded into experiments.

Used by workflow/rules/common.smk and by every script run by hand, so both read the same
config the same way. No TensorFlow here: the Snakefile imports this module.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import itertools
import json
import logging
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import robustness

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"

MODELS = ("dcgan", "wgan", "wgan-gp")
TRAINING_KEYS = (
    "generator_iterations",
    "batch_size",
    "z_dim",
    "snapshot_every",
    "checkpoint_every",
    "keep_checkpoints",
    "log_every",
    "precision",
)
MODEL_KEYS = (
    "optimizer",
    "learning_rate",
    "beta_1",
    "beta_2",
    "rho",
    "epsilon",
    "init",
    "n_critic",
    "clip_value",
    "gradient_penalty",
    "critic_burst",
)
# Settings that mean something for one model only; setting them for another is a mistake.
MODEL_ONLY = {"clip_value": "wgan", "gradient_penalty": "wgan-gp"}
# Settings each optimizer reads; the other optimizer's are None in an Experiment.
OPTIMIZER_KEYS = {"adam": ("beta_1", "beta_2"), "rmsprop": ("rho",)}


log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A user mistake in the config: the message names the key path and what is expected."""


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice in one mapping is an error (PyYAML keeps
    the last one silently)."""

    def construct_mapping(self, node, deep=False):
        first_line: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' is given twice, at lines {first_line[key]} and {line}; keep one",
                    key_node.start_mark,
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Experiment:
    """One cell of the grid: what a training job needs, fully resolved.

    No field has a default: every default is the schema's (workflow/schemas/config.schema.yaml),
    and a setting that does not apply to the model (Adam's betas for RMSProp) is None.
    """

    name: str
    dataset: str
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
    beta_1: float | None
    beta_2: float | None
    rho: float | None
    epsilon: float
    init: str
    clip_value: float | None
    gradient_penalty: float | None
    critic_burst: dict | None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        """Normalised form (sorted keys) for Snakemake params: key order changes nothing."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Experiment:
        return cls(**json.loads(text))

    def training_cost(self) -> int:
        """A rough count of the run's work, in critic updates (a WGAN-GP update counts twice: the
        penalty's double backward) plus generator updates."""
        n, burst = self.generator_iterations, self.critic_burst
        bursts = 0
        if burst:  # iterations below `first`, and the multiples of `every` from `first` on
            bursts = min(n, burst["first"]) + max(0, -(-n // burst["every"]) - -(-burst["first"] // burst["every"]))
        updates = bursts * (burst["iterations"] if burst else 0) + (n - bursts) * self.n_critic
        return updates * (2 if self.model == "wgan-gp" else 1) + n


def critic_iterations(iteration: int, n_critic: int, burst: dict | None) -> int:
    """Critic updates before generator iteration `iteration` (0-based): WGAN's schedule trains the
    critic `burst.iterations` times for the first `burst.first` and every `burst.every`-th one."""
    if burst and (iteration < burst["first"] or iteration % burst["every"] == 0):
        return burst["iterations"]
    return n_critic


# --------------------------------------------------------------------------------------------
# Loading and validation


def read_yaml(path: str | Path) -> dict:
    """Parse a YAML config file; a syntax error becomes a ConfigError with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror}).") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top, got {type(data).__name__}.")
    return data


def exit_on_bad_yaml(*paths: str | Path) -> None:
    """Stop with one message naming the line when a file exists but is not valid YAML, or gives
    a key twice (Snakemake's own reader would keep the last silently)."""
    for path in paths:
        if Path(path).exists():
            try:
                read_yaml(path)
            except ConfigError as err:
                raise SystemExit(f"Error: {err}") from None


def overrides_in_file_order(overrides: Any, paths: list[str | Path]) -> Any:
    """The merged ``overrides`` in the order their patterns first appear in ``paths``
    (config/config.yaml, then each --configfile). Snakemake merges the command line's files first,
    which would apply a --configfile's patterns before the ones it inherits; in file order, a later
    file's pattern is applied after them (a redefined pattern keeps its first place)."""
    if not isinstance(overrides, dict):
        return overrides
    order: dict[str, None] = {}
    for path in paths:
        if Path(path).exists():
            patterns = read_yaml(path).get("overrides")
            order.update(dict.fromkeys(patterns if isinstance(patterns, dict) else ()))
    order.update(dict.fromkeys(overrides))  # patterns from no file (--config) come last
    return {pattern: overrides[pattern] for pattern in order if pattern in overrides}


def _validator_with_defaults():
    """A validator that fills in the schema's defaults while it validates (jsonschema FAQ)."""
    base = jsonschema.Draft202012Validator
    check_properties = base.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema and key not in instance:
                    instance[key] = copy.deepcopy(subschema["default"])
        yield from check_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(base, {"properties": properties_with_defaults})


def _key_path(error: jsonschema.ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _suggest(word: Any, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(error: jsonschema.ValidationError) -> str:
    """One line for one schema error, in words a user acts on."""
    schema, value = error.schema, error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        unknown = [k for k in value if k not in allowed]
        if allowed:
            return f"unknown key '{unknown[0]}'{_suggest(unknown[0], allowed)}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        choices = [str(c).lower() if isinstance(c, bool) else str(c) for c in error.validator_value]
        return f"{value!r} is not allowed{_suggest(value, choices)}; choose one of: {', '.join(choices)}"
    if error.validator == "propertyNames":
        return error.message
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {'an' if str(expected)[0] in 'aeiou' else 'a'} {expected}, got {value!r}"
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "greater than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }
        return f"{value!r} is out of range: it must be {words[error.validator]} {error.validator_value}"
    if error.validator == "minItems":
        return "the list is empty; give at least one entry"
    if error.validator == "uniqueItems":
        return f"{value!r} lists an entry twice"
    if error.validator == "required":
        return error.message
    return error.message


def _raise_schema_errors(errors: list[jsonschema.ValidationError], source: str) -> None:
    if not errors:
        return
    errors = sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    lines = [f"  {_key_path(e)}: {_describe(e)}" for e in errors[:5]]
    more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
    raise ConfigError(f"Invalid config ({source}):\n" + "\n".join(lines) + more)


def validate(config: dict, source: str = "config") -> dict:
    """Validate ``config`` against the schema and return a copy with every default filled in."""
    config = copy.deepcopy(config)
    _refuse_non_finite(config, source)
    config["overrides"] = _drop_removed_overrides(config.get("overrides"))
    schema = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    user_architectures = config.get("architecture_definitions")
    if isinstance(user_architectures, dict):  # the user's entries join the presets
        presets = schema["properties"]["architecture_definitions"]["default"]
        config["architecture_definitions"] = {**presets, **user_architectures}
    validator = _validator_with_defaults()(schema)
    _raise_schema_errors(list(validator.iter_errors(config)), source)
    if _add_random_architectures(config, user_architectures, source):
        _raise_schema_errors(list(validator.iter_errors(config)), source)  # fills the drawn blocks' defaults
    _check_semantics(config, source)
    return config


def _add_random_architectures(config: dict, user_architectures: Any, source: str) -> bool:
    """The robustness section's random architectures join the definitions and the grid's
    architectures (after the listed ones); True when there are any."""
    drawn = robustness.architectures(config["robustness"])
    for name, definition in drawn.items():
        mine = (user_architectures or {}).get(name) if isinstance(user_architectures, dict) else None
        if mine is not None and not _same_blocks(mine, definition):
            _fail(
                source,
                f"architecture_definitions.{name}",
                f"'{name}' is the name of a random architecture (robustness.architectures); rename yours",
            )
    config["architecture_definitions"].update(copy.deepcopy(drawn))
    config["architectures"] = [*config["architectures"], *(n for n in drawn if n not in config["architectures"])]
    return bool(drawn)


def _same_blocks(given: Any, drawn: dict) -> bool:
    """Whether a definition is the drawn one, with defaults filled in (a config validated twice)."""
    return isinstance(given, dict) and all(
        isinstance(given.get(net), dict) and all(given[net].get(k) == v for k, v in drawn[net].items()) for net in drawn
    )


def _refuse_non_finite(value: Any, source: str, path: str = "") -> None:
    """NaN and infinities pass every range check of the schema (NaN compares false): refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        _fail(source, path or "(top level)", f"{value!r} is not a number a run can use; give a finite value")
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        _refuse_non_finite(
            item, source, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        )


def _drop_removed_overrides(overrides: Any) -> Any:
    """A --configfile is merged over config/config.yaml key by key; an override set to null there
    removes the one it inherits (``overrides: {dcgan-*: null}``)."""
    if not isinstance(overrides, dict):
        return {} if overrides is None else overrides
    removed = [pattern for pattern, settings in overrides.items() if settings is None]
    for pattern in removed:
        log.info("overrides.%s: removed (set to null)", pattern)
    return {pattern: settings for pattern, settings in overrides.items() if settings is not None}


def load(path: str | Path) -> dict:
    """Read, validate and fill a config file (what a script run by hand uses)."""
    return validate(read_yaml(path), str(path))


# --------------------------------------------------------------------------------------------
# Checks the schema cannot express


def _fail(source: str, path: str, message: str) -> None:
    raise ConfigError(f"Invalid config ({source}):\n  {path}: {message}")


def _check_semantics(config: dict, source: str) -> None:
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
                f"'{name}' is not defined under architecture_definitions{_suggest(name, list(defined))}; "
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
                f"matches no experiment of the grid{_suggest(pattern, names + shapes)}, nor of any grid of the defined "
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
    """The critic's blocks (defaults filled by the schema), with its normalisation resolved."""
    net = dict(spec)
    # WGAN-GP penalises each sample's gradient, which batch norm would mix across the batch:
    # Gulrajani et al. (Sec. 4) use layer norm in its critic instead.
    batch_norm = net.pop("batch_norm")
    net["normalization"] = ("layer" if model == "wgan-gp" else "batch") if batch_norm else "none"
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
        for pattern, override in config["overrides"].items():
            if fnmatch.fnmatchcase(cell.name, pattern):
                settings.update(override)
        _resolve_optimizer(settings, cell)
        arch = config["architecture_definitions"][cell.architecture]
        experiment = Experiment(
            name=cell.name,
            dataset=cell.dataset,
            model=cell.model,
            architecture=cell.architecture,
            seed=cell.seed,
            generator=dict(arch["generator"]),
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
        raise ConfigError(f"No experiment '{name}' in the grid{_suggest(name, names)}; experiments: {', '.join(names)}")
    if len(found) > 1:
        raise ConfigError(
            f"Experiment '{name}' exists on several datasets ({', '.join(e.dataset for e in found)}); "
            "say which with --dataset."
        )
    return found[0]
