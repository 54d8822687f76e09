"""The training benchmark: its quick mode run through Snakemake writes every field of the JSON and
the Markdown table, in both precisions and their ratio (speeds are never checked: they belong to
the machine), and the FLOP counts."""

import json
import os

import pytest
from conftest import copy_workflow, snakemake

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULT_FIELDS = {
    "experiment", "model", "architecture", "width", "generator_width", "precision", "n_critic", "batch_size",
    "timed_generator_iterations", "first_call_s", "generator_iterations_per_s", "critic_steps_per_s",
    "images_per_s", "flops_method", "flops_per_critic_step", "flops_per_generator_step",
    "flops_per_generator_iteration", "flops_analytic", "flops_counted", "gflops_per_s",
    "fraction_of_matmul_peak", "fraction_of_bfloat16_matmul_peak", "fit",
}  # fmt: skip
SPREAD = {"median", "min", "max", "values"}
# Words of the table's columns, in order (model, architecture, width, precision, n_critic, then the measures).
COLUMNS = ("model", "architecture", "width", "precision", "n_critic", "critic steps/s", "generator it/s", "images/s",
           "critic step", "generator step", "GFLOP/s", "float32 matmul peak", "bfloat16 matmul peak", "fit() it/s",
           "ours / fit()", "first call")  # fmt: skip
PRECISIONS = ["float32", "mixed_bfloat16"]
RATIO = {"experiment", "model", "architecture", "width", "precision", "over", "critic_steps_per_s_ratio"}
MACHINE = {
    "cpu_model",
    "nproc",
    "threads",
    "cores",
    "device",
    "gpu_used",
    "python",
    "tensorflow",
    "keras",
    "numpy",
    "platform",
}
LAYOUT = {
    "experiment",
    "model",
    "architecture",
    "width",
    "one_process_all_threads",
    "single_thread_processes",
    "single_over_one",
}


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
    # the table at a training job's threads (resources.train_threads), the layouts on all --cores
    assert MACHINE <= set(report["machine"]) and report["machine"]["threads"] == 1 and report["machine"]["cores"] == 2
    assert settings["repetitions"] == len(report["results"][0]["generator_iterations_per_s"]["values"])
    assert SPREAD <= set(report["matmul_peak"]["gflops"]) and report["matmul_peak"]["gflops"]["median"] > 0
    assert {r["model"] for r in report["results"]} == set(settings["models"]) == {"dcgan", "wgan-gp"}
    # a row per (model, architecture, width, precision), the precisions of one experiment side by side
    assert report["precisions"] == settings["precisions"] == PRECISIONS
    assert [r["precision"] for r in report["results"]] == PRECISIONS * len(settings["models"])
    for row in report["results"]:
        assert RESULT_FIELDS <= set(row), RESULT_FIELDS - set(row)
        for key in ("generator_iterations_per_s", "critic_steps_per_s", "images_per_s", "gflops_per_s"):
            assert SPREAD <= set(row[key]) and row[key]["median"] > 0
        assert row["flops_method"] == "counted" and row["flops_per_critic_step"] > 0
        assert row["flops_per_generator_step"] > 0 and row["fraction_of_matmul_peak"] > 0
        # bfloat16 rows also against the bfloat16 peak; float32 rows against the float32 one only
        if row["precision"] == "mixed_bfloat16":
            assert row["fraction_of_bfloat16_matmul_peak"] > 0
        else:
            assert row["fraction_of_bfloat16_matmul_peak"] is None
        # the two ways of counting agree: the analytic model of the steps is the graph's
        for step in ("critic_step", "generator_step"):
            assert row["flops_analytic"][step] == pytest.approx(row["flops_counted"][step]["flops"], rel=0.1)
        if row["model"] in settings["fit_models"] and row["precision"] == "float32":  # fit() is the float32 baseline
            assert {"jit_compile", "first_call_s", "generator_iterations_per_s", "ours_over_fit"} <= set(row["fit"])
            assert row["fit"]["ours_over_fit"]["median"] > 0
        else:
            assert row["fit"] is None
    # the WGAN-GP critic step pays for the penalty's double backward
    by_model = {r["model"]: r for r in report["results"]}
    assert by_model["wgan-gp"]["flops_per_critic_step"] > 1.5 * by_model["dcgan"]["flops_per_critic_step"]

    main_table = table.split("\n## ")[0]  # then: where the time goes, thread layouts
    header, rule, *rows = [line for line in main_table.splitlines() if line.startswith("|")]
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[:5] == ["model", "architecture", "width", "precision", "n_critic"] and len(columns) == len(COLUMNS)
    assert all(any(word in column for column in columns) for word in COLUMNS)
    assert len(rows) == len(report["results"])
    for line, row in zip(rows, report["results"], strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(columns) and all(cells) and cells[3] == row["precision"]
    assert "matmul peak" in table and report["machine"]["cpu_model"] in table


@pytest.mark.slow
def test_quick_benchmark_compares_the_precisions(quick_run):
    """bfloat16 over float32 per experiment (per-repetition ratios), both matmul peaks, and what
    `auto` picks here and why."""
    report, table = quick_run
    assert [(q["model"], q["precision"], q["over"]) for q in report["precision_ratios"]] == [
        (model, "mixed_bfloat16", "float32") for model in report["settings"]["models"]
    ]
    for ratio in report["precision_ratios"]:
        assert RATIO <= set(ratio) and SPREAD <= set(ratio["critic_steps_per_s_ratio"])
        assert ratio["critic_steps_per_s_ratio"]["median"] > 0 and ratio["critic_steps_per_s_ratio"]["min"] > 0
        assert len(ratio["critic_steps_per_s_ratio"]["values"]) == report["settings"]["repetitions"]
    for key, dtype in (("matmul_peak", "float32"), ("matmul_peak_bfloat16", "bfloat16")):
        assert report[key]["dtype"] == dtype and report[key]["gflops"]["median"] > 0
    auto = report["auto_precision"]
    assert auto["policy"] in PRECISIONS and auto["reason"].startswith("auto:")
    assert set(auto["cpu_bf16_flags"]) == {"avx512_bf16", "amx_bf16"}

    section = table.split("## Precision")[1].split("\n## ")[0]
    assert f"picks **{auto['policy']}**" in section and auto["reason"] in section and "avx512_bf16" in section
    header, rule, *rows = [line for line in section.splitlines() if line.startswith("|")]
    assert "precision" in header and "over float32" in header and len(rows) == len(report["precision_ratios"])
    assert all("mixed_bfloat16" in line for line in rows)


@pytest.mark.slow
def test_quick_benchmark_compares_thread_layouts(quick_run):
    """One 2-thread training process against two 1-thread processes at once, per layout model."""
    report, table = quick_run
    layouts = report["thread_layouts"]
    assert layouts["cores"] == 2 and layouts["repetitions"] == report["settings"]["layout_repetitions"]
    assert [r["model"] for r in layouts["results"]] == report["settings"]["layout_models"] == ["dcgan"]
    for row in layouts["results"]:
        assert LAYOUT <= set(row)
        for key in ("one_process_all_threads", "single_thread_processes", "single_over_one"):
            assert SPREAD <= set(row[key]) and row[key]["median"] > 0
            assert len(row[key]["values"]) == layouts["repetitions"]
    header, rule, *rows = [line for line in table.split("## Thread layouts")[1].splitlines() if line.startswith("|")]
    assert "2 x 1 thread" in header and "1 x 2 threads" in header and len(rows) == len(layouts["results"])


@pytest.mark.slow
def test_quick_benchmark_says_where_the_time_goes(quick_run):
    """The profiler's op-type shares of a step, the critic's conv kernels and the generator's
    transposed convs timed alone."""
    report, table = quick_run
    where = report["where_time_goes"]
    assert [p["model"] for p in where["profiles"]] == report["settings"]["profile_models"] == ["dcgan"]
    profile = where["profiles"][0]
    assert profile["op_s_per_iteration"] > 0 and profile["wall_s_per_iteration_traced"] > 0
    assert sum(profile["share_by_op_type"].values()) == pytest.approx(1.0)
    assert any(op.startswith("Conv2DBackprop") for op in profile["share_by_op_type"])  # the backward passes
    assert not {"Process", "Record"} & set(profile["share_by_op_type"])  # wrappers, not ops
    assert len(where["critic_conv_kernels"]) == 2  # the DCGAN critic: 28 -> 14 -> 7
    for kernel in where["critic_conv_kernels"]:
        assert kernel["mflop"] > 0
        assert all(
            kernel[k]["gflops"] > 0 and kernel[k]["ms"] > 0 for k in ("forward", "input_gradient", "filter_gradient")
        )
    # the DCGAN generator's two: 7x7 -> 14x14 (Keras' layer) and 14x14 -> 28x28x1 (the sub-pixel one)
    assert [g["layer"].split(", ")[1] for g in where["generator_layers"]] == [
        "Conv2DTranspose",
        "SubPixelConv2DTranspose",
    ]
    for layer in where["generator_layers"]:
        assert layer["mflop"] > 0
        assert all(layer[k]["gflops"] > 0 and layer[k]["ms"] > 0 for k in ("forward", "forward_and_gradients"))
    section = table.split("## Where the time goes")[1].split("## Thread layouts")[0]
    assert "Conv2D" in section and "filter gradient" in section
    assert sum(line.startswith("| 28x28x1 -> 14x14x") for line in section.splitlines()) == 1
    assert sum(line.startswith("| 14x14x") and "SubPixelConv2DTranspose" in line for line in section.splitlines()) == 1


def test_settings_have_one_set_of_defaults():
    """The rule passes only overrides: unknown names fail, and the quick run wins over them."""
    from wganlib.bench.settings import QUICK, BenchSettings

    assert BenchSettings.from_params({}) == BenchSettings()
    assert BenchSettings.from_params({"widths": [16]}).widths == [16]
    assert BenchSettings.from_params({"widths": [16]}, quick=True).widths == QUICK["widths"]
    assert BenchSettings().precisions == QUICK["precisions"] == ["float32", "mixed_bfloat16"]
    with pytest.raises(ValueError, match="widht"):
        BenchSettings.from_params({"widht": [16]})


@pytest.mark.slow
def test_fit_baseline_trains_with_the_objective_table():
    """The fit() baseline's step is the model's row of OBJECTIVES: WGAN's critic ends clipped."""
    import numpy as np
    from wganlib.bench.fit_baseline import keras_example_model
    from wganlib.bench.settings import BenchSettings

    settings = BenchSettings(batch_size=8, z_dim=4)
    (exp,) = settings.experiments(["wgan"], ["conv"], width=4)
    model = keras_example_model(exp)
    real = np.random.default_rng(0).uniform(-1, 1, (exp.batch_size, 28, 28, 1)).astype(np.float32)
    history = model.fit(real, epochs=1, batch_size=exp.batch_size, shuffle=False, verbose=0)
    assert np.isfinite(history.history["critic_loss"]).all()
    assert max(float(np.abs(w.numpy()).max()) for w in model.critic.trainable_weights) <= exp.clip_value + 1e-7
