"""Which method trains on which random architecture (Gulrajani et al. 2017, Sec. 5.1, Table 2);
the architectures themselves are drawn by ``wganlib.plan.architectures``.

A run succeeds at a level when its snapshot FIDs crossed it (``runs.fid_reached``: the crossing
the speed claims read, confirmed by the next snapshot) and its final evaluation covers at least
``min_modes`` classes; a diverged run fails. No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from wganlib.plan.architectures import is_random
from wganlib.plan.objectives import PAPER_MODELS

MODELS = PAPER_MODELS  # Table 2's counts pair the paper's three models


# ---------------------------------------------------------------- success


def succeeded(row: Mapping, fid_level: float, min_modes: int) -> bool | None:
    """Whether a summary row's run succeeded: it reached ``fid_level`` on its snapshot FIDs (the
    same kind of FID, and the same crossing, as the speed claims) and covered ``min_modes``
    classes at the end; None when it has no evaluation."""
    if row.get("status") == "diverged":
        return False
    fid, modes = _float(row.get("fid_reached")), _float(row.get("modes_covered"))
    if math.isnan(fid) or math.isnan(modes):
        return None
    return fid <= fid_level and modes >= min_modes


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def outcomes(rows: Sequence[Mapping], fid_level: float, min_modes: int, models=MODELS) -> dict[tuple, dict]:
    """(dataset, seed, architecture) -> {model: succeeded} for the random architectures where every
    one of ``models`` has a judged run."""
    cells: dict[tuple, dict] = {}
    for r in rows:
        if is_random(r.get("architecture")) and r.get("model") in models:
            ok = succeeded(r, fid_level, min_modes)
            if ok is not None:
                cells.setdefault((r.get("dataset"), r.get("seed"), r.get("architecture")), {})[r["model"]] = ok
    return {key: cell for key, cell in sorted(cells.items(), key=str) if set(cell) == set(models)}


def success_table(rows: Sequence[Mapping], fid_level: float, min_modes: int, models=MODELS) -> dict[str, int]:
    """Their Table 2 for three methods: architectures where only one method succeeded, where all,
    where none, and where two of the three did; the counts add up to the architectures judged."""
    table = {f"only {m}": 0 for m in models} | {"all": 0, "none": 0}
    table |= {f"all but {m}": 0 for m in models} if len(models) > 2 else {}
    for cell in outcomes(rows, fid_level, min_modes, models).values():
        won = [m for m in models if cell[m]]
        if len(won) == len(models):
            table["all"] += 1
        elif not won:
            table["none"] += 1
        elif len(won) == 1:
            table[f"only {won[0]}"] += 1
        else:
            table[f"all but {next(m for m in models if m not in won)}"] += 1
    return table


def by_architecture(rows: Sequence[Mapping], fid_level: float, min_modes: int, models=MODELS) -> dict[tuple, dict]:
    """(dataset, architecture) -> {model: succeeded} where a model succeeds on an architecture when
    more than half of its seeds did (a tie is no success): the seeds of one architecture are not
    independent pairs for a test across architectures, the architectures are."""
    seeds: dict[tuple, list] = {}
    for (dataset, _, architecture), cell in outcomes(rows, fid_level, min_modes, models).items():
        seeds.setdefault((dataset, architecture), []).append(cell)
    return {key: {m: 2 * sum(c[m] for c in cells) > len(cells) for m in models} for key, cells in seeds.items()}


def per_model(rows: Sequence[Mapping], fid_level: float, min_modes: int, models=MODELS) -> dict[tuple, dict]:
    """(dataset, architecture) -> {model: succeeded, or None without a judged run}, each model by
    the majority of its own judged seeds (as ``by_architecture``): the success table the figure
    draws, which shows a model's column where another model's runs are missing too."""
    seeds: dict[tuple, dict] = {}
    for r in rows:
        if is_random(r.get("architecture")) and r.get("model") in models:
            ok = succeeded(r, fid_level, min_modes)
            cell = seeds.setdefault((r.get("dataset"), r.get("architecture")), {m: [] for m in models})
            if ok is not None:
                cell[r["model"]].append(ok)
    return {
        key: {m: (2 * sum(v) > len(v)) if v else None for m, v in cell.items()}
        for key, cell in sorted(seeds.items(), key=str)
    }


def discordant(cell: Mapping) -> bool:
    """Whether the judged models of one architecture disagree (one succeeded where another failed)."""
    judged = {v for v in cell.values() if v is not None}
    return len(judged) > 1
