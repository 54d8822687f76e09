"""The summary of one dataset's runs: a row per run, the verdicts on the claims, written as CSV
and Markdown. One function, so that the workflow's rule and the check of the committed reference
results (tests/test_reference.py) compute it the same way. No TensorFlow."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from .claims import evaluate_claims
from .report import write_summary_csv, write_summary_markdown
from .runs import summary_rows


def write_summary(
    runs: Sequence[Mapping],
    real_floor: Mapping | None,
    thresholds: Mapping,
    median_window: int | None,
    csv_path: str | os.PathLike,
    markdown_path: str | os.PathLike,
    random_architectures: Mapping | None = None,
) -> list[dict]:
    """Rows of ``runs`` (``runs.load_runs``) judged against the config's ``claims`` thresholds,
    with the success counts over ``random_architectures`` (``report.write_summary_markdown``);
    returns the verdicts."""
    rows = summary_rows(
        runs,
        real_floor,
        good_fid=thresholds["good_fid"],
        median_window=median_window,
        still_improving=thresholds["still_improving"],
        min_progress=thresholds["min_progress"],
    )
    verdicts = evaluate_claims(rows, thresholds)
    write_summary_csv(rows, csv_path)
    write_summary_markdown(
        rows, verdicts, real_floor, markdown_path, thresholds=thresholds, random_architectures=random_architectures
    )
    return verdicts
