"""Reading config files: YAML that refuses a key given twice, and schema errors described in
words a user acts on (one line per error, the key path first, a did-you-mean where one fits).

No TensorFlow here: the Snakefile imports this module through wganlib.plan.config.
"""

from __future__ import annotations

import copy
import difflib
import logging
import math
from pathlib import Path
from typing import Any

import jsonschema
import yaml

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


def without_replaced_overrides(
    overrides: Any, paths: list[str | Path], models: tuple[str, ...], command_line: dict | None = None
) -> Any:
    """The merged ``overrides`` less what a later file replaces: a key that a file sets for every
    experiment (``training``) or for every experiment of a model (``model_settings``) wins over the
    same key in an override pattern from an earlier file (of that model: patterns that start with
    its name), which that file never saw. So ``training: {generator_iterations: 60}`` in a
    --configfile is the budget that runs, even where config/config.yaml gives a model its own by a
    pattern. Each key dropped is logged at planning time; a later file's own patterns still apply.
    ``command_line``, the typed --config entries, comes after every file: ``--config
    'training={generator_iterations: 200}'`` is the budget of every run."""
    if not isinstance(overrides, dict):
        return overrides
    paths = [path for path in paths if Path(path).exists()]
    files = [read_yaml(path) for path in paths]
    if command_line:
        paths, files = [*paths, "--config"], [*files, command_line]
    owner: dict[tuple[str, str], int] = {}  # (pattern, key) -> the last file that set it
    for index, data in enumerate(files):
        for pattern, settings in _mapping(data.get("overrides")).items():
            for key in _mapping(settings):
                owner[pattern, key] = index
    kept = {
        pattern: dict(settings) if isinstance(settings, dict) else settings for pattern, settings in overrides.items()
    }
    for (pattern, key), index in owner.items():
        if not isinstance(kept.get(pattern), dict) or key not in kept[pattern]:
            continue
        for later, data in enumerate(files[index + 1 :], start=index + 1):
            model = _pattern_model(pattern, models)
            general = key in _mapping(data.get("training"))
            for_model = model is not None and key in _mapping(_mapping(data.get("model_settings")).get(model))
            if general or for_model:
                where = "training" if general else f"model_settings.{model}"
                later_file = (
                    "given with --config" if paths[later] == "--config" else f"of {paths[later]}, a later file,"
                )
                log.warning(  # a warning, so that Snakemake shows it while it plans
                    "overrides.%s.%s (%s) does not apply: %s.%s %s replaces it",
                    pattern,
                    key,
                    paths[index],
                    where,
                    key,
                    later_file,
                )
                del kept[pattern][key]
                break
    return {pattern: settings for pattern, settings in kept.items() if settings != {}}  # None: removed (null)


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _pattern_model(pattern: str, models: tuple[str, ...]) -> str | None:
    """The model whose experiments alone a pattern names by its start (wgan-gp-* names wgan-gp's),
    or None (a pattern that starts with a wildcard)."""
    named = [m for m in models if pattern.startswith(m + "-")]
    return max(named, key=len) if named else None


def validator_with_defaults():
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


def suggest(word: Any, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(error: jsonschema.ValidationError) -> str:
    """One line for one schema error, in words a user acts on."""
    schema, value = error.schema, error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        unknown = [k for k in value if k not in allowed]
        if allowed:
            return f"unknown key '{unknown[0]}'{suggest(unknown[0], allowed)}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        choices = [str(c).lower() if isinstance(c, bool) else str(c) for c in error.validator_value]
        return f"{value!r} is not allowed{suggest(value, choices)}; choose one of: {', '.join(choices)}"
    if error.validator == "propertyNames":
        return error.message
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {'an' if str(expected)[0] in 'aeiou' else 'a'} {expected}, got {value!r}{_text_number(value)}"
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


def source_of(source: str, *paths: str | list) -> str:
    """Where the values at key paths came from: ``source``, or for a ``command_line.Sources`` the
    ``--config`` entries that set them (and the files, for the others)."""
    return source.of(*paths) if hasattr(source, "of") else str(source)


def _text_number(value: Any) -> str:
    """A hint for a number YAML read as text: quoted, or 1e-4, which YAML 1.1 reads as text (1.0e-4 it reads)."""
    try:
        number = float(value) if isinstance(value, str) else None
    except ValueError:
        return ""
    if number is None or not math.isfinite(number):
        return ""
    written = value.strip() if value.strip().lstrip("+-").isdigit() else f"{number:.1e}"
    return f" (YAML read it as text: write {written}, without quotes)"


def raise_schema_errors(errors: list[jsonschema.ValidationError], source: str) -> None:
    if not errors:
        return
    errors = sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    lines = [f"  {_key_path(e)}: {_describe(e)}" for e in errors[:5]]
    more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
    where = source_of(source, *(list(e.absolute_path) for e in errors[:5]))
    raise ConfigError(f"Invalid config ({where}):\n" + "\n".join(lines) + more)


def refuse_non_finite(value: Any, source: str, path: str = "") -> None:
    """NaN and infinities pass every range check of the schema (NaN compares false): refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        where = path or "(top level)"
        raise ConfigError(
            f"Invalid config ({source_of(source, path)}):\n  {where}: {value!r} is not a number a run can use; "
            "give a finite value"
        )
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        refuse_non_finite(
            item, source, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        )


def drop_removed_overrides(overrides: Any) -> Any:
    """A --configfile is merged over config/config.yaml key by key; an override set to null there
    removes the one it inherits (``overrides: {dcgan-*: null}``)."""
    if not isinstance(overrides, dict):
        return {} if overrides is None else overrides
    removed = [pattern for pattern, settings in overrides.items() if settings is None]
    for pattern in removed:
        log.info("overrides.%s: removed (set to null)", pattern)
    return {pattern: settings for pattern, settings in overrides.items() if settings is not None}
