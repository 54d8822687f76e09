"""`snakemake --report report.zip` on the finished tiny grid: items labelled by model, architecture
and seed (the results table sorts and filters by them), captions in plain words."""

import json
import re
import zipfile

import pytest
from conftest import TINY, snakemake

pytestmark = pytest.mark.slow


def report_data(html: str, script_id: str):
    """One of the JSON values the report page embeds (`<script id="results"> var results = {...};`)."""
    match = re.search(rf'<script id="{script_id}">\s*var \w+ = (.*?);\s*</script>', html, re.DOTALL)
    assert match, script_id
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def report(tiny_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.zip"
    snakemake("--report", str(path), cwd=tiny_run)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        html = archive.read("report/report.html").decode()
    return names, html


def test_the_zip_holds_the_page_and_every_reported_file(report):
    names, html = report
    files = [n for n in names if n.startswith("report/data/raw/")]
    experiments = len(TINY["models"]) * len(TINY["architectures"]) * len(TINY["seeds"])
    # 5 figures, the claims table, a sample sheet and a frame sheet per experiment
    assert len(files) == 6 + 2 * experiments
    assert len(report_data(html, "results")) == len(files)


def test_experiment_items_are_labelled_by_model_architecture_and_seed(report):
    results = report_data(report[1], "results")
    sheets = {
        path: item
        for path, item in results.items()
        if path.endswith(("/samples.png", "/training_frames.png")) and "/figures/" not in path
    }
    assert len(sheets) == 2 * len(TINY["models"]) * len(TINY["architectures"])
    for path, item in sheets.items():
        model, architecture, seed = re.match(r"results/[^/]+/(.+)-([^-]+)-s(\d+)/", path).groups()
        assert item["labels"] == {"model": model, "architecture": architecture, "seed": int(seed)}, path
    others = [item["labels"] for path, item in results.items() if path not in sheets]
    assert others and all(set(labels) == {"figure"} for labels in others)


def test_captions_are_plain_text(report):
    html = report[1]
    description = report_data(html, "workflow-desc")
    models = ", ".join(TINY["models"])
    assert f"Datasets: mnist-5k; models: {models}; architectures: conv; seeds: 0." in " ".join(description.split())
    captions = [description] + [item["caption"] for item in report_data(html, "results").values()]
    for caption in captions:
        assert not re.search(r"[\[\]{}]", caption), caption  # no Python lists, no Jinja left over
    samples = report_data(html, "results")["results/mnist-5k/wgan-conv-s0/samples.png"]["caption"]
    assert samples.startswith("<p>Final samples of wgan-conv-s0,")
