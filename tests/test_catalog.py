"""The Snakemake workflow catalog's standardized usage: `.snakemake-workflow-catalog.yml` with the
keys the catalog reads (usage: mandatory-flags, software-stack-deployment, report), each backed."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def usage():
    return yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text())["usage"]


def test_no_mandatory_flags(usage):
    assert usage["mandatory-flags"] == {"desc": None, "flags": None}


def test_deployed_with_conda_only_and_every_rule_has_an_environment(usage):
    deployment = usage["software-stack-deployment"]
    assert [name for name, works in deployment.items() if works] == ["conda"]
    # every rule names one of these (tests/test_workflow.py checks the paths and the pins)
    assert sorted(p.name for p in (ROOT / "envs").glob("*.yaml")) == ["plot.yaml", "tensorflow.yaml"]


def test_report_is_supported(usage):
    assert usage["report"] is True  # `snakemake --report report.zip` is tests/test_report.py


def test_the_pages_the_catalog_shows_exist():
    assert (ROOT / "config" / "README.md").is_file()  # shown as the configuration section
    readme = (ROOT / "README.md").read_text().lower()
    assert "snakemake" in readme and "workflow" in readme  # how the catalog finds workflows


def test_the_main_snakefile_is_where_the_catalog_looks():
    # With a workflow/ folder present, the catalog (and snakedeploy) take workflow/Snakefile.
    assert (ROOT / "workflow" / "Snakefile").is_file()
