"""The claim verdicts, on rows built to give each verdict, and the summary files."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from wganlib import claims, report, runs

THRESHOLDS = {"min_correlation": 0.6, "good_fid": 20.0, "fid_margin": 1.5, "min_modes": 8}
CLAIM_ORDER = ["EM tracks", "JS does not", "conv-nobn", "mlp", "conv-bn-first", "speed"]


def row(
    model, architecture, seed=0, *, fid=10.0, modes=10, status="completed", rho=math.nan, its=None, dataset="mnist-5k"
):
    return {
        "experiment": f"{model}-{architecture}-s{seed}",
        "dataset": dataset,
        "model": model,
        "architecture": architecture,
        "seed": seed,
        "status": status,
        "diverged_at": 300 if status == "diverged" else None,
        "generator_iterations": 1000,
        "wall_time_s": 60.0,
        "fid": fid,
        "kid": 0.01,
        "kid_std": 0.001,
        "classifier_score": 9.0,
        "modes_covered": modes,
        "class_kl": 0.1,
        "fid_above_real": fid - 1,
        "spearman_em_fid": rho if model != "dcgan" else math.nan,
        "spearman_js_fid": rho if model == "dcgan" else math.nan,
        "iterations_to_threshold": its,
        "fid_threshold": THRESHOLDS["good_fid"],
    }


def paper_grid():
    """Rows where every claim of the paper holds."""
    rows = []
    for seed in (0, 1):
        rows += [
            row("wgan", "conv", seed, fid=12, rho=0.9, its=800),
            row("wgan-gp", "conv", seed, fid=11, rho=0.8, its=700),
            row("dcgan", "conv", seed, fid=12, rho=0.1, its=300),
            row("wgan", "conv-nobn", seed, fid=15, rho=0.85),
            row("dcgan", "conv-nobn", seed, fid=math.nan, status="diverged", rho=-0.3),
            row("wgan", "mlp", seed, fid=18, modes=10, rho=0.95),
            row("dcgan", "mlp", seed, fid=60, modes=2, rho=0.2),
            row("wgan", "conv-bn-first", seed, fid=40, rho=0.7),
        ]
    return rows


def contrary_grid():
    """Rows where every claim fails."""
    rows = []
    for seed in (0, 1):
        rows += [
            row("wgan", "conv", seed, fid=12, rho=0.1, its=300),
            row("dcgan", "conv", seed, fid=12, rho=0.9, its=900),
            row("wgan", "conv-nobn", seed, fid=15, rho=0.2),
            row("dcgan", "conv-nobn", seed, fid=16, rho=0.8),
            row("wgan", "mlp", seed, fid=18, modes=4, rho=0.3),
            row("dcgan", "mlp", seed, fid=18, modes=10, rho=0.7),
            row("wgan", "conv-bn-first", seed, fid=12.5, rho=0.1),
        ]
    return rows


def verdicts(rows, thresholds=THRESHOLDS):
    result = claims.evaluate_claims(rows, thresholds)
    assert len(result) == len(CLAIM_ORDER)
    assert all(set(c) >= {"claim", "evidence", "verdict"} and c["evidence"] for c in result)
    return dict(zip(CLAIM_ORDER, (c["verdict"] for c in result), strict=True))


def test_all_claims_reproduced():
    assert set(verdicts(paper_grid()).values()) == {"reproduced"}


def test_all_claims_not_reproduced():
    assert set(verdicts(contrary_grid()).values()) == {"not reproduced"}


def test_missing_runs_are_inconclusive():
    assert set(verdicts([]).values()) == {"inconclusive"}
    only_wgan_conv = [row("wgan", "conv", rho=0.9, its=500)]
    got = verdicts(only_wgan_conv)
    assert got["EM tracks"] == "reproduced"
    assert {v for k, v in got.items() if k != "EM tracks"} == {"inconclusive"}


def test_too_few_runs_are_inconclusive():
    got = verdicts(paper_grid(), {**THRESHOLDS, "min_runs": 3})  # two seeds per group
    assert got["conv-nobn"] == got["mlp"] == got["speed"] == "inconclusive"


def test_verdicts_follow_the_thresholds_not_constants():
    assert verdicts(paper_grid(), {**THRESHOLDS, "min_correlation": 0.95})["EM tracks"] == "not reproduced"
    assert verdicts(paper_grid(), {**THRESHOLDS, "fid_margin": 5.0})["conv-bn-first"] == "not reproduced"
    assert verdicts(paper_grid(), {**THRESHOLDS, "min_modes": 11})["mlp"] == "not reproduced"


def test_diverged_counts_as_failure():
    rows = [
        row("wgan", "conv-nobn", fid=15),
        row("wgan", "conv-nobn", 1, status="diverged"),
        row("wgan", "conv-nobn", 2, status="diverged"),
        row("dcgan", "conv-nobn", fid=18),
    ]
    claim = claims.evaluate_claims(rows, THRESHOLDS)[2]
    assert claim["verdict"] == "not reproduced"  # wgan's median is a diverged run
    assert "2 diverged" in claim["evidence"]


def test_neither_reaching_good_fid_is_inconclusive():
    rows = [row("dcgan", "conv", its=None), row("wgan", "conv", its=None)]
    assert verdicts(rows)["speed"] == "inconclusive"
    rows = [row("dcgan", "conv", its=None), row("wgan", "conv", its=900)]
    assert verdicts(rows)["speed"] == "not reproduced"


def test_threshold_mismatch_is_inconclusive():
    got = verdicts(paper_grid(), {**THRESHOLDS, "good_fid": 5.0})
    assert got["speed"] == "inconclusive"


def test_missing_threshold_key_raises():
    with pytest.raises(KeyError, match="fid_margin"):
        claims.evaluate_claims(paper_grid(), {k: v for k, v in THRESHOLDS.items() if k != "fid_margin"})


def test_claims_per_dataset():
    rows = paper_grid() + [{**r, "dataset": "fashion-mnist"} for r in contrary_grid()]
    result = claims.evaluate_claims(rows, THRESHOLDS)
    assert [c["dataset"] for c in result] == ["mnist-5k"] * 6 + ["fashion-mnist"] * 6
    assert {c["verdict"] for c in result[6:]} == {"not reproduced"}


def test_csv_and_markdown(tmp_path):
    rows = paper_grid()
    rows[0]["experiment"] = "odd|name"
    report.write_summary_csv(rows, tmp_path / "summary.csv")
    back = pd.read_csv(tmp_path / "summary.csv")
    assert list(back.columns) == list(runs.SUMMARY_COLUMNS) and len(back) == len(rows)
    # rows read back from the CSV (NaN for None) give the same verdicts
    assert verdicts(back.to_dict("records")) == verdicts(rows)

    result = claims.evaluate_claims(rows, THRESHOLDS)
    floor = {"fid": 1.23, "kid": 0.0, "kid_std": 0.0, "classifier_score": 9.9, "modes_covered": 10, "class_kl": 0.01}
    report.write_summary_markdown(rows, result, floor, tmp_path / "summary.md", thresholds=THRESHOLDS)
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("# ")
    assert "| experiment | status |" in text and "odd\\|name" in text
    assert "Real-data floor" in text and "FID 1.23" in text
    assert "| claim | evidence | verdict |" in text
    assert text.count("**reproduced**") == 6
    assert "min_correlation = 0.6" in text and "diverged at 300" in text
    assert not list(tmp_path.glob(".*"))
