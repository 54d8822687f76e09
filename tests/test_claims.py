"""The claim verdicts, on rows built to give each verdict, and the summary files."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from wganlib import claims, report, runs

THRESHOLDS = {"min_correlation": 0.6, "good_fid": 20.0, "fid_margin": 1.5, "min_modes": 8}
CLAIM_ORDER = ["EM tracks", "JS does not", "conv-nobn", "mlp", "conv-bn-first", "speed", "speed in seconds"]


def row(
    model,
    architecture,
    seed=0,
    *,
    fid=10.0,
    modes=10,
    status="completed",
    rho=math.nan,
    its=None,
    secs=None,
    dataset="mnist-5k",
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
        "seconds_to_threshold": secs if secs is not None else (None if its is None else its / 2),
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
    n = len(CLAIM_ORDER)
    assert [c["dataset"] for c in result] == ["mnist-5k"] * n + ["fashion-mnist"] * n
    assert {c["verdict"] for c in result[n:]} == {"not reproduced"}


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
    assert text.count("**reproduced**") == len(CLAIM_ORDER)
    assert "min_correlation = 0.6" in text and "diverged at 300" in text
    assert not list(tmp_path.glob(".*"))


# -- "not reproduced" only when the runs it rests on converged ---------------------------------


@pytest.mark.parametrize("state", ["still improving", "not started", "too few snapshots"])
def test_not_reproduced_becomes_inconclusive_when_a_run_has_not_converged(state):
    rows = contrary_grid()
    assert verdicts(rows)["conv-nobn"] == "not reproduced"
    for r in rows:
        if r["experiment"] == "wgan-conv-nobn-s0":
            r["convergence"] = state
    verdict = verdicts(rows)["conv-nobn"]
    assert verdict == f"inconclusive: {state} (wgan-conv-nobn-s0)"
    assert verdicts(rows)["mlp"] == "not reproduced"  # a claim that does not rest on that run


def test_a_diverged_or_plateaued_run_keeps_the_verdict():
    rows = contrary_grid()
    for r in rows:
        r["convergence"] = "diverged" if r["status"] == "diverged" else "plateaued"
    assert set(verdicts(rows).values()) == {"not reproduced"}


def test_an_unconverged_run_does_not_touch_a_reproduced_verdict():
    rows = paper_grid()
    for r in rows:
        r["convergence"] = "still improving"
    assert set(verdicts(rows).values()) == {"reproduced"}


def test_speed_is_judged_in_generator_iterations_and_in_seconds_apart():
    """WGAN's iterations cost 5 critic updates (and bursts of 100): fewer iterations can still be
    more seconds."""
    rows = [row("dcgan", "conv", its=600, secs=60), row("wgan", "conv", its=300, secs=240)]
    result = verdicts(rows)
    assert (result["speed"], result["speed in seconds"]) == ("not reproduced", "reproduced")
    evidence = {c["claim"]: c["evidence"] for c in claims.evaluate_claims(rows, THRESHOLDS)}
    assert any("wall-clock seconds to FID <= 20.0: dcgan median 60" in e for e in evidence.values())
