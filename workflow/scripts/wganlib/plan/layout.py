"""Where a run's files go: one folder per config file (its ``results`` key), holding every
experiment, each dataset's evaluation, figures and summary, and each job's log and timing, so that
runs of different config files live side by side; ``resources/`` (datasets, downloads, the
Inception graph) is shared by all. No TensorFlow here: the Snakefile imports this module.
"""

from __future__ import annotations

import shlex
from pathlib import Path, PurePosixPath

DEFAULT = "results"
# Folders of the project itself: a run's results inside one would mix with what it reads.
RESERVED = ("resources", "workflow", "config", "docs", "tests", "profiles", "envs", ".snakemake", ".venv")


def results_folder_problem(folder: str) -> str | None:
    """Why ``folder`` cannot hold a run's results, or None."""
    path = PurePosixPath(folder)
    if ".." in path.parts:
        return f"'{folder}' climbs out with '..'; name a folder of this project, or an absolute path"
    if not path.is_absolute() and (not path.parts or path.parts[0] in RESERVED):
        inside = path.parts[0] if path.parts else "."
        return f"'{folder}' is inside the project's own '{inside}'; name a folder of its own, e.g. results-mine"
    return None


def same_run(configfiles: list, config_args: list[str]) -> str:
    """The options that give a later command this run's config: its --configfile and --config."""
    return " ".join(
        [
            *(f"--configfile {shlex.quote(_shown(f))}" for f in configfiles),
            *(f"--config {shlex.quote(a)}" for a in config_args),
        ]
    )


def finished(results: str, datasets: list[str], configfiles: list, config_args: list[str]) -> str:
    """What a run prints at its end: where its summaries, figures, report and curves are, and the
    room it takes (the checkpoints in train_state/ only resume a killed run: safe to delete)."""
    root, again = Path(results), same_run(configfiles, config_args)
    lines = [f"Finished. This run's results are in {results}/:"]
    for dataset in datasets:
        for what, path in (("summary", f"{dataset}/summary.md"), ("figures", f"{dataset}/figures/")):
            if (root / path).exists():
                lines.append(f"  {what:8} {results}/{path}")
    lines.append(
        f"  report   snakemake --report {results}/report.html {again}".rstrip() + "   (every figure, browsable)"
    )
    lines.append(f"  curves   tensorboard --logdir {results}")
    total, checkpoints = _size(root), sum(_size(p) for p in root.glob("*/*/train_state"))
    lines.append(
        f"  disk     {_gigabytes(total)} in {results}/, {_gigabytes(checkpoints)} of it checkpoints that only resume a "
        f"stopped run: rm -r {results}/*/*/train_state frees them"
    )
    return "\n".join(lines)


def report_problem(results: str, missing: list[str], configfiles: list, config_args: list[str]) -> str | None:
    """Why ``snakemake --report`` cannot show this config's run, with what to type; None when it can."""
    if not missing:
        return None
    given = same_run(configfiles, config_args)
    return (
        f"the report shows a finished run, and {results}/ holds no finished run of "
        f"{'this config (' + given + ')' if given else 'config/config.yaml'}: {len(missing)} of its files are missing, "
        f"e.g. {missing[0]}. Give the --configfile and --config of the run to report on (its last lines printed "
        "the command), e.g. snakemake --report results-study/report.html --configfile config/study.yaml"
    )


def _shown(path) -> str:
    """A config file's path as typed: relative to here where it is inside."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) if root.exists() else 0


def _gigabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size / 1e6:.0f} MB"
