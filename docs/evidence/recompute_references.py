"""Recompute the committed references' summaries (docs/reference, docs/reference/robustness,
docs/reference/stacked-mnist) from their committed run files with today's code, as
tests/test_reference.py checks them; nothing is retrained. No TensorFlow.
Usage, from the repository root: .venv/bin/python docs/evidence/recompute_references.py [name ...]"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import REFERENCES, summarise  # noqa: E402

for name in sys.argv[1:] or REFERENCES:
    start = time.perf_counter()
    verdicts = summarise(name, REFERENCES[name][0])
    print(f"{name}: {time.perf_counter() - start:.1f} s")
    for v in verdicts:
        print(f"  {v['claim'][:90]}\n    -> {v['verdict']}")
