"""What every script does first: send its log (and stray stderr) to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


# Errors a user can act on: logged as one clear message, without a traceback (a bug keeps its).
USER_ERRORS = ("ConfigError", "DatasetError", "WriteError")


def _report_user_errors(kind, error, trace) -> None:
    if kind.__name__ in USER_ERRORS:
        logging.getLogger("wganlib").error("%s", error)  # Python still exits with status 1
        return
    sys.__excepthook__(kind, error, trace)


def start_logging(log_file: str | os.PathLike | None = None) -> None:
    """Log to ``log_file`` (a rule's ``log:``) or to stderr when run by hand.

    stderr is redirected too, so TensorFlow's C++ messages and tracebacks land in the same log.
    A user's mistake (bad config, bad data, a full disk) ends the job with its message alone.
    """
    sys.excepthook = _report_user_errors
    handlers: list[logging.Handler]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_file, "a", buffering=1, encoding="utf-8")
        os.dup2(stream.fileno(), sys.stderr.fileno())
        sys.stderr = stream
        handlers = [logging.StreamHandler(stream)]
    else:
        handlers = [logging.StreamHandler(sys.stderr)]
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


class Job:
    """What a script needs of its rule: named inputs, outputs and params, threads, log.

    Built from Snakemake's ``snakemake`` object, or, to debug one step by hand, from the
    command line: ``--input NAME=PATH``, ``--output NAME=PATH``, ``--param NAME=JSON``.
    """

    def __init__(self, input: dict, output: dict, params: dict, threads: int = 1, log: str | None = None):
        self.input, self.output, self.params = input, output, params
        self.threads, self.log = threads, log

    @classmethod
    def current(cls, namespace: dict, description: str) -> "Job":
        smk = namespace.get("snakemake")
        if smk is not None:
            return cls(dict(smk.input), dict(smk.output), dict(smk.params), smk.threads, smk.log[0] if smk.log else None)
        return cls._from_command_line(description)

    @classmethod
    def _from_command_line(cls, description: str) -> "Job":
        import argparse
        import json

        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--input", action="append", default=[], metavar="NAME=PATH")
        parser.add_argument("--output", action="append", default=[], metavar="NAME=PATH")
        parser.add_argument("--param", action="append", default=[], metavar="NAME=JSON")
        parser.add_argument("--threads", type=int, default=1)
        args = parser.parse_args()

        def pairs(items: list[str], convert=str) -> dict:
            result = {}
            for item in items:
                name, sep, value = item.partition("=")
                if not sep:
                    parser.error(f"expected NAME=VALUE, got {item!r}")
                result[name] = convert(value)
            return result

        def json_or_text(value: str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value

        return cls(pairs(args.input), pairs(args.output), pairs(args.param, json_or_text), args.threads)
