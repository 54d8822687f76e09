"""What the study's unconverged runs would cost: per run that ended at its maximum, how much its FID
fell over its last quarter (what the convergence rule weighs against claims.still_improving), and,
for runs that started from a collapse, the first snapshot whose FID (and the next one's) was
min_progress below the untrained generator's: when the run left its start. Then, for the claims
that rest on such runs, how their numbers moved with the budget: the clipped WGAN's fall over the
last quarter of 1,250, 2,500 and 5,000 iterations, the batch-norm-first claim's FID ratio and the
MLP claim's modes at every 1,000 iterations.

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


def snapshot(run: Path, key: str) -> dict[int, float]:
    points = json.loads((run / "evaluation.json").read_text())["over_training"]
    return {p["generator_iteration"]: p[key] for p in points}


def trends(runs: Path, seeds: list[str]) -> None:
    """How the unconverged claims' numbers moved with the budget, seed by seed."""
    print("\n| run | fall over the last quarter of 1,250 | of 2,500 | of 5,000 |\n|---|---|---|---|")
    for name in ("wgan-conv", "wgan-conv-bn-first", "wgan-conv-nobn", "wgan-mlp"):
        for seed in seeds:
            t, fid = curve(runs / f"{name}-s{seed}")

            def near(x: float, t=t, fid=fid) -> float:  # the median of three snapshots around x
                i = int(np.searchsorted(t, x))
                return float(np.median(fid[max(0, i - 1) : i + 2]))

            falls = [100 * (1 - near(end) / near(end * 3 / 4)) for end in (1250, 2500, 5000)]
            print(f"| {name}-s{seed} | " + " | ".join(f"{f:.0f} %" for f in falls) + " |")
    budgets = (1000, 2000, 3000, 4000, 5000)
    print("\n| seed | " + " | ".join(f"{b:,}" for b in budgets) + " |\n|---|" + "---|" * len(budgets))
    for seed in seeds:
        first, conv = (snapshot(runs / f"wgan-{a}-s{seed}", "fid") for a in ("conv-bn-first", "conv"))
        print(
            f"| {seed}: FID ratio conv-bn-first / conv | "
            + " | ".join(f"{first[b] / conv[b]:.2f}" for b in budgets)
            + " |"
        )
    for seed in seeds:
        wgan, gan = (snapshot(runs / f"{m}-mlp-s{seed}", "modes_covered") for m in ("wgan", "dcgan"))
        cells = [f"{wgan[b]:.0f} / {gan[b]:.0f}" if b in gan else f"{wgan[b]:.0f} / -" for b in budgets]
        print(f"| {seed}: modes, WGAN / GAN mlp | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    trends(Path(sys.argv[1]), sorted({p.name.rsplit("-s", 1)[1] for p in Path(sys.argv[1]).iterdir()}))
