"""What every script does first: ``job = Job.start(globals(), __doc__)`` finds its job (the rule's,
or the command line's when run by hand) and sends its log (and stray stderr and stdout) to the
rule's log file; the lines meant for a person watching go to the terminal (the logger TERMINAL)."""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Errors a user can act on: logged as one clear message, without a traceback (a bug keeps its).
USER_ERRORS = ("ConfigError", "DatasetError", "InceptionError", "WriteError")
# What `import keras` imports when they are installed, for features no job uses (its scikit-learn
# wrappers, pandas frames given to fit(), its image-gallery plots); mlxtend brings scikit-learn
# along. Together a third of `import keras`'s CPU time at every TensorFlow start (python -X importtime).
KERAS_UNUSED_IMPORTS = ("sklearn", "pandas", "matplotlib")
# Lines for a person watching the run: to the terminal Snakemake runs in (not the job's log).
TERMINAL = "wganlib.terminal"
# TensorFlow's start-up lines that say nothing about the job: absl's notice before its logging
# starts, oneDNN's, and on a machine without a GPU the CUDA driver looked for and not found.
# TF_CPP_MIN_LOG_LEVEL does not reach them (TensorFlow 2.21 writes them through absl).
STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|\] oneDNN custom operations are on"
    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers"
    r"|failed call to cuInit: .*(UNKNOWN ERROR \(303\)|CUDA_ERROR_NO_DEVICE)"
    r"|cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
)


def skip_unused_keras_imports() -> None:
    """Make Keras' optional imports of ``KERAS_UNUSED_IMPORTS`` fail fast (Keras then leaves those
    features out). Call before TensorFlow or Keras is imported; a package already imported stays."""
    for name in KERAS_UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # None in sys.modules: `import name` raises ImportError


def _report_user_errors(kind, error, trace) -> None:
    if kind.__name__ in USER_ERRORS:
        logging.getLogger("wganlib").error("%s", error)  # Python still exits with status 1
        return
    sys.__excepthook__(kind, error, trace)


def start_logging(log_file: str | os.PathLike | None = None, stdout: bool = False) -> None:
    """Log to ``log_file`` (a rule's ``log:``) or to stderr when run by hand.

    stderr is redirected too, so TensorFlow's C++ messages and tracebacks land in the same log, and
    with ``stdout`` stdout as well (Keras' epochs); the logger TERMINAL keeps the terminal.
    A user's mistake (bad config, bad data, a full disk) ends the job with its message alone.
    """
    sys.excepthook = _report_user_errors
    handlers: list[logging.Handler]
    terminal = logging.getLogger(TERMINAL)
    terminal.handlers.clear()
    terminal.propagate = not log_file  # by hand, its lines are the log's
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_file, "a", buffering=1, encoding="utf-8")
        sys.stderr.flush()
        screen = open(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8")
        terminal.addHandler(logging.StreamHandler(screen))
        os.dup2(stream.fileno(), sys.stderr.fileno())
        sys.stderr = stream
        if stdout:
            sys.stdout.flush()
            os.dup2(stream.fileno(), sys.stdout.fileno())
            sys.stdout = stream
        handlers = [logging.StreamHandler(stream)]
    else:
        handlers = [logging.StreamHandler(sys.stderr)]
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def start_tensorflow_quietly() -> None:
    """Import TensorFlow and let it look for GPUs with its stderr caught, and log what it wrote
    there but its start-up noise (``STARTUP_NOISE``): the log starts with the job's own lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:  # imported by name: the rules that do not train never import TensorFlow, even on paper
            tf = importlib.import_module("tensorflow")
            tf.config.list_physical_devices("GPU")  # where a CPU machine's CUDA is looked for
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [
                line for line in caught.read().decode(errors="replace").splitlines() if not STARTUP_NOISE.search(line)
            ]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


@dataclass
class Job:
    """What a script needs of its rule: named inputs, outputs and params, wildcards, threads, log.

    ``Job.start`` builds it from Snakemake's ``snakemake`` object or, to debug one step by hand,
    from the command line: ``--input NAME=PATH``, ``--output NAME=PATH``, ``--param NAME=JSON``,
    or a script's own options (its ``by_hand`` function).
    """

    input: dict
    output: dict
    params: dict
    threads: int = 1
    log: str | None = None
    wildcards: dict = field(default_factory=dict)

    def tensorflow_threads(self) -> int:
        """The size of TensorFlow's thread pools: the configured count (``params.threads``, the
        config's resources.train_threads), else the job's threads. Not Snakemake's ``threads``
        alone: Snakemake lowers those to --cores, and a run's numbers depend on the pools' size
        (how oneDNN and Eigen split sums), not on how many cores run them (docs/reruns.md)."""
        pools = int(self.params.get("threads", self.threads))
        if pools > self.threads:
            logging.getLogger("wganlib").info(
                "%d TensorFlow threads (resources.train_threads) on the %d core(s) Snakemake gave this job: "
                "the numbers are those of %d threads, the speed that of %d core(s)",
                pools,
                self.threads,
                pools,
                self.threads,
            )
        return pools

    @classmethod
    def start(
        cls,
        namespace: dict,
        description: str,
        by_hand: Callable[[str], Job] | None = None,
        tensorflow: bool = False,
    ) -> Job:
        """The job that runs this script, its log started: every script's first line.

        ``namespace`` is the script's ``globals()`` (where Snakemake puts ``snakemake``);
        ``by_hand(description)`` reads a script's own command line, when it has one;
        ``tensorflow``: the script imports TensorFlow, so Keras' unused imports are skipped.
        """
        if tensorflow:
            skip_unused_keras_imports()
        smk = namespace.get("snakemake")
        if smk is not None:
            job = cls.from_snakemake(smk)
        else:
            job = (by_hand or cls.from_command_line)(description)
        start_logging(job.log, stdout=smk is not None)
        if tensorflow:
            start_tensorflow_quietly()
        return job

    @classmethod
    def from_snakemake(cls, smk) -> Job:
        return cls(
            dict(smk.input),
            dict(smk.output),
            dict(smk.params),
            smk.threads,
            smk.log[0] if smk.log else None,
            dict(smk.wildcards),
        )

    @classmethod
    def from_command_line(cls, description: str, argv: list[str] | None = None) -> Job:
        import argparse
        import json

        parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--input", action="append", default=[], metavar="NAME=PATH")
        parser.add_argument("--output", action="append", default=[], metavar="NAME=PATH")
        parser.add_argument("--param", action="append", default=[], metavar="NAME=JSON")
        parser.add_argument("--threads", type=int, default=1)
        args = parser.parse_args(argv)

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
