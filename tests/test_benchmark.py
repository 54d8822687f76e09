"""The training benchmark: its quick mode run through Snakemake writes every field of the JSON and
the Markdown table (speeds are never checked: they belong to the machine), and the FLOP counts."""

import json
import os

import pytest

from conftest import copy_workflow, snakemake

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULT_FIELDS = {
    "experiment", "model", "architecture", "width", "generator_width", "n_critic", "batch_size",
    "timed_generator_iterations", "first_call_s", "generator_iterations_per_s", "critic_steps_per_s",
    "images_per_s", "flops_method", "flops_per_critic_step", "flops_per_generator_step",
    "flops_per_generator_iteration", "flops_analytic", "flops_counted", "gflops_per_s",
    "fraction_of_matmul_peak", "fit",
}  # fmt: skip
SPREAD = {"median", "min", "max", "values"}
# Words of the table's columns, in order (model, architecture, width, n_critic, then the measures).
COLUMNS = ("model", "architecture", "width", "n_critic", "critic steps/s", "generator it/s", "images/s",
           "critic step", "generator step", "GFLOP/s", "matmul peak", "fit() it/s", "ours / fit()", "first call")  # fmt: skip
MACHINE = {"cpu_model", "nproc", "threads", "device", "gpu_used", "python", "tensorflow", "keras", "numpy", "platform"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("bench"))
    snakemake("--cores", "2", "benchmark_quick", cwd=root)
    out = root / "results" / "benchmarks"
    return json.loads((out / "training-quick.json").read_text()), (out / "training-quick.md").read_text()


@pytest.mark.slow
def test_quick_benchmark_writes_every_field(quick_run):
    report, table = quick_run
    settings = report["settings"]
    assert MACHINE <= set(report["machine"]) and report["machine"]["threads"] == 2
    assert settings["repetitions"] == len(report["results"][0]["generator_iterations_per_s"]["values"])
    assert SPREAD <= set(report["matmul_peak"]["gflops"]) and report["matmul_peak"]["gflops"]["median"] > 0
    assert {r["model"] for r in report["results"]} == set(settings["models"]) == {"dcgan", "wgan-gp"}
    for row in report["results"]:
        assert RESULT_FIELDS <= set(row), RESULT_FIELDS - set(row)
        for key in ("generator_iterations_per_s", "critic_steps_per_s", "images_per_s", "gflops_per_s"):
            assert SPREAD <= set(row[key]) and row[key]["median"] > 0
        assert row["flops_method"] == "counted" and row["flops_per_critic_step"] > 0
        assert row["flops_per_generator_step"] > 0 and row["fraction_of_matmul_peak"] > 0
        # the two ways of counting agree: the analytic model of the steps is the graph's
        for step in ("critic_step", "generator_step"):
            assert row["flops_analytic"][step] == pytest.approx(row["flops_counted"][step]["flops"], rel=0.1)
        if row["model"] in settings["fit_models"]:
            assert {"jit_compile", "first_call_s", "generator_iterations_per_s", "ours_over_fit"} <= set(row["fit"])
            assert row["fit"]["ours_over_fit"]["median"] > 0
        else:
            assert row["fit"] is None
    # the WGAN-GP critic step pays for the penalty's double backward
    by_model = {r["model"]: r for r in report["results"]}
    assert by_model["wgan-gp"]["flops_per_critic_step"] > 1.5 * by_model["dcgan"]["flops_per_critic_step"]

    header, rule, *rows = [line for line in table.splitlines() if line.startswith("|")]
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[:4] == ["model", "architecture", "width", "n_critic"] and len(columns) == len(COLUMNS)
    assert all(any(word in column for column in columns) for word in COLUMNS)
    assert len(rows) == len(report["results"])
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(columns) and all(cells)
    assert "matmul peak" in table and report["machine"]["cpu_model"] in table
