"""Draws the default run's figures in docs/ (samples, summary, em_estimate, js_estimate,
quality_over_compute) with today's code from the run files committed in docs/reference/default-run,
as the figures rule draws them (workflow/scripts/figures.py); the sample sheet reads the runs'
samples.npz, which are not committed, from the results folder the run wrote.

    .venv/bin/python docs/evidence/draw_default_run_figures.py results/mnist-5k
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import REFERENCES, reference_grid, study_config  # noqa: E402
from wganlib.report.figure_sets import DATASET_FIGURES, dataset_figures, figure_paths  # noqa: E402
from wganlib.verdicts.runs import load_json, load_runs  # noqa: E402


def main(results: Path, scratch: Path) -> None:
    folder, study, dataset, _, _ = REFERENCES["default-run"]
    config = study_config(folder, study)
    runs = load_runs(reference_grid(config, folder, dataset))
    dataset_figures(
        runs,
        load_json(folder / "real_floor.json"),
        figure_paths(DATASET_FIGURES, ROOT / "docs", scratch),
        models=config["models"],
        architectures=config["architectures"],
        claims=config["claims"],
        median_window=config["figures"]["median_window"],
        sheet_samples=config["figures"]["sheet_samples"],
        sheet_runs=[{**run, "dir": results / run["experiment"]} for run in runs],
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        main(Path(sys.argv[1]), Path(scratch))
