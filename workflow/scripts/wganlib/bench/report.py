"""The benchmark's report as Markdown: the speed table, the precisions against each other, where
the time goes, the thread layouts."""

from __future__ import annotations


def _rate(s: dict, digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


TABLE_COLUMNS = (
    "image",
    "model",
    "architecture",
    "width",
    "precision",
    "n_critic",
    "critic steps/s",
    "generator it/s",
    "images/s",
    "MFLOP / critic step",
    "MFLOP / generator step",
    "GFLOP/s",
    "% of float32 matmul peak",
    "% of bfloat16 matmul peak",
    "fit() it/s",
    "ours / fit()",
    "first call s: ours / fit()",
)
TEXT_COLUMNS = {"image", "model", "architecture", "precision"}  # left-aligned; the numbers right


def markdown(report: dict) -> str:
    m, peak = report["machine"], report["matmul_peak"]
    lines = [
        "# Training benchmark",
        "",
        f"Machine: {m['cpu_model']}, {m['nproc']} CPUs, {m['threads']} TensorFlow threads per training "
        f"process (the table below; the matmul peak too), {m['cores']} cores for the layouts, "
        f"device {m['device']} (GPU used: {'yes' if m['gpu_used'] else 'no'}); TensorFlow {m['tensorflow']}, "
        f"Keras {m['keras']}, NumPy {m['numpy']}, Python {m['python']}.",
        "",
        f"Dense matmul peak (float32 {peak['size']}x{peak['size']}, {peak['repetitions']} repetitions): "
        f"{_rate(peak['gflops'])} GFLOP/s at the start, "
        f"{_rate(report['matmul_peak_after']['gflops'])} at the end"
        + (
            f"; in bfloat16: {_rate(report['matmul_peak_bfloat16']['gflops'])} GFLOP/s."
            if report["matmul_peak_bfloat16"]
            else "."
        ),
        "",
        f"Batch {report['settings']['batch_size']}, median (min–max) of {report['settings']['repetitions']} "
        "repetitions after warm-up, each configuration's precisions (Keras dtype policies) timed in "
        "interleaved repetitions; images/s = real images through the critic. "
        f"FLOPs: {report['flops_method']}. % of the float32 matmul peak in every precision (a bfloat16 "
        "row above 100 goes faster than float32 can); % of the bfloat16 peak for bfloat16 rows. "
        "`fit()`: the same networks, losses and optimizers in a keras.Model train_step (the Keras "
        "WGAN-GP example), float32, timed per epoch in repetitions alternating with ours. First call: "
        "the trace and graph optimisation plus one iteration.",
        "",
        "Image: what the networks take. 28x28x1 are MNIST's networks; 32x32x3 (CIFAR-10) and 64x64x3 "
        "(the paper's LSUN bedrooms) the official DCGAN_G and DCGAN_D at those sizes, with "
        "`image_size` and `channels` as those datasets give them. A run of N generator iterations "
        "trains for about N / (generator it/s) seconds, snapshots and evaluation aside.",
        "",
        f"Total wall time: {report['wall_time_s']:.0f} s.",
        "",
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "|" + "|".join("---" if column in TEXT_COLUMNS else "---:" for column in TABLE_COLUMNS) + "|",
    ]
    for r in report["results"]:
        fit = r["fit"]
        cells = [
            r["image"],
            r["model"],
            r["architecture"],
            str(r["width"]),
            r["precision"],
            str(r["n_critic"]),
            _rate(r["critic_steps_per_s"]),
            _rate(r["generator_iterations_per_s"], 2),
            f"{r['images_per_s']['median']:.0f}",
            f"{r['flops_per_critic_step'] / 1e6:.0f}",
            f"{r['flops_per_generator_step'] / 1e6:.0f}",
            _rate(r["gflops_per_s"]),
            f"{100 * r['fraction_of_matmul_peak']:.1f}",
            f"{100 * r['fraction_of_bfloat16_matmul_peak']:.1f}" if r["fraction_of_bfloat16_matmul_peak"] else "–",
            _rate(fit["generator_iterations_per_s"], 2) if fit else "–",
            _rate(fit["ours_over_fit"], 2) if fit else "–",
            f"{r['first_call_s']:.1f} / {fit['first_call_s']:.1f}" if fit else f"{r['first_call_s']:.1f} / –",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += _precision_lines(report)
    lines += _profile_lines(report["where_time_goes"], report["machine"]["threads"])
    return "\n".join(lines + _layout_lines(report["thread_layouts"])) + "\n"


def _precision_lines(report: dict) -> list[str]:
    """What `auto` picks here and why, and each precision's critic steps/s over float32's."""
    auto = report["auto_precision"]
    flags = ", ".join(f"{flag} {'yes' if present else 'no'}" for flag, present in auto["cpu_bf16_flags"].items())
    gpu = auto["gpu_compute_capability"]
    lines = [
        "",
        "## Precision",
        "",
        f"`training.precision: auto` picks **{auto['policy']}** on this machine ({auto['reason']}). "
        f"Device {auto['device']}; the CPU's bfloat16 flags: {flags}"
        + (f"; GPU compute capability {gpu[0]}.{gpu[1]}." if gpu else "."),
    ]
    if not report["precision_ratios"]:
        return lines
    rows = {(r["experiment"], r["image"], r["width"], r["precision"]): r for r in report["results"]}
    lines += [
        "",
        "Critic steps/s of a precision over float32's, repetition by repetition (an experiment's GAN "
        "in each precision built once and all timed in interleaved repetitions, so that machine drift "
        "hits each alike): median (min–max).",
        "",
        "| image | model | architecture | width | precision | critic steps/s | float32 critic steps/s | over float32 |",
        "|---|---|---|---:|---|---:|---:|---:|",
    ]
    for q in report["precision_ratios"]:
        key = (q["experiment"], q["image"], q["width"])
        ours, reference = rows[(*key, q["precision"])], rows[(*key, q["over"])]
        cells = [q["image"], q["model"], q["architecture"], str(q["width"]), q["precision"],
                 _rate(ours["critic_steps_per_s"]), _rate(reference["critic_steps_per_s"]),
                 _rate(q["critic_steps_per_s_ratio"], 2)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _profile_lines(where: dict, threads: int) -> list[str]:
    if not where.get("profiles"):  # profile_models: [] (no profile asked for)
        return []
    top = 6
    lines = [
        "",
        f"## Where the time goes ({where['architecture']}, width {where['width']}, float32, {threads} thread(s))",
        "",
        "Share of op time by op type, from TensorFlow's profiler (`tf.profiler.experimental` trace of "
        f"{where['profiles'][0]['iterations']} generator iterations; the trace itself slows the step):",
        "",
        "| model | op time / iteration ms | " + " | ".join(f"#{i + 1}" for i in range(top)) + " |",
        "|---|---:|" + "---|" * top,
    ]
    for p in where["profiles"]:
        shares = list(p["share_by_op_type"].items())[:top]
        cells = [f"{op} {100 * share:.0f}%" for op, share in shares] + [""] * (top - len(shares))
        lines.append(f"| {p['model']} | {1e3 * p['op_s_per_iteration']:.1f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The critic's conv layers as float32 kernels timed alone (batch of the step): GFLOP/s (% of the float32 matmul peak).",
        "",
        "| layer | MFLOP | forward | input gradient | filter gradient |",
        "|---|---:|---:|---:|---:|",
    ]
    for k in where["critic_conv_kernels"]:
        cells = [
            f"{k[n]['gflops']:.1f} ({100 * k[n]['fraction_of_matmul_peak']:.0f}%)"
            for n in ("forward", "input_gradient", "filter_gradient")
        ]
        lines.append(f"| {k['layer']} | {k['mflop']:.0f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The generator's transposed convs timed alone through their own call, as training runs them "
        "(float32): GFLOP/s of the transposed conv's own FLOPs (% of the float32 matmul peak).",
        "",
        "| layer | MFLOP | forward | forward and both gradients |",
        "|---|---:|---:|---:|",
    ]
    for k in where["generator_layers"]:
        cells = [
            f"{k[n]['gflops']:.1f} ({100 * k[n]['fraction_of_matmul_peak']:.0f}%)"
            for n in ("forward", "forward_and_gradients")
        ]
        lines.append(f"| {k['layer']} | {k['mflop']:.0f} | " + " | ".join(cells) + " |")
    return lines


def _layout_lines(layouts: dict | None) -> list[str]:
    if not layouts or not layouts["results"]:
        return ["", "Thread layouts: not measured (one core, a GPU, or no layout models)."]
    n = layouts["cores"]
    lines = [
        "",
        f"## Thread layouts on {n} cores",
        "",
        f"Aggregate generator iterations/s of {n} single-thread float32 training processes running at once "
        f"against one {n}-thread process, each timed over {layouts['seconds']:g} s after warm-up, "
        f"alternating, {layouts['repetitions']} repetitions: median (min–max).",
        "",
        f"| model | architecture | width | 1 x {n} threads it/s | {n} x 1 thread it/s | {n} x 1 / 1 x {n} |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in layouts["results"]:
        cells = [r["model"], r["architecture"], str(r["width"]), _rate(r["one_process_all_threads"], 2),
                 _rate(r["single_thread_processes"], 2), _rate(r["single_over_one"], 2)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines
