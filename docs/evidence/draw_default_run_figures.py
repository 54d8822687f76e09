"""Draws the default run's figures in docs/ (samples, summary, em_estimate, js_estimate,
quality_over_compute) with today's code from the run files committed in docs/reference/default-run,
as the figures rule draws them (workflow/scripts/figures.py); the sample sheet reads the runs'
samples.npz, which are not committed, from the results folder the run wrote.

    .venv/bin/python docs/evidence/draw_default_run_figures.py results/mnist-5k
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import REFERENCES, reference_grid, study_config  # noqa: E402
from wganlib.report import plots  # noqa: E402
from wganlib.verdicts.runs import load_json, load_runs, summary_rows  # noqa: E402


def main(results: Path, pdf: Path) -> None:
    folder, study, dataset, _, _ = REFERENCES["default-run"]
    config = study_config(folder, study)
    claims, window = config["claims"], config["figures"]["median_window"]
    runs = load_runs(reference_grid(config, folder, dataset))
    floor = load_json(folder / "real_floor.json")
    rows = summary_rows(
        runs,
        floor,
        good_fid=claims["good_fid"],
        median_window=window,
        still_improving=claims["still_improving"],
        min_progress=claims["min_progress"],
    )
    models, architectures, docs = config["models"], config["architectures"], ROOT / "docs"
    plots.plot_em_estimate(
        runs, docs / "em_estimate.png", pdf, median_window=window, architectures=architectures, rows=rows
    )
    plots.plot_js_estimate(
        runs, docs / "js_estimate.png", pdf, median_window=window, architectures=architectures, rows=rows
    )
    sheets = []
    for run in runs:
        with np.load(results / run["experiment"] / "samples.npz") as saved:
            sheets.append({**run, "images": saved["images"][: config["figures"]["sheet_samples"]]})
    plots.plot_sample_sheet(sheets, docs / "samples.png", pdf, models=models, architectures=architectures)
    plots.plot_summary(rows, docs / "summary.png", pdf, real_floor=floor, models=models, architectures=architectures)
    plots.plot_quality_over_compute(
        runs, docs / "quality_over_compute.png", pdf, models=models, architectures=architectures
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        main(Path(sys.argv[1]), Path(scratch) / "figure.pdf")
