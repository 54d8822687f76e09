"""Rule `download_inception`: the Inception graph the original FID code (TTUR) computes FID with,
fetched once into resources/inception/ with its manifest, for the datasets without labels
(``wganlib.judge.inception_graph``). No TensorFlow.

By hand:
    python workflow/scripts/download_inception.py --output graph=resources/inception/classify_image_graph_def.pb \
        --output manifest=resources/inception/classify_image_graph_def.manifest.json --param path='"~/inception-2015-12-05.tgz"'
"""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.judge.inception_graph import URL, fetch

# An InceptionError (every source failed) ends the job with its message alone: see wganlib.common.jobs.
fetch(
    job.output["graph"],
    job.output["manifest"],
    path=job.params.get("path"),
    url=job.params.get("url", URL),
    sha256=job.params.get("sha256"),
    timeout=float(job.params.get("timeout", 60.0)),
)
