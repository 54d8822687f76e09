"""The summary files shown to people: summary.csv (one row per experiment) and summary.md (the
runs, the real-data floor and the claims with their verdicts). No TensorFlow."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from .io import atomic_path, write_text
from .runs import METRIC_KEYS, SUMMARY_COLUMNS, PathLike, as_float, diverged


def fmt(x: Any, infinite: str = "inf") -> str:
    """Three significant digits; whole numbers >= 1000 with thousands separators."""
    x = as_float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return infinite if x > 0 else "-inf"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def write_summary_csv(rows: Sequence[Mapping], path: PathLike) -> None:
    """``runs.summary_rows``' rows, one line each, in ``SUMMARY_COLUMNS`` order."""
    frame = pd.DataFrame(list(rows), columns=list(SUMMARY_COLUMNS))
    frame["iterations_to_threshold"] = frame["iterations_to_threshold"].astype("Int64")
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in body]
    return lines


def _floors(real_floor: Mapping | None, datasets: Sequence[Any]) -> dict:
    """Accept one floor dict (with metric keys) or a mapping dataset -> floor dict."""
    if not real_floor:
        return {}
    if any(key in real_floor for key in METRIC_KEYS):
        return {dataset: real_floor for dataset in datasets}
    return dict(real_floor)


def write_summary_markdown(
    rows: Sequence[Mapping],
    claims: Sequence[Mapping],
    real_floor: Mapping | None,
    path: PathLike,
    *,
    thresholds: Mapping | None = None,
) -> None:
    """A Markdown page: the runs, the real-data floor and the claims with their verdicts."""
    datasets = list(dict.fromkeys(r.get("dataset") for r in rows))
    several = len(datasets) > 1
    lines = [f"# WGAN reproduction: {', '.join(str(d) for d in datasets) or 'no runs'}", "", "## Runs", ""]
    thresholds_used = {v for v in map(as_float, (r.get("fid_threshold") for r in rows)) if not math.isnan(v)}
    reach = f"iters to FID <= {fmt(next(iter(thresholds_used)))}" if len(thresholds_used) == 1 else "iters to good FID"
    header = [
        "experiment",
        "status",
        "gen. iters",
        "FID at the end",
        "FID",
        "KID",
        "modes",
        "class. score",
        "rho(est., FID)",
        reach,
        "wall time (min)",
    ]

    def body():
        for r in rows:
            rho = r.get("spearman_js_fid" if r.get("model") == "dcgan" else "spearman_em_fid")
            status = r.get("status") or "n/a"
            if diverged(r) and not math.isnan(as_float(r.get("diverged_at"))):
                status = f"diverged at {int(as_float(r['diverged_at'])):,}"
            kid = f"{fmt(r.get('kid'))} ± {fmt(r.get('kid_std'))}"
            its = as_float(r.get("iterations_to_threshold"))
            reached = (
                "n/a"
                if math.isnan(as_float(r.get("fid_threshold")))
                else ("never" if math.isnan(its) else f"{int(its):,}")
            )
            cells = [
                r.get("experiment"),
                status,
                fmt(r.get("generator_iterations")),
                r.get("convergence") or "n/a",
                fmt(r.get("fid")),
                kid,
                fmt(r.get("modes_covered")),
                fmt(r.get("classifier_score")),
                "n/a" if math.isnan(as_float(rho)) else f"{as_float(rho):.2f}",
                reached,
                fmt(as_float(r.get("wall_time_s")) / 60),
            ]
            yield ([r.get("dataset")] if several else []) + cells

    lines += _md_table((["dataset"] if several else []) + header, body())
    lines += [
        "",
        "rho(est., FID): Spearman correlation over training between FID and the critic's "
        "EM estimate (wgan, wgan-gp) or the discriminator's JS estimate (dcgan). "
        "FID at the end: 'still improving' when the trend of FID over the second half of training "
        "(Theil-Sen slope) falls by more than the still_improving fraction over the last quarter; "
        "'not started' when it did not, but FID never fell by the min_progress fraction below its "
        "first snapshot's (the run had not left its starting point); else 'plateaued'. "
        "A longer budget would change a still-improving or not-started run's numbers.",
        "",
    ]
    for dataset, floor in _floors(real_floor, datasets).items():
        lines += [
            f"**Real-data floor** ({dataset}, train vs test): FID {fmt(floor.get('fid'))}, "
            f"KID {fmt(floor.get('kid'))}, "
            f"modes covered {fmt(floor.get('modes_covered'))}, "
            f"classifier score {fmt(floor.get('classifier_score'))}, "
            f"class KL {fmt(floor.get('class_kl'))}.",
            "",
        ]
    lines += ["## Claims", ""]
    lines += _md_table(
        (["dataset"] if several else []) + ["claim", "evidence", "verdict"],
        (([c.get("dataset")] if several else []) + [c["claim"], c["evidence"], f"**{c['verdict']}**"] for c in claims),
    )
    used = ""
    if thresholds:
        used = " (" + ", ".join(f"{key} = {value}" for key, value in thresholds.items()) + ")"
    lines += [
        "",
        f"Verdicts are computed only from the numbers above, as medians over seeds, "
        f"against the configured thresholds{used}; a diverged run counts as failed; "
        f"'inconclusive' means the runs a claim needs are missing from the grid or too few, or that a "
        f"verdict against the claim rests on runs that had not converged (named).",
        "",
    ]
    write_text(path, "\n".join(lines))
