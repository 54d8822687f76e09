"""Values given with ``--config``, typed as the YAML they spell, and errors that name the command
line where a wrong value came from it.

Snakemake types a top-level ``--config`` value as a number or a boolean, but reads a nested one
(``training={generator_iterations: 200}``) with YAML's base loader, which leaves every scalar a
string: the schema would then refuse 200 as "not an integer". The workflow reads the entries
again as a config file's YAML is read and puts the typed values in their place.

No TensorFlow here: the Snakefile imports this module.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml

from .configfile import ConfigError

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def given_on_command_line(entries: list[str] | None) -> dict:
    """The ``--config`` entries (``key=value``) as YAML types them, merged as Snakemake merges them
    (a key given twice: its mappings merged, anything else replaced); an empty value is null."""
    given: dict = {}
    for entry in entries or []:
        key, sep, text = entry.partition("=")
        if not sep:  # Snakemake has refused it already
            continue
        try:
            value = None if text == "" else yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at column {mark.column + 1}" if mark else ""
            problem = getattr(err, "problem", None) or str(err)
            raise ConfigError(
                f"Invalid config (the command line):\n  --config {shlex.quote(entry)}: not valid YAML{where}: "
                f"{problem}; write it as in a config file, e.g. --config 'training={{generator_iterations: 200}}'"
            ) from None
        merge(given, {key: value})
    return given


def merge(config: dict, given: dict) -> dict:
    """``given`` over ``config`` in place, mappings merged key by key (Snakemake's update_config)."""
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            merge(config[key], value)
        else:
            config[key] = value
    return config


class Sources(str):
    """Where a config was read from, as the header of its errors ("config/config.yaml +
    config/study.yaml"); a key path that a ``--config`` entry set is blamed on that entry."""

    entries: list[str]

    def __new__(cls, files: str, entries: list[str] | None = None) -> Sources:
        sources = super().__new__(cls, files)
        sources.entries = list(entries or [])
        return sources

    def of(self, *paths: str | list) -> str:
        """Where the values at ``paths`` ("training.batch_size", "seeds[1]" or lists of parts) came
        from: the files, the --config entries that set them, or both."""
        files, blamed = False, []
        for path in paths:
            parts = path if isinstance(path, list) else [int(i) if i else k for k, i in _PART.findall(path)]
            setters = [e for e in self.entries if parts and _sets(given_on_command_line([e]), parts)]
            files = files or not setters
            blamed += [e for e in setters if e not in blamed]
        entries = " ".join(f"--config {shlex.quote(entry)}" for entry in blamed)
        return " + ".join([*([str(self)] if files else []), *([f"the command line: {entries}"] if blamed else [])])


def _sets(given: dict, parts: list) -> bool:
    """Whether ``given`` (typed --config entries) sets the value at the key path ``parts``."""
    node: Any = given
    for part in parts:
        if not isinstance(node, dict):  # a list or a value given whole
            return True
        if part not in node:
            return False
        node = node[part]
    return True
