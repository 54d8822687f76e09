"""The reference runs committed in docs/reference (the five-seed study), docs/reference/robustness
(the random-architecture sweep), docs/reference/stacked-mnist (mode collapse) and
docs/reference/default-run (`make run`): each summary is what the code computes from its committed run
files, so a reference cannot drift from the code that made it."""

import re
from pathlib import Path

import pandas as pd
import pytest
from snakemake.utils import update_config
from wganlib.plan import config as cfg
from wganlib.report.summary import write_summary
from wganlib.verdicts import mode_claims, robustness
from wganlib.verdicts.claims import ROBUSTNESS_CLAIM
from wganlib.verdicts.runs import load_json, load_runs

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"


# name -> (folder, the config file it ran with over config.yaml, its dataset, seeds, runs)
REFERENCES = {
    "study": (REFERENCE, "study.yaml", "mnist-5k", {0, 1, 2, 3, 4}, 60),
    "robustness": (REFERENCE / "robustness", "robustness.yaml", "mnist-5k", {0}, 120),
    "stacked-mnist": (REFERENCE / "stacked-mnist", "stacked-mnist.yaml", "stacked-mnist", {0, 1, 2}, 27),
    # the default run (`make run`): config.yaml alone, merged over itself
    "default-run": (REFERENCE / "default-run", "config.yaml", "mnist-5k", {0}, 12),
}


def study_config(folder: Path, study: str) -> dict:
    """config.yaml with ``study`` over it, as `--configfile config/{study}` merges them."""
    files = [folder / "config.yaml", folder / study]
    merged = cfg.read_yaml(files[0])
    update_config(merged, cfg.read_yaml(files[1]))
    ordered = cfg.overrides_in_file_order(merged.get("overrides"), files)
    merged["overrides"] = cfg.without_replaced_overrides(ordered, files, cfg.MODELS)
    return cfg.validate(merged, source=str(folder))


def reference_grid(config: dict, folder: Path, dataset: str) -> list[dict]:
    return [
        {
            "experiment": e.name,
            "dataset": e.dataset,
            "model": e.model,
            "architecture": e.architecture,
            "seed": e.seed,
            "dir": folder / "runs" / e.name,
        }
        for (name, _), e in cfg.experiments(config).items()
        if name == dataset
    ]


def random_architectures(config: dict) -> dict:
    """What the summary rule passes on about the random architectures (workflow/rules/common.smk)."""
    definitions = config["architecture_definitions"]
    return {
        "fid_levels": config["robustness"]["fid_levels"],
        "min_modes": config["claims"]["min_modes"],
        "architectures": {name: definitions[name] for name in config["architectures"] if robustness.is_random(name)},
    }


@pytest.mark.parametrize("name", REFERENCES)
def test_the_reference_is_the_study_of_today(name):
    """The study the reference ran is the repository's, experiment by experiment (architectures
    included) and threshold by threshold (comments may differ): a changed study needs a new
    reference run."""
    folder, study, dataset, seeds, runs = REFERENCES[name]
    reference, today = study_config(folder, study), study_config(ROOT / "config", study)
    assert cfg.experiments(reference) == cfg.experiments(today)
    for section in ("claims", "figures", "evaluation", "datasets", "robustness"):
        assert reference[section] == today[section], section
    grid = reference_grid(reference, folder, dataset)
    assert {c["seed"] for c in grid} == seeds and len(grid) == runs
    assert sorted(p.name for p in (folder / "runs").iterdir()) == sorted(c["experiment"] for c in grid)


def summarise(name: str, out: Path) -> list[dict]:
    """The reference's summary.csv and summary.md written into ``out`` by today's code, from its
    committed run files (docs/evidence/recompute_references.py writes them into the reference)."""
    folder, study, dataset, _, _ = REFERENCES[name]
    config = study_config(folder, study)
    return write_summary(
        load_runs(reference_grid(config, folder, dataset)),
        load_json(folder / "real_floor.json"),
        config["claims"],
        config["figures"]["median_window"],
        out / "summary.csv",
        out / "summary.md",
        random_architectures(config),
    )


@pytest.mark.parametrize("name", REFERENCES)
def test_the_committed_summary_is_what_summary_computes(name, tmp_path):
    folder, _, _, seeds, _ = REFERENCES[name]
    verdicts = summarise(name, tmp_path)
    assert (tmp_path / "summary.md").read_text() == (folder / "summary.md").read_text()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "summary.csv"), pd.read_csv(folder / "summary.csv"))
    assert all(v["seeds"] == len(seeds) for v in verdicts if v["verdict"] != "inconclusive")


# The median over seeds and its interval, as a claims row's evidence states them; the tracking
# claims' between-seed statistic and its permutation p.
MEDIAN = re.compile(r"median [^;]*?(-?[\d.]+), [\d.]+ % order-statistic interval over seeds (\[[^\]]+\])")
TRACKING = re.compile(r"mean (-?[\d.]+), permutation p = ([\d.e-]+)")


def claims_rows(summary: str) -> list[list[str]]:
    """The cells of each row of a summary's claims table."""
    table = summary.split("## Claims", 1)[1]
    return [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and "**" in line]


def verdict_and_agreeing(cells: list[str]) -> tuple[str, str]:
    """A claims row's verdict (without the runs it names) and how many seeds agree."""
    return cells[-1].strip(" |*").split(" (")[0], cells[-2].strip()


def test_the_readme_states_the_reference_verdicts():
    """The README's table of findings, claim by claim in the summary's order, then the sweep's:
    each row gives its claim's verdict, how many seeds (architectures) agree, and the median and
    interval as the committed summaries state them."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## What this pipeline found", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    assert "docs/reference" in section and "docs/findings.md" in section
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("|")][2:]  # after the header
    study = claims_rows((REFERENCE / "summary.md").read_text())
    sweep = [c for c in claims_rows((REFERENCE / "robustness" / "summary.md").read_text()) if ROBUSTNESS_CLAIM in c[0]]
    assert len(study) == 7 and len(sweep) == 1 and len(rows) == len(study) + 1
    for row, cells in zip(rows, study + sweep, strict=True):
        verdict, agreeing = verdict_and_agreeing(cells)
        assert row[1].strip() == verdict and row[2].strip() == agreeing, (cells[0], row)
    for row, cells in zip(rows, study, strict=False):
        median, tracked = MEDIAN.search(cells[1]), TRACKING.search(cells[1])
        assert median or tracked, cells[0]
        if median:
            assert " ".join(median.groups()) in row[3], (cells[0], row[3])
        else:  # the statistic and its p
            assert f"{tracked[1]}, p = {tracked[2]}" in row[3], (cells[0], row[3])
    counts = re.search(r"(only WGAN \d+, only the GAN \d+),", sweep[0][1])
    interval = re.search(r"score interval (\[[^\]]+\])", sweep[0][1])
    assert counts[1] in rows[-1][3] and interval[1] in rows[-1][3], rows[-1][3]


def test_the_readme_states_the_stacked_mnist_verdicts():
    """The README's Stacked MNIST table: the mode-collapse claims in the summary's order, each with
    its verdict and seeds agreeing, and each model's modes of 1,000 (median and range over seeds)
    as the summary's comparison with the literature has them."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Mode collapse on Stacked MNIST", 1)[1].split("\n## ", 1)[0]
    assert "docs/reference/stacked-mnist" in section
    summary = (REFERENCE / "stacked-mnist" / "summary.md").read_text()
    names = {c.claim for c in mode_claims.MODE_CLAIMS}
    claims = [c for c in claims_rows(summary) if c[0].strip("| ") in names]
    tables = [[line.split(" | ") for line in t.splitlines() if line.startswith("|")][2:] for t in section.split("\n\n")]
    verdict_rows, mode_rows = [t for t in tables if t]
    assert len(claims) == len(verdict_rows) == len(names)
    for row, cells in zip(verdict_rows, claims, strict=True):
        verdict, agreeing = verdict_and_agreeing(cells)
        assert row[1].strip() == verdict and row[2].strip() == agreeing, (cells[0], row)
    ours = {  # "dcgan conv" -> "975 (960–990)"
        line.split(" | ")[0].removeprefix("| here: ").split(" (")[0]: line.split(" | ")[1]
        for line in summary.split("## Stacked MNIST modes against the literature", 1)[1].splitlines()
        if line.startswith("| here: ")
    }
    models = ("dcgan", "wgan", "wgan-gp")  # the columns after the architecture's
    assert {row[0].strip("| `") for row in mode_rows} == {key.split()[1] for key in ours if key.split()[0] in models}
    for row in mode_rows:
        for model, cell in zip(models, row[1:], strict=True):
            assert cell.strip(" |") == ours[f"{model} {row[0].strip('| `')}"], (model, row)
    assert f"{ours['real training images']} of 1,000" in section


def test_the_findings_page_states_the_reference_verdicts():
    """docs/findings.md, claim by claim in the summary's order: each bullet gives its claim's
    verdict (the runs it names may be left out) and how many seeds agree."""
    page = (ROOT / "docs" / "findings.md").read_text()
    section = page.split("## The five-seed study", 1)[1].split("\n## ", 1)[0]
    bullets = [" ".join(b.split()) for b in re.split(r"\n- ", section)[1:]]
    claims = claims_rows((REFERENCE / "summary.md").read_text())
    assert len(bullets) == len(claims) == 7
    for bullet, cells in zip(bullets, claims, strict=True):
        verdict, agreeing = verdict_and_agreeing(cells)
        assert verdict in bullet and agreeing in bullet, (cells[0], bullet[:200])


def test_the_findings_page_states_the_stacked_mnist_verdicts():
    """docs/findings.md's Stacked MNIST section: a bullet per mode claim in the summary's order,
    each with its verdict and seeds agreeing; its table has each model's modes as the summary's."""
    page = (ROOT / "docs" / "findings.md").read_text()
    section = page.split("## Mode collapse on Stacked MNIST", 1)[1].split("\n## ", 1)[0]
    bullets = [" ".join(b.split()) for b in re.split(r"\n- ", section.split("\n\n- ", 1)[1])]
    summary = (REFERENCE / "stacked-mnist" / "summary.md").read_text()
    names = [c.claim for c in mode_claims.MODE_CLAIMS]
    claims = sorted(
        (c for c in claims_rows(summary) if c[0].strip("| ") in names), key=lambda c: names.index(c[0].strip("| "))
    )
    assert len(claims) == 6 and len(bullets) == 5  # the two recall claims of the conv networks share a bullet
    for bullet, cells in zip([0, 1, 2, 2, 3, 4], claims, strict=True):
        verdict, agreeing = verdict_and_agreeing(cells)
        assert verdict in bullets[bullet] and agreeing in bullets[bullet], (cells[0], bullets[bullet][:200])
    for line in summary.split("## Stacked MNIST modes against the literature", 1)[1].splitlines():
        if line.startswith("| here: ") and "real training" not in line:
            model, architecture = line.removeprefix("| here: ").split(" (")[0].split()
            name = {"dcgan": "GAN", "wgan": "WGAN", "wgan-gp": "WGAN-GP"}[model]
            modes, kl = line.split(" | ")[1:3]
            assert f"| `{architecture}` | {name} | {modes} | {kl.strip(' |')} |" in section, line


def test_the_findings_page_states_the_sweep_counts():
    """docs/findings.md's section on the random architectures gives the sweep's verdict, its counts
    and its interval as the committed summary has them."""
    page = (ROOT / "docs" / "findings.md").read_text()
    section = " ".join(page.split("## Is WGAN robust to the architecture?", 1)[1].split("\n## ", 1)[0].split())
    summary = (REFERENCE / "robustness" / "summary.md").read_text()
    row = next(line for line in summary.splitlines() if line.startswith(f"| {ROBUSTNESS_CLAIM} |"))
    verdict = row.rsplit("|", 2)[-2].strip(" *")
    counts = re.search(r"only WGAN (\d+), only the GAN (\d+), both (\d+), neither (\d+)", row)
    interval = re.search(r"score interval (\[[^\]]+\])", row)
    assert verdict.split(" (")[0] in section.lower(), verdict
    wgan, gan, both, neither = counts.groups()
    expected = [f"Only WGAN succeeded on {wgan}", f"only the GAN on {gan}", f"both on {both}", f"neither on {neither}"]
    for text in expected + [interval[1]]:
        assert text in section, text
