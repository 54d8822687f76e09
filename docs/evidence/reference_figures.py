"""Draws a reference's figures from its committed run files, as the `figures` and
`random_architectures` rules draw them (wganlib.report.figure_sets), for a study trained in chunks
whose results/ did not outlive their machines: the runs kept by docs/evidence/keep_runs.py (each
with sheet.npz, the first of its final samples). Writes FOLDER/figures/*.png (PDFs are not
committed) and, for a random-architecture sweep, FOLDER/architectures.yaml. A sweep of random
architectures alone gets only its own two figures (fid_per_architecture, success): the per-run
figures of a hundred runs (every EM curve, every sample sheet) are too large to read or to keep.
Runs the config names but FOLDER/runs does not hold yet (a study part way through its chunks) are
left out and counted. No TensorFlow.

    .venv/bin/python docs/evidence/reference_figures.py docs/reference/stacked-mnist stacked-mnist.yaml stacked-mnist
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import random_architectures, reference_grid, study_config  # noqa: E402
from wganlib.common.io import write_text  # noqa: E402
from wganlib.report.figure_sets import (  # noqa: E402
    DATASET_FIGURES,
    SWEEP_FIGURES,
    dataset_figures,
    drawn_architectures,
    figure_paths,
    sweep_figures,
)
from wganlib.verdicts.runs import load_json, load_runs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the reference's folder (config.yaml, STUDY, runs/)")
    parser.add_argument("study", help="the config file it ran with over config.yaml, in FOLDER")
    parser.add_argument("dataset")
    args = parser.parse_args()
    config = study_config(args.folder, args.study)
    grid = reference_grid(config, args.folder, args.dataset)
    kept = [cell for cell in grid if cell["dir"].is_dir()]
    print(f"{len(kept)} of the config's {len(grid)} runs are kept in {args.folder / 'runs'}")
    runs, sheet = load_runs(kept), {"sheet_samples": config["figures"]["sheet_samples"], "samples_file": "sheet.npz"}
    common = {
        "models": config["models"],
        "claims": config["claims"],
        "median_window": config["figures"]["median_window"],
    }
    (args.folder / "figures").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        pngs, pdfs = args.folder / "figures", Path(scratch)
        real_floor = load_json(args.folder / "real_floor.json")
        random = random_architectures(config)
        if len(random["architectures"]) < len(config["architectures"]):  # not random architectures alone
            out = figure_paths(DATASET_FIGURES, pngs, pdfs)
            dataset_figures(runs, real_floor, out, architectures=config["architectures"], **common, **sheet)
        if random["architectures"]:
            sweep_figures(runs, figure_paths(SWEEP_FIGURES, pngs, pdfs), random=random, **common, **sheet)
            drawn_from = {k: v for k, v in config["robustness"].items() if k != "fid_levels"}
            write_text(args.folder / "architectures.yaml", drawn_architectures(drawn_from, random["architectures"]))


if __name__ == "__main__":
    main()
