"""Rule `inception_reference`: what every sample-quality metric of a dataset without labels compares
against, in one TensorFlow start (the train_classifier rule's outputs, with the Inception graph of
the FID code as the judge and no classifier to train):

- the reference: the Inception pool_3 features of `evaluation.inception.reference_images` training
  images (at least 10,000; all of them where there are fewer), as TTUR computes its published
  statistics on training images, and its manifest (which images, of which dataset and graph);
- the real-data floor: FID, KID, precision, recall, density and coverage of real images the
  reference does not hold (the rest of the training split, topped up from the test split) against
  it, as many as the final samples: the values a perfect generator would get. Without labels there
  is no classifier score, mode or class KL: they are NaN, and the file says why.
"""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

import json
import logging
from pathlib import Path

import numpy as np
from wganlib import datasets
from wganlib.common.io import atomic_path, write_json
from wganlib.judge.evaluation import load_judge, score
from wganlib.judge.inception_graph import verify_existing
from wganlib.judge.judges import inception_reference_images
from wganlib.train.runtime import configure_tensorflow

configure_tensorflow(job.tensorflow_threads(), gpu=False)
datasets.verify_existing(job.input["dataset"], job.input["manifest"])
data = datasets.load(job.input["dataset"], mmap=True)  # LSUN's training split need not fit in memory
judge = load_judge(job.input)
x_train, n_floor = data["x_train"], job.params["floor_samples"]
chosen, held_out = inception_reference_images(len(x_train), job.params["reference_images"], n_floor)
features, _ = judge(x_train[chosen])
reference = {"features": features}
with atomic_path(job.output["reference"]) as tmp:
    np.savez(tmp, **reference)
real = np.concatenate([x_train[held_out], data["x_test"][: n_floor - len(held_out)]])
floor = score(judge, real, reference, job.params["metrics"])
logging.info("real-data floor: %s", json.dumps(floor))
write_json(job.output["real_floor"], floor | judge.record)
dataset_manifest = json.loads(Path(job.input["manifest"]).read_text(encoding="utf-8"))
write_json(
    job.output["reference_manifest"],
    {
        "features": judge.record["features"],
        "reference": {
            "split": "train",
            "images": len(chosen),
            "of": len(x_train),
            "asked": job.params["reference_images"],
            "chosen": "the first of numpy.random.default_rng(0).permutation of the training split, sorted",
        },
        "floor": {"training_images": len(held_out), "test_images": len(real) - len(held_out)},
        "dataset_sha256": dataset_manifest["npz"]["sha256"],
        "graph_sha256": verify_existing(job.input["inception"], job.input["inception_manifest"])["sha256"],
    },
)
logging.info("reference: %d of %d training images; floor: %d held-out images", len(chosen), len(x_train), len(real))
