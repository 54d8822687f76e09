rule figures:
    input:
        unpack(dataset_run_files),
        real_floor=results("{dataset}/evaluation/real_floor.json"),
    output:
        em_png=report(
            results("{dataset}/figures/em_estimate.png"),
            caption="../report/em_estimate.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Figure 3: EM estimate"},
        ),
        em_pdf=results("{dataset}/figures/em_estimate.pdf"),
        js_png=report(
            results("{dataset}/figures/js_estimate.png"),
            caption="../report/js_estimate.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Figure 4: JS estimate"},
        ),
        js_pdf=results("{dataset}/figures/js_estimate.pdf"),
        samples_png=report(
            results("{dataset}/figures/samples.png"),
            caption="../report/samples_grid.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Figures 5-7: samples"},
        ),
        samples_pdf=results("{dataset}/figures/samples.pdf"),
        summary_png=report(
            results("{dataset}/figures/summary.png"),
            caption="../report/summary_figure.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Summary across the grid"},
        ),
        summary_pdf=results("{dataset}/figures/summary.pdf"),
        compute_png=report(
            results("{dataset}/figures/quality_over_compute.png"),
            caption="../report/quality_over_compute.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Quality against compute"},
        ),
        compute_pdf=results("{dataset}/figures/quality_over_compute.pdf"),
    log:
        results("logs/figures/{dataset}.log"),
    benchmark:
        results("benchmarks/figures/{dataset}.tsv")
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        grid=grid_cells,
        models=config["models"],
        architectures=config["architectures"],
        median_window=config["figures"]["median_window"],
        sheet_samples=config["figures"]["sheet_samples"],
        good_fid=config["claims"]["good_fid"],
        still_improving=config["claims"]["still_improving"],
        min_progress=config["claims"]["min_progress"],
        code=code("figures.py"),
    script:
        "../scripts/figures.py"


rule summary:
    input:
        unpack(dataset_run_files),
        real_floor=results("{dataset}/evaluation/real_floor.json"),
    output:
        csv=results("{dataset}/summary.csv"),
        markdown=report(
            results("{dataset}/summary.md"),
            caption="../report/summary.rst",
            category="{dataset}",
            subcategory="Summary",
            labels={"figure": "Claims of the paper"},
        ),
    log:
        results("logs/summary/{dataset}.log"),
    benchmark:
        results("benchmarks/summary/{dataset}.tsv")
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        grid=grid_cells,
        claims=config["claims"],
        median_window=config["figures"]["median_window"],
        random_architectures=random_architectures(),
        code=code("summary.py"),
    script:
        "../scripts/summary.py"


rule random_architectures:
    input:
        unpack(dataset_run_files),
    output:
        png=report(
            results("{dataset}/robustness/fid_per_architecture.png"),
            caption="../report/robustness.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Random architectures"},
        ),
        pdf=results("{dataset}/robustness/fid_per_architecture.pdf"),
        success_png=report(
            results("{dataset}/robustness/success.png"),
            caption="../report/robustness_success.rst",
            category="{dataset}",
            subcategory="Figures",
            labels={"figure": "Random architectures: success and samples"},
        ),
        success_pdf=results("{dataset}/robustness/success.pdf"),
        architectures=results("{dataset}/robustness/architectures.yaml"),
    log:
        results("logs/random_architectures/{dataset}.log"),
    benchmark:
        results("benchmarks/random_architectures/{dataset}.tsv")
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        grid=grid_cells,
        models=config["models"],
        random=random_architectures(),
        robustness={k: v for k, v in config["robustness"].items() if k != "fid_levels"},
        claims=config["claims"],
        median_window=config["figures"]["median_window"],
        sheet_samples=config["figures"]["sheet_samples"],
        code=code("random_architectures.py"),
    script:
        "../scripts/random_architectures.py"
