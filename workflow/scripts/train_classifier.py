"""Rule `train_classifier`: the evaluation network of one dataset (a small CNN, fixed seed), its
test accuracy, the test split's features (the reference of every metric) and the real-data floor
of each metric (a train subset against the test split)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from wganlib.jobs import Job, start_logging  # noqa: E402

job = Job.current(globals(), __doc__)
start_logging(job.log)

import logging  # noqa: E402

import numpy as np  # noqa: E402

from wganlib import datasets  # noqa: E402
from wganlib.evaluation import Judge, score, train_classifier  # noqa: E402
from wganlib.io import atomic_path, write_json  # noqa: E402
from wganlib.training import configure_tensorflow  # noqa: E402

configure_tensorflow(job.threads, use_gpu=False)
settings = job.params["evaluation"]
datasets.verify_existing(job.input["dataset"], job.input["manifest"])
data = datasets.load(job.input["dataset"])
classifier, accuracy = train_classifier(data, settings["classifier_epochs"], settings["classifier_seed"])
logging.info("classifier test accuracy: %.4f", accuracy)
with atomic_path(job.output["classifier"]) as tmp:
    classifier.save(tmp)
judge = Judge(classifier)
features, probs = judge(data["x_test"])
reference = {"features": features, "labels": data["y_test"].astype(np.int64)}
with atomic_path(job.output["reference"]) as tmp:
    np.savez(tmp, **reference)
n = min(settings["final_samples"], len(data["x_train"]))
real = data["x_train"][np.random.default_rng(0).permutation(len(data["x_train"]))[:n]]
write_json(job.output["real_floor"], score(judge, real, reference, settings))
write_json(
    job.output["accuracy"],
    {"test_accuracy": accuracy, "n_train": len(data["x_train"]), "n_test": len(data["x_test"]), **settings},
)
