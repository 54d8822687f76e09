"""Keep a chunk of a study: copy each run's small files from a results folder into a reference's
folder, so that a study trained in chunks, on machines whose results/ do not outlive them, is
summarised and drawn as one from what git keeps (docs/evidence/reference_figures.py,
docs/evidence/recompute_references.py). Per run: config.yaml (the settings it trained with, which
tests/test_reference_chunks.py holds to today's plan), metrics.csv, evaluation.json, status.json and
sheet.npz, the first ``--sheet`` (figures.sheet_samples) of its final samples, what the sample
sheets and the success table draw; per dataset: the judge's real_floor.json and classifier.json.
A run already kept is not overwritten unless its files are the same. No TensorFlow.

    .venv/bin/python docs/evidence/keep_runs.py results-stacked-mnist/stacked-mnist \\
        docs/reference/pending/stacked-mnist [experiment ...]
"""

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

RUN_FILES = ("config.yaml", "metrics.csv", "evaluation.json", "status.json")
JUDGE_FILES = ("real_floor.json", "classifier.json")


def keep(source: Path, dest: Path, origin: str | None = None) -> None:
    """Copies ``source`` (made from ``origin``) to ``dest``; stops where ``dest`` exists with other contents."""
    if dest.exists() and not filecmp.cmp(source, dest, shallow=False):
        sys.exit(f"Error: {dest} is already kept with other contents than {origin or source}; move it away first.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a dataset's results folder (results-*/DATASET)")
    parser.add_argument("reference", type=Path, help="the folder the chunks are kept in")
    parser.add_argument("experiments", nargs="*", help="runs to keep (default: every finished run)")
    parser.add_argument("--sheet", type=int, default=64, help="final samples kept per run (default 64)")
    args = parser.parse_args()
    finished = sorted(p.parent.name for p in args.results.glob("*/samples.npz"))
    names = args.experiments or finished
    if missing := sorted(set(names) - set(finished)):
        sys.exit(f"Error: no finished run (samples.npz) in {args.results} for {', '.join(missing)}.")
    for name in JUDGE_FILES:
        if (args.results / "evaluation" / name).exists():
            keep(args.results / "evaluation" / name, args.reference / name)
    for name in names:
        run, kept = args.results / name, args.reference / "runs" / name
        for file in RUN_FILES:
            keep(run / file, kept / file)
        with np.load(run / "samples.npz") as saved, tempfile.TemporaryDirectory() as scratch:
            sheet = Path(scratch) / "sheet.npz"  # NumPy's archives are byte-stable: compared as files
            np.savez_compressed(sheet, images=saved["images"][: args.sheet])
            keep(sheet, kept / "sheet.npz", f"the first samples of {run / 'samples.npz'}")
    print(f"kept {len(names)} runs in {args.reference / 'runs'}")


if __name__ == "__main__":
    main()
