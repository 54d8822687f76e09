# Not part of `rule all`: run with `snakemake --cores all benchmark` (a few minutes on 2 cores).
# The settings are the benchmark's own, not the experiment grid's: see wganlib/bench/settings.py.
# Overrides of the defaults there (e.g. {"widths": [32]}, {"precisions": ["float32"]}, or
# {"image_datasets": []} to leave out the colour networks at 32 and 64 pixels, the slowest rows on
# a CPU); the defaults themselves live only there.
BENCHMARK_OVERRIDES = {}


rule benchmark:
    output:
        json=results("benchmarks/training.json"),
        markdown=results("benchmarks/training.md"),
    log:
        results("logs/benchmark/training.log"),
    benchmark:
        results("benchmarks/benchmark/training.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    # Every core it is given, for the thread layouts: Snakemake scales this down to --cores (and,
    # unlike workflow.cores, it leaves commands without --cores, such as --unlock, working).
    # The table itself runs at a training job's threads.
    threads: 1024
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=BENCHMARK_OVERRIDES,
        train_threads=config["resources"]["train_threads"],
        quick=False,
        code=code("benchmark.py"),
    script:
        "../scripts/benchmark.py"


# The same in seconds (tiny networks, few steps, both precisions): what the tests run.
use rule benchmark as benchmark_quick with:
    output:
        json=results("benchmarks/training-quick.json"),
        markdown=results("benchmarks/training-quick.md"),
    log:
        results("logs/benchmark/training-quick.log"),
    benchmark:
        results("benchmarks/benchmark/training-quick.tsv")
    params:
        settings=BENCHMARK_OVERRIDES,
        train_threads=config["resources"]["train_threads"],
        quick=True,
        code=code("benchmark.py"),
