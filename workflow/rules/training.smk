rule train:
    input:
        unpack(train_inputs),
    output:
        generator=results("{dataset}/{experiment}/generator.keras"),
        metrics=results("{dataset}/{experiment}/metrics.csv"),
        status=results("{dataset}/{experiment}/status.json"),
        config=results("{dataset}/{experiment}/config.yaml"),
        frames=directory(results("{dataset}/{experiment}/frames")),
        snapshots=directory(results("{dataset}/{experiment}/snapshots")),
        tensorboard=directory(results("{dataset}/{experiment}/tensorboard")),
    log:
        results("logs/train/{dataset}/{experiment}.log"),
    benchmark:
        results("benchmarks/train/{dataset}/{experiment}.tsv")
    priority: longest_first
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["resources"]["train_threads"]
    resources:
        mem_mb=4000,
        runtime=24 * 60,
        # auto: a GPU is declared only where this machine has one (see wganlib/train/devices.py)
        gpu=1 if declares_gpu(config["resources"]["gpu"], nvidia_gpus()) else 0,
    params:
        settings=train_settings,
        # Checkpoints live outside the outputs: Snakemake deletes a failed job's outputs.
        work_dir=lambda wildcards: results(
            f"{wildcards.dataset}/{wildcards.experiment}/train_state"
        ),
        gpu=config["resources"]["gpu"],
        monitor=monitor_settings,
        # TensorFlow's pools: the config's size even where --cores lowers `threads` (docs/reruns.md)
        threads=config["resources"]["train_threads"],
        code=code("train.py"),
    script:
        "../scripts/train.py"
