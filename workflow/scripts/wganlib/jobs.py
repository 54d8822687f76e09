"""What every script does first: send its log (and stray stderr) to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def start_logging(log_file: str | os.PathLike | None = None) -> None:
    """Log to ``log_file`` (a rule's ``log:``) or to stderr when run by hand.

    stderr is redirected too, so TensorFlow's C++ messages and tracebacks land in the same log.
    """
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
