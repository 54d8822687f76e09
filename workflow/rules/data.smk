rule download_dataset:
    input:
        unpack(dataset_sources),
    output:
        npz="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.manifest.json",
    log:
        results("logs/download_dataset/{dataset}.log"),
    benchmark:
        results("benchmarks/download_dataset/{dataset}.tsv")
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        mirrors=lambda wildcards: config["data"]["mirrors"].get(wildcards.dataset),
        local_path=lambda wildcards: config["data"]["paths"].get(wildcards.dataset),
        contents=dataset_contents,
        settings=lambda wildcards: config["data"]["settings"].get(wildcards.dataset),
        timeout=config["data"]["timeout"],
        cache_dir=config["data"]["cache"],
        code=code("download_dataset.py"),
    script:
        "../scripts/download_dataset.py"


# The Inception graph of the FID code (TTUR), for the datasets without labels: fetched once.
rule download_inception:
    output:
        graph=judges.INCEPTION_GRAPH,
        manifest=judges.INCEPTION_MANIFEST,
    log:
        results("logs/download_inception.log"),
    benchmark:
        results("benchmarks/download_inception.tsv")
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        url=config["evaluation"]["inception"]["url"],
        path=config["evaluation"]["inception"]["path"],
        sha256=config["evaluation"]["inception"]["sha256"],
        timeout=config["data"]["timeout"],
        code=code("download_inception.py"),
    script:
        "../scripts/download_inception.py"
