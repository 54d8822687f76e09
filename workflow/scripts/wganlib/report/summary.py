"""The summary of one dataset's runs: a row per run, the verdicts on the claims, written as CSV
and Markdown. One function, so that the workflow's rule and the check of the committed reference
results (tests/test_reference.py) compute it the same way. No TensorFlow."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from wganlib.verdicts.budgets import budget_lines, judged_over_budgets

from .report import write_summary_csv, write_summary_markdown


def write_summary(
    runs: Sequence[Mapping],
    real_floor: Mapping | None,
    thresholds: Mapping,
    median_window: int | None,
    csv_path: str | os.PathLike,
    markdown_path: str | os.PathLike,
    random_architectures: Mapping | None = None,
) -> list[dict]:
    """Rows of ``runs`` (``runs.load_runs``) judged against the config's ``claims`` thresholds at
    every budget checkpoint (``budgets``), with the success counts over ``random_architectures`` (``report.write_summary_markdown``);
    returns the verdicts."""
    rows, verdicts = judged_over_budgets(runs, real_floor, thresholds, median_window)
    write_summary_csv(rows, csv_path)
    write_summary_markdown(
        rows,
        verdicts,
        real_floor,
        markdown_path,
        thresholds=thresholds,
        random_architectures=random_architectures,
        after_claims=budget_lines(verdicts),
    )
    return verdicts
