rule download_dataset:
    input:
        unpack(dataset_sources),
    output:
        npz="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.manifest.json",
    log:
        "logs/download_dataset/{dataset}.log",
    benchmark:
        "benchmarks/download_dataset/{dataset}.tsv"
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        mirrors=lambda wildcards: config["data"]["mirrors"].get(wildcards.dataset),
        local_path=lambda wildcards: config["data"]["paths"].get(wildcards.dataset),
        settings=lambda wildcards: config["data"]["settings"].get(wildcards.dataset),
        timeout=config["data"]["timeout"],
        cache_dir=config["data"]["cache"],
        code=code("download_dataset.py"),
    script:
        "../scripts/download_dataset.py"
