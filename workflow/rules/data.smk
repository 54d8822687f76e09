rule download_dataset:
    output:
        npz="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.manifest.json",
    params:
        mirrors=lambda wildcards: config["data"]["mirrors"].get(wildcards.dataset),
        local_path=lambda wildcards: config["data"]["paths"].get(wildcards.dataset),
        timeout=config["data"]["timeout"],
    log:
        "logs/download_dataset/{dataset}.log",
    benchmark:
        "benchmarks/download_dataset/{dataset}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/download_dataset.py"
