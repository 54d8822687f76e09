"""Redraws the reference studies' summary figures from their committed run files, nothing retrained:
docs/reference/figures/summary.png (the five-seed study), docs/reference/stacked-mnist/figures/summary.png
and docs/reference/robustness/figures/fid_per_architecture.png, with the models and architectures the
figures rules pass (workflow/rules/figures.smk) and the runs as tests/test_reference.py loads them.

    .venv/bin/python docs/evidence/redraw_summary_figures.py
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import random_architectures, reference_grid, study_config  # noqa: E402
from wganlib.report import figure_sets, plots  # noqa: E402
from wganlib.verdicts.runs import load_json, load_runs  # noqa: E402

REFERENCE = ROOT / "docs" / "reference"


def rows_of(folder: Path, study: str, dataset: str) -> tuple[dict, list[dict]]:
    config = study_config(folder, study)
    runs = load_runs(reference_grid(config, folder, dataset))
    floor = load_json(folder / "real_floor.json")
    return config, figure_sets.rows_of(runs, floor, config["claims"], config["figures"]["median_window"])


def main(pdf: Path) -> None:
    """Draws the three figures' PNGs in place (their PDFs, not committed, to ``pdf``)."""
    for folder, study, dataset in (
        (REFERENCE, "study.yaml", "mnist-5k"),
        (REFERENCE / "stacked-mnist", "stacked-mnist.yaml", "stacked-mnist"),
    ):
        config, rows = rows_of(folder, study, dataset)
        plots.plot_summary(
            rows,
            folder / "figures" / "summary.png",
            pdf,
            real_floor=load_json(folder / "real_floor.json"),
            models=config["models"],
            architectures=config["architectures"],
        )
    folder = REFERENCE / "robustness"
    config, rows = rows_of(folder, "robustness.yaml", "mnist-5k")
    random = random_architectures(config)
    plots.plot_robustness(
        rows,
        folder / "figures" / "fid_per_architecture.png",
        pdf,
        fid_levels=random["fid_levels"],
        min_modes=random["min_modes"],
        models=config["models"],
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        main(Path(scratch) / "figure.pdf")
