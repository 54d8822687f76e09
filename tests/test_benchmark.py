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
MACHINE = {"cpu_model", "nproc", "threads", "device", "gpu_used", "python", "tensorflow", "keras", "numpy", "platform"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("bench"))
    snakefile = root / "Snakefile"
    if "benchmark.smk" not in snakefile.read_text():  # until the Snakefile includes it
        snakefile.write_text(snakefile.read_text() + '\n\ninclude: "workflow/rules/benchmark.smk"\n')
    snakemake("--cores", "2", "benchmark_quick", cwd=root)
    out = root / "results" / "benchmarks"
    return json.loads((out / "training-quick.json").read_text()), (out / "training-quick.md").read_text()


@pytest.mark.slow
def test_quick_benchmark_writes_every_field(quick_run):
    from wganlib import bench

    report, table = quick_run
    assert MACHINE <= set(report["machine"]) and report["machine"]["threads"] == 2
    assert report["settings"]["repetitions"] == len(report["results"][0]["generator_iterations_per_s"]["values"])
    assert SPREAD <= set(report["matmul_peak"]["gflops"]) and report["matmul_peak"]["gflops"]["median"] > 0
    assert {r["model"] for r in report["results"]} == set(bench.QUICK["models"])
    for row in report["results"]:
        assert RESULT_FIELDS <= set(row), RESULT_FIELDS - set(row)
        for key in ("generator_iterations_per_s", "critic_steps_per_s", "images_per_s", "gflops_per_s"):
            assert SPREAD <= set(row[key]) and row[key]["median"] > 0
        assert row["flops_method"] == "counted" and row["flops_per_critic_step"] > 0
        assert row["flops_per_generator_step"] > 0 and row["fraction_of_matmul_peak"] > 0
        # the two ways of counting agree: the analytic model of the steps is the graph's
        for step in ("critic_step", "generator_step"):
            assert row["flops_analytic"][step] == pytest.approx(row["flops_counted"][step]["flops"], rel=0.1)
        if row["model"] in bench.QUICK["fit_models"]:
            assert {"jit_compile", "first_call_s", "generator_iterations_per_s", "ours_over_fit"} <= set(row["fit"])
            assert row["fit"]["ours_over_fit"]["median"] > 0
        else:
            assert row["fit"] is None
    # the WGAN-GP critic step pays for the penalty's double backward
    by_model = {r["model"]: r for r in report["results"]}
    assert by_model["wgan-gp"]["flops_per_critic_step"] > 1.5 * by_model["dcgan"]["flops_per_critic_step"]

    header, rule, *rows = [line for line in table.splitlines() if line.startswith("|")]
    assert [c.strip() for c in header.strip("|").split("|")] == list(bench.TABLE_COLUMNS)
    assert len(rows) == len(report["results"])
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(bench.TABLE_COLUMNS) and all(cells)
    assert "matmul peak" in table and report["machine"]["cpu_model"] in table
