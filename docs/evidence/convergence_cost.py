"""What the study's unconverged runs would cost: per run that ended at its maximum, how much its FID
fell over its last quarter (what the convergence rule weighs against claims.still_improving), and,
for runs that started from a collapse, the first snapshot whose FID (and the next one's) was
min_progress below the untrained generator's: when the run left its start.

    .venv/bin/python docs/evidence/convergence_cost.py docs/reference/runs > docs/evidence/convergence-cost.md
"""

import json
import sys
from pathlib import Path

import numpy as np


def curve(run: Path) -> tuple[np.ndarray, np.ndarray]:
    points = json.loads((run / "evaluation.json").read_text())["over_training"]
    return np.array([p["generator_iteration"] for p in points]), np.array([p["fid"] for p in points])


def left_start(t: np.ndarray, fid: np.ndarray, min_progress: float = 0.25) -> int | None:
    below = np.maximum(fid, np.append(fid[1:], fid[-1:])) < (1 - min_progress) * fid[0]
    return int(t[np.argmax(below)]) if below.any() else None


def main(runs: Path) -> None:
    print("| run | iterations | FID at 3/4 | FID at the end | fall over the last quarter | left its start at |")
    print("|---|---|---|---|---|---|")
    for run in sorted(runs.iterdir()):
        if not (run / "evaluation.json").is_file():
            continue
        status = json.loads((run / "status.json").read_text())
        if status.get("stop_reason") != "maximum":
            continue
        t, fid = curve(run)
        quarter = fid[np.searchsorted(t, t[-1] * 3 / 4)]
        start = left_start(t, fid)
        print(
            f"| {run.name} | {t[-1]:,} | {quarter:.1f} | {fid[-1]:.1f} | {100 * (1 - fid[-1] / quarter):.0f} % "
            f"| {'never' if start is None else f'{start:,}'} |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
