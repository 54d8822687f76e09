rule make_gif:
    input:
        frames=results("{dataset}/{experiment}/frames"),
    output:
        gif=results("{dataset}/{experiment}/training.gif"),
        sheet=report(
            results("{dataset}/{experiment}/training_frames.png"),
            caption="../report/training_frames.rst",
            category="{dataset}",
            subcategory="Training",
            labels=experiment_labels,
        ),
    log:
        results("logs/make_gif/{dataset}/{experiment}.log"),
    benchmark:
        results("benchmarks/make_gif/{dataset}/{experiment}.tsv")
    conda:
        "../../envs/plot.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        frame_duration=config["figures"]["gif_frame_duration"],
        last_frame_hold=config["figures"]["gif_last_frame_hold"],
        # the training job draws its frames both ways; the GIF shows the evaluation's
        sampling=config["evaluation"]["sampling"],
        code=code("make_gif.py"),
    script:
        "../scripts/make_gif.py"


# What every experiment's metrics are measured against, in one TensorFlow start per dataset: the
# classifier, the test split's features (the reference) and the real-data floor. A dataset without
# labels has no classifier: inception_reference makes its reference and floor.
rule train_classifier:
    input:
        dataset="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.manifest.json",
    output:
        classifier=results("{dataset}/evaluation/classifier.keras"),
        accuracy=results("{dataset}/evaluation/classifier.json"),
        reference=results("{dataset}/evaluation/reference.npz"),
        real_floor=results("{dataset}/evaluation/real_floor.json"),
    log:
        results("logs/train_classifier/{dataset}.log"),
    benchmark:
        results("benchmarks/train_classifier/{dataset}.tsv")
    wildcard_constraints:
        dataset=judged_by(judges.CLASSIFIER),
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["resources"]["train_threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        judge=dataset_judge,
        epochs=config["evaluation"]["classifier_epochs"],
        seed=config["evaluation"]["classifier_seed"],
        floor_samples=config["evaluation"]["final_samples"],
        metrics=metric_settings(),
        threads=config["resources"]["train_threads"],  # TensorFlow's pools (docs/reruns.md)
        code=code("train_classifier.py"),
    script:
        "../scripts/train_classifier.py"


# The same for a dataset without labels, judged by the Inception graph of the FID code (TTUR): the
# pool_3 features of at least 10,000 training images (all where fewer), their manifest, and the
# real-data floor of held-out images; no classifier to train.
rule inception_reference:
    input:
        dataset="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.manifest.json",
        inception=judges.INCEPTION_GRAPH,
        inception_manifest=judges.INCEPTION_MANIFEST,
    output:
        reference=results("{dataset}/evaluation/reference.npz"),
        reference_manifest=results("{dataset}/evaluation/reference.manifest.json"),
        real_floor=results("{dataset}/evaluation/real_floor.json"),
    log:
        results("logs/inception_reference/{dataset}.log"),
    benchmark:
        results("benchmarks/inception_reference/{dataset}.tsv")
    wildcard_constraints:
        dataset=judged_by(judges.INCEPTION),
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["resources"]["train_threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        reference_images=config["evaluation"]["inception"]["reference_images"],
        floor_samples=config["evaluation"]["final_samples"],
        metrics=metric_settings(),
        threads=config["resources"]["train_threads"],  # TensorFlow's pools (docs/reruns.md)
        code=code("inception_reference.py"),
    script:
        "../scripts/inception_reference.py"


# One TensorFlow start per experiment: the final samples (sheet and .npz) and every metric, of
# the final generator and of each snapshot.
rule evaluate:
    input:
        unpack(judge_inputs),
        generator=results("{dataset}/{experiment}/generator.keras"),
        snapshots=results("{dataset}/{experiment}/snapshots"),
    output:
        samples=results("{dataset}/{experiment}/samples.npz"),
        sheet=report(
            results("{dataset}/{experiment}/samples.png"),
            caption="../report/samples.rst",
            category="{dataset}",
            subcategory="Samples",
            labels=experiment_labels,
        ),
        evaluation=results("{dataset}/{experiment}/evaluation.json"),
        # FID over training for `tensorboard --logdir results` (the run named by the experiment)
        tensorboard=results("{dataset}/{experiment}/quality.tfevents"),
    log:
        results("logs/evaluate/{dataset}/{experiment}.log"),
    benchmark:
        results("benchmarks/evaluate/{dataset}/{experiment}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        experiment=lambda wildcards: wildcards.experiment,
        final_samples=config["evaluation"]["final_samples"],
        snapshot_samples=config["evaluation"]["snapshot_samples"],
        sheet_samples=config["figures"]["sheet_samples"],
        sampling=sampling_settings,
        metrics=metric_settings(),
        code=code("evaluate.py"),
    script:
        "../scripts/evaluate.py"
