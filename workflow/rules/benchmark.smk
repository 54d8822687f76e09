# Not part of `rule all`: run with `snakemake --cores all benchmark` (a few minutes on 2 cores).
# The settings are the benchmark's own, not the experiment grid's: see wganlib/bench.py.
BENCHMARK_SETTINGS = {
    "models": ["dcgan", "wgan", "wgan-gp"],
    "architectures": ["conv", "conv-nobn", "mlp", "conv-bn-first"],
    "widths": [64, 32],  # the schema's presets, then the default config's
    "fit_models": ["dcgan", "wgan", "wgan-gp"],
    "fit_architectures": ["conv", "mlp"],
    "fit_widths": [32],
    "batch_size": 64,
    "repetitions": 5,
    "warmup_critic_steps": 5,
    "timed_critic_steps": 10,
    "matmul_size": 2048,
    "matmul_repetitions": 5,
    "layout_models": ["dcgan", "wgan", "wgan-gp"],
    "layout_architecture": "conv",
    "layout_width": 32,
    "layout_seconds": 10.0,
    "layout_repetitions": 3,
    "profile_models": ["dcgan", "wgan", "wgan-gp"],
    "profile_architecture": "conv",
    "profile_width": 32,
    "profile_iterations": 5,
}


rule benchmark:
    output:
        json="results/benchmarks/training.json",
        markdown="results/benchmarks/training.md",
    log:
        "logs/benchmark/training.log",
    benchmark:
        "benchmarks/benchmark/training.tsv"
    conda:
        "../envs/tensorflow.yaml"
    # Every core it is given, for the thread layouts: Snakemake scales this down to --cores (and,
    # unlike workflow.cores, it leaves commands without --cores, such as --unlock, working).
    # The table itself runs at a training job's threads.
    threads: 1024
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=BENCHMARK_SETTINGS,
        train_threads=config["resources"]["train_threads"],
        quick=False,
        code=code("benchmark.py"),
    script:
        "../scripts/benchmark.py"


# The same in seconds (tiny networks, few steps): what the tests run.
use rule benchmark as benchmark_quick with:
    output:
        json="results/benchmarks/training-quick.json",
        markdown="results/benchmarks/training-quick.md",
    log:
        "logs/benchmark/training-quick.log",
    benchmark:
        "benchmarks/benchmark/training-quick.tsv"
    params:
        settings=BENCHMARK_SETTINGS,
        train_threads=config["resources"]["train_threads"],
        quick=True,
        code=code("benchmark.py"),
