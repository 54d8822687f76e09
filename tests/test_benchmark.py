"""The training benchmark: its quick mode run through Snakemake writes every field of the JSON and
the Markdown table, in both precisions and their ratio (speeds are never checked: they belong to
the machine), and the FLOP counts."""

import json
import os

import pytest
from conftest import copy_workflow, snakemake

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULT_FIELDS = {
    "experiment", "dataset", "image", "model", "architecture", "width", "generator_width", "precision", "n_critic", "batch_size",
    "timed_generator_iterations", "first_call_s", "generator_iterations_per_s", "critic_steps_per_s",
    "images_per_s", "flops_method", "flops_per_critic_step", "flops_per_generator_step",
    "flops_per_generator_iteration", "flops_analytic", "flops_counted", "gflops_per_s",
    "fraction_of_matmul_peak", "fraction_of_bfloat16_matmul_peak", "fit",
}  # fmt: skip
SPREAD = {"median", "min", "max", "values"}
# Words of the table's columns, in order (image, model, architecture, width, precision, n_critic, then the measures).
COLUMNS = ("image", "model", "architecture", "width", "precision", "n_critic", "critic steps/s", "generator it/s", "images/s",
           "critic step", "generator step", "GFLOP/s", "float32 matmul peak", "bfloat16 matmul peak", "fit() it/s",
           "ours / fit()", "first call")  # fmt: skip
PRECISIONS = ["float32", "mixed_bfloat16"]
# The rows' images in order: MNIST's networks, then CIFAR-10's and the paper's LSUN bedrooms' (QUICK's image_datasets).
IMAGES = [("mnist-5k", "28x28x1"), ("cifar10", "32x32x3"), ("lsun-bedroom", "64x64x3")]
RATIO = {
    "experiment",
    "dataset",
    "image",
    "model",
    "architecture",
    "width",
    "precision",
    "over",
    "critic_steps_per_s_ratio",
}
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
    # ... for MNIST's networks, then the colour ones at 32 and 64 pixels (the paper's setting)
    assert [(r["dataset"], r["image"], r["model"], r["precision"]) for r in report["results"]] == [
        (*image, model, precision) for image in IMAGES for model in settings["models"] for precision in PRECISIONS
    ]
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
        # fit() is the float32 baseline, of MNIST's networks only
        if row["image"] == "28x28x1" and row["model"] in settings["fit_models"] and row["precision"] == "float32":
            assert {"jit_compile", "first_call_s", "generator_iterations_per_s", "ours_over_fit"} <= set(row["fit"])
            assert row["fit"]["ours_over_fit"]["median"] > 0
        else:
            assert row["fit"] is None
    # the WGAN-GP critic step pays for the penalty's double backward
    by_model = {r["model"]: r for r in report["results"] if r["image"] == "28x28x1"}
    assert by_model["wgan-gp"]["flops_per_critic_step"] > 1.5 * by_model["dcgan"]["flops_per_critic_step"]
    # at 64x64x3 every layer of the 32x32x3 networks has four times the pixels, and one more stride-2 layer joins
    flops = {(r["image"], r["model"]): r["flops_per_critic_step"] for r in report["results"]}
    for model in settings["models"]:
        assert flops[("64x64x3", model)] > 4 * flops[("32x32x3", model)]

    main_table = table.split("\n## ")[0]  # then: where the time goes, thread layouts
    header, rule, *rows = [line for line in main_table.splitlines() if line.startswith("|")]
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[:6] == ["image", "model", "architecture", "width", "precision", "n_critic"]
    assert len(columns) == len(COLUMNS)
    assert all(any(word in column for column in columns) for word in COLUMNS)
    assert len(rows) == len(report["results"])
    for line, row in zip(rows, report["results"], strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(columns) and all(cells) and cells[4] == row["precision"] and cells[0] == row["image"]
    assert "matmul peak" in table and report["machine"]["cpu_model"] in table


@pytest.mark.slow
def test_quick_benchmark_compares_the_precisions(quick_run):
    """bfloat16 over float32 per experiment (per-repetition ratios), both matmul peaks, and what
    `auto` picks here and why."""
    report, table = quick_run
    assert [(q["image"], q["model"], q["precision"], q["over"]) for q in report["precision_ratios"]] == [
        (image, model, "mixed_bfloat16", "float32") for _, image in IMAGES for model in report["settings"]["models"]
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
    # each ratio row shows its own configuration's speeds (same experiment name at every image size)
    by_key = {(r["image"], r["model"], r["precision"]): r for r in report["results"]}
    for line, q in zip(rows, report["precision_ratios"], strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == q["image"]
        assert cells[6].startswith(
            f"{by_key[(q['image'], q['model'], 'float32')]['critic_steps_per_s']['median']:.1f} ("
        )


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
    # with no profile asked for (profile_models: []), the table leaves the section out
    from wganlib.bench import markdown

    unprofiled = markdown({**report, "where_time_goes": {**where, "profiles": []}})
    assert "## Where the time goes" not in unprofiled and "## Thread layouts" in unprofiled


def test_colour_rows_are_the_official_dcgan_networks_at_32_and_64_pixels():
    """The image datasets' rows: CIFAR-10's 32x32x3 and LSUN bedrooms' 64x64x3, each model with the
    conv preset at width 64 (the official ngf and ndf); the networks' stride-2 layers are
    log2(size / 4), as DCGAN_G and DCGAN_D build them."""
    from wganlib.bench.settings import BenchSettings
    from wganlib.plan.shapes import conv_plan

    settings = BenchSettings()
    assert settings.image_datasets == ["cifar10", "lsun-bedroom"] and settings.image_widths == [64]
    plan = settings.plan()
    colour = [(exp, fit) for exp, fit in plan if exp.channels == 3]
    assert len(plan) == len(settings.widths) * len(settings.models) * len(settings.architectures) + len(colour)
    assert [(e.dataset, e.image_size, e.model) for e, _ in colour] == [
        (dataset, size, model) for dataset, size in (("cifar10", 32), ("lsun-bedroom", 64)) for model in settings.models
    ]
    for exp, fit in colour:
        assert not fit and exp.architecture == "conv" and exp.critic["width"] == exp.generator["width"] == 64
        assert conv_plan(exp.image_size) == (4, {32: 3, 64: 4}[exp.image_size])
    assert {(e.image_size, e.channels) for e, _ in plan if e.channels == 1} == {(28, 1)}


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
