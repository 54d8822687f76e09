"""Where a convergence budget would have stopped runs trained with fixed budgets: the training
monitor (wganlib.train.monitor, the summary's own rule) replayed on each run's snapshot FIDs from its
evaluation.json, as if they had been measured while it trained.

    .venv/bin/python docs/evidence/monitor_replay.py results/mnist-5k 500 0.1 [0.25] [80]

Arguments: the runs' folder, min_iterations, claims.still_improving, claims.min_progress and
claims.good_fid (the defaults' 0.25 and 80 when left out).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow" / "scripts"))
from wganlib.train.monitor import Monitor  # noqa: E402


def replay(points: list[dict], min_iterations: int, still_improving: float, min_progress: float, good_fid: float):
    """(iteration, FID) at which the monitor would have stopped the run, or None."""
    fid = {p["generator_iteration"]: p["fid"] for p in points}
    monitor = Monitor(lambda _, it: fid[it], min_iterations, still_improving, min_progress, good_fid)
    for it in sorted(fid):
        if monitor.observe(it, None):
            return it, fid[it]
    return None


def main(runs: Path, min_iterations: int, still_improving: float, min_progress=0.25, good_fid=80.0) -> None:
    print("| run | budget | FID at the end | a convergence budget would stop it at | FID there |")
    print("|---|---|---|---|---|")
    for path in sorted(runs.glob("*/evaluation.json")):
        points = json.loads(path.read_text())["over_training"]
        stop = replay(points, min_iterations, still_improving, min_progress, good_fid)
        where = ("never (trains to its maximum)", "") if stop is None else (f"{stop[0]:,}", f"{stop[1]:.1f}")
        print(
            f"| {path.parent.name} | {points[-1]['generator_iteration']:,} | {points[-1]['fid']:.1f} | {where[0]} | {where[1]} |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:]))
