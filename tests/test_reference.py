"""The reference study committed in docs/reference: its summary is what the code computes from
its committed run files, so the reference cannot drift from the code that made it."""

import re
from pathlib import Path

import pandas as pd
from snakemake.utils import update_config
from wganlib import config as cfg
from wganlib.runs import load_json, load_runs
from wganlib.summary import write_summary

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
DATASET = "mnist-5k"


def study_config(folder: Path) -> dict:
    """config.yaml with study.yaml over it, as `--configfile config/study.yaml` merges them."""
    files = [folder / "config.yaml", folder / "study.yaml"]
    merged = cfg.read_yaml(files[0])
    update_config(merged, cfg.read_yaml(files[1]))
    merged["overrides"] = cfg.overrides_in_file_order(merged.get("overrides"), files)
    return cfg.validate(merged, source=str(folder))


def reference_config() -> dict:
    return study_config(REFERENCE)


def reference_grid(config: dict) -> list[dict]:
    return [
        {
            "experiment": e.name,
            "dataset": e.dataset,
            "model": e.model,
            "architecture": e.architecture,
            "seed": e.seed,
            "dir": REFERENCE / "runs" / e.name,
        }
        for (dataset, _), e in cfg.experiments(config).items()
        if dataset == DATASET
    ]


def test_the_reference_is_the_study_of_today():
    """The study the reference ran is the repository's, experiment by experiment and threshold by
    threshold (comments may differ): a changed study needs a new reference run."""
    reference, today = reference_config(), study_config(ROOT / "config")
    assert cfg.experiments(reference) == cfg.experiments(today)
    for section in ("claims", "figures", "evaluation", "datasets"):
        assert reference[section] == today[section], section
    grid = reference_grid(reference)
    assert {c["seed"] for c in grid} == {0, 1, 2} and len(grid) == 36
    assert sorted(p.name for p in (REFERENCE / "runs").iterdir()) == sorted(c["experiment"] for c in grid)


def test_the_committed_summary_is_what_summary_computes(tmp_path):
    config = reference_config()
    verdicts = write_summary(
        load_runs(reference_grid(config)),
        load_json(REFERENCE / "real_floor.json"),
        config["claims"],
        config["figures"]["median_window"],
        tmp_path / "summary.csv",
        tmp_path / "summary.md",
    )
    assert (tmp_path / "summary.md").read_text() == (REFERENCE / "summary.md").read_text()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "summary.csv"), pd.read_csv(REFERENCE / "summary.csv"))
    assert all(v["seeds"] == 3 for v in verdicts if v["verdict"] != "inconclusive")


def test_the_readme_states_the_reference_verdicts():
    """The README's findings, claim by claim in the summary's order: each bullet gives its claim's
    verdict (the runs it names may be left out) and how many seeds agree."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## What this pipeline found", 1)[1].split("\n## ", 1)[0]
    assert "docs/reference" in section
    bullets = [" ".join(b.split()) for b in re.split(r"\n- ", section)[1:]]
    summary = (REFERENCE / "summary.md").read_text().split("## Claims", 1)[1]
    claims = [line.split(" | ") for line in summary.splitlines() if line.startswith("| ") and "**" in line]
    assert len(bullets) >= len(claims) == 7
    for bullet, cells in zip(bullets, claims, strict=False):
        verdict, agreeing = cells[-1].strip(" |*").split(" (")[0], cells[-2].strip()
        assert verdict in bullet and agreeing in bullet, (cells[0], bullet[:200])
