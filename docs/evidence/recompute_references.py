"""Recompute the committed references' summaries (docs/reference, docs/reference/robustness,
docs/reference/stacked-mnist) from their committed run files with today's code, as
tests/test_reference.py checks them; nothing is retrained. No TensorFlow.
Usage, from the repository root: .venv/bin/python docs/evidence/recompute_references.py [name ...]"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import REFERENCES, random_architectures, reference_grid, study_config  # noqa: E402
from wganlib.runs import load_json, load_runs  # noqa: E402
from wganlib.summary import write_summary  # noqa: E402

for name in sys.argv[1:] or REFERENCES:
    folder, study, dataset, _, _ = REFERENCES[name]
    config = study_config(folder, study)
    start = time.perf_counter()
    verdicts = write_summary(
        load_runs(reference_grid(config, folder, dataset)),
        load_json(folder / "real_floor.json"),
        config["claims"],
        config["figures"]["median_window"],
        folder / "summary.csv",
        folder / "summary.md",
        random_architectures(config),
    )
    print(f"{name}: {time.perf_counter() - start:.1f} s")
    for v in verdicts:
        print(f"  {v['claim'][:90]}\n    -> {v['verdict']}")
