"""The judge of a dataset without labels: the Inception graph of the FID code (TTUR), fetched once
with its checksum (wganlib.judge.inception_graph) and loaded as TTUR runs it (wganlib.judge.inception). Nothing
can be downloaded here, so a stand-in GraphDef with the real graph's interface (a JPEG decoder,
``ExpandDims``, ``ResizeBilinear`` to 299x299, ``Sub``/``Mul`` scaling, ``pool_3`` of (1, 1, 1,
2048) and its reshape to (1, 2048)) but tiny ops is built here and served on loopback, whole, with
the wrong bytes, cut short and truncated."""

from __future__ import annotations

import hashlib
import io
import json
import math
import socket
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from conftest import copy_workflow, mirror, snakemake
from wganlib.judge import judges
from wganlib.judge.evaluation import load_judge, score
from wganlib.judge.inception import DIMS, InceptionJudge
from wganlib.judge.inception_graph import ARCHIVE, GRAPH, InceptionError, fetch, verify_existing
from wganlib.measures import manifold
from wganlib.report.report import write_summary_markdown
from wganlib.verdicts import robustness
from wganlib.verdicts.claims import evaluate_claims
from wganlib.verdicts.runs import summary_rows


def stand_in_graph(features: int = DIMS, seed: int = 0) -> bytes:
    """A GraphDef with the names, dtypes and shapes of classify_image_graph_def.pb around the tensors
    TTUR uses, and a small average pool and one convolution where Inception's layers are."""
    graph = tf.Graph()
    with graph.as_default():
        contents = tf.compat.v1.placeholder(tf.string, [], name="DecodeJpeg/contents")
        decoded = tf.io.decode_jpeg(contents, channels=3, name="DecodeJpeg")
        expanded = tf.expand_dims(tf.cast(decoded, tf.float32, name="Cast"), 0, name="ExpandDims")
        size = tf.constant([299, 299], name="ResizeBilinear/size")
        resized = tf.compat.v1.image.resize_bilinear(expanded, size, name="ResizeBilinear")
        scaled = tf.multiply(tf.subtract(resized, 128.0, name="Sub"), 1 / 128, name="Mul")
        pooled = tf.nn.avg_pool2d(scaled, 37, 37, "VALID", name="pool")  # (1, 8, 8, 3)
        kernel = np.random.default_rng(seed).standard_normal((8, 8, 3, features)).astype(np.float32) / 14
        mixed = tf.nn.relu(tf.nn.conv2d(pooled, tf.constant(kernel), 1, "VALID"), name="mixed")
        pool3 = tf.nn.avg_pool2d(mixed, 1, 1, "VALID", name="pool_3")
        tf.reshape(pool3, [1, features], name="pool_3/_reshape")  # batch 1 only, as in the real graph
    return graph.as_graph_def().SerializeToString()


def archive_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def served():
    graph = stand_in_graph()
    good = archive_of({GRAPH: graph, "LICENSE": b"Apache 2.0", "cropped_panda.jpg": b"\xff\xd8"})
    routes = {
        f"/good/{ARCHIVE}": good,
        f"/wrong/{ARCHIVE}": archive_of({GRAPH: stand_in_graph(seed=1)}),  # a valid graph, other bytes
        f"/truncated/{ARCHIVE}": good[: len(good) // 2],  # sent whole: a cut file on the server
        f"/short/{ARCHIVE}": good,  # Content-Length promises all, half is sent
        f"/empty/{ARCHIVE}": archive_of({"LICENSE": b"Apache 2.0"}),
        f"/pb/{GRAPH}": graph,  # a mirror of the graph itself
    }
    routes[f"/resume/{ARCHIVE}"] = good
    with mirror(routes) as (url, handler):
        yield {
            "url": url,
            "handler": handler,
            "graph": graph,
            "sha256": hashlib.sha256(graph).hexdigest(),
            "archive": good,
        }


def fetched(tmp_path: Path, **kwargs) -> dict:
    out = tmp_path / "resources" / "inception"
    return fetch(out / GRAPH, out / "manifest.json", timeout=5.0, **kwargs)


def left_in(tmp_path: Path) -> list[str]:
    """What a fetch left under resources/inception/ (temporary folders included)."""
    out = tmp_path / "resources" / "inception"
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


# ---------------------------------------------------------------------------------------------
# Fetching: once, verified, atomically, with one clear error


def test_fetch_from_the_url_with_its_checksum(served, tmp_path):
    manifest = fetched(tmp_path, url=f"{served['url']}/good/{ARCHIVE}", sha256=served["sha256"])
    graph = tmp_path / "resources" / "inception" / GRAPH
    assert graph.read_bytes() == served["graph"]  # the member alone, nothing else extracted
    assert left_in(tmp_path) == sorted([GRAPH, "manifest.json"])
    assert manifest["sha256"] == served["sha256"] and manifest["verified_by"] == "sha256"
    assert manifest["bytes"] == len(served["graph"]) and manifest["source"]["kind"] == "url"
    assert json.loads((graph.parent / "manifest.json").read_text()) == manifest
    assert verify_existing(graph, graph.parent / "manifest.json")["sha256"] == served["sha256"]
    graph.write_bytes(served["graph"][:-1] + b"\0")  # changed after the fetch: every later job refuses it
    with pytest.raises(InceptionError, match="corrupt or was changed.*delete"):
        verify_existing(graph, graph.parent / "manifest.json")


def test_a_mirror_of_the_graph_itself_and_no_pinned_checksum(served, tmp_path, caplog):
    manifest = fetched(tmp_path, url=f"{served['url']}/pb/{GRAPH}")
    assert manifest["sha256"] == served["sha256"] and manifest["verified_by"] == "structure, when loaded"
    assert served["sha256"] in caplog.text and "evaluation.inception.sha256" in caplog.text


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ("wrong", "checksum mismatch"),
        ("truncated", ""),  # a gzip stream that ends early: the archive cannot be read
        ("empty", f"holds no {GRAPH}"),
        ("missing", "HTTP 404"),
    ],
)
def test_a_bad_download_leaves_nothing_and_says_why(served, tmp_path, route, reason):
    with pytest.raises(InceptionError) as err:
        fetched(tmp_path, url=f"{served['url']}/{route}/{ARCHIVE}", sha256=served["sha256"])
    message = str(err.value)
    assert f"1. url {served['url']}/{route}/{ARCHIVE}: " in message and reason in message
    assert left_in(tmp_path) == []  # no graph, no manifest, no temporary download


def test_a_broken_off_download_resumes_where_it_stopped(served, tmp_path):
    """The archive breaks off half-way (or a server sends half of what it promised): its bytes are
    kept beside the graph and the next fetch asks only for the rest, then leaves no partial."""
    url, handler, whole = f"{served['url']}/resume/{ARCHIVE}", served["handler"], served["archive"]
    cut_at = len(whole) // 2
    handler.cut[f"/resume/{ARCHIVE}"] = cut_at
    with pytest.raises(InceptionError) as err:
        fetched(tmp_path, url=url, sha256=served["sha256"])
    assert f"broke off after {cut_at:,} of {len(whole):,} bytes" in str(err.value)
    assert "for the next attempt" in str(err.value)
    (partial,) = left_in(tmp_path)
    assert partial.startswith(ARCHIVE) and partial.endswith(".partial")
    before = handler.served.get(f"/resume/{ARCHIVE}", 0)
    manifest = fetched(tmp_path, url=url, sha256=served["sha256"])
    assert handler.served[f"/resume/{ARCHIVE}"] - before == len(whole) - cut_at  # only the rest
    assert manifest["sha256"] == served["sha256"] and manifest["attempts"][0]["error"] is None
    assert left_in(tmp_path) == sorted([GRAPH, "manifest.json"])
    with pytest.raises(InceptionError, match="broke off"):  # a short response keeps its bytes too
        fetched(tmp_path / "short", url=f"{served['url']}/short/{ARCHIVE}", sha256=served["sha256"])
    assert [p.endswith(".partial") for p in left_in(tmp_path / "short")] == [True]


def test_the_users_copy_first_then_the_url(served, tmp_path):
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / ARCHIVE).write_bytes(served["archive"])
    local = fetched(tmp_path / "a", path=tmp_path / "copy", url=None, sha256=served["sha256"])
    assert local["source"] == {"kind": "local", "location": str(tmp_path / "copy")}
    (tmp_path / GRAPH).write_bytes(served["graph"])
    assert fetched(tmp_path / "b", path=tmp_path / GRAPH, url=None)["sha256"] == served["sha256"]
    after = fetched(tmp_path / "c", path=tmp_path / "nowhere", url=f"{served['url']}/good/{ARCHIVE}")
    assert [a["error"] is None for a in after["attempts"]] == [False, True]
    assert "does not exist" in after["attempts"][0]["error"]


def test_offline_one_error_names_what_to_download_and_where_to_put_it(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on: what a machine without network gets
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InceptionError) as err:
        fetched(tmp_path, url=f"http://127.0.0.1:{port}/{ARCHIVE}")
    message = str(err.value)
    assert "cannot reach" in message and message.count("\n  ") == 1
    assert "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz" in message
    assert "evaluation.inception.path" in message and GRAPH in message
    assert left_in(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Loading: TTUR's tensors, any batch, as TTUR feeds them


@pytest.fixture(scope="module")
def judge(served, tmp_path_factory):
    root = tmp_path_factory.mktemp("judge")
    fetched(root, url=f"{served['url']}/good/{ARCHIVE}", sha256=served["sha256"])
    inputs = {
        "inception": root / "resources/inception" / GRAPH,
        "inception_manifest": root / "resources/inception/manifest.json",
    }
    return load_judge(inputs)


def ttur_features(graph: bytes, images: np.ndarray) -> np.ndarray:
    """TTUR's get_activations: the graph imported as FID_Inception_Net in a session, float images in
    [0, 255] fed to ExpandDims:0 (here one at a time: the graph's own shapes allow a batch of one)."""
    graph_def = tf.compat.v1.GraphDef.FromString(graph)
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(graph_def, name="FID_Inception_Net")
        with tf.compat.v1.Session(graph=g) as session:
            pool3 = g.get_tensor_by_name("FID_Inception_Net/pool_3:0")
            feed = "FID_Inception_Net/ExpandDims:0"
            return np.concatenate([session.run(pool3, {feed: image[None].astype(np.float32)}) for image in images])


def test_features_are_ttur_s_pool_3_for_any_batch_size_and_image_size(served, judge, monkeypatch):
    monkeypatch.setattr("wganlib.judge.inception.BATCH", 2)  # five images: two full batches and a partial one
    images = np.random.default_rng(3).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    features, probs = judge(images)
    assert probs is None and features.shape == (5, DIMS) and features.dtype == np.float64
    np.testing.assert_allclose(features, ttur_features(served["graph"], images).reshape(5, DIMS), rtol=1e-5, atol=1e-6)
    assert features.std() > 0.01  # the features depend on the images
    grey = images[..., 0]  # greyscale: its one channel three times
    np.testing.assert_allclose(judge(grey)[0], judge(np.repeat(grey[..., None], 3, -1))[0])
    sixty_four = np.random.default_rng(4).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    assert judge(sixty_four)[0].shape == (2, DIMS)  # the graph resizes any size to 299x299 itself


def test_a_file_that_is_not_the_fid_graph_is_refused(tmp_path):
    for name, data in {"garbage": b"\xff" * 64, "other": stand_in_graph(features=16)}.items():
        fetched(tmp_path / name, path=write(tmp_path / name / GRAPH, data), url=None)
        out = tmp_path / name / "resources" / "inception"
        with pytest.raises(InceptionError, match="GraphDef|not the FID Inception graph"):
            InceptionJudge.load(out / GRAPH, out / "manifest.json")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# What the numbers say, and which are compared

SETTINGS = {"kid_subsets": 3, "kid_subset_size": 4, "mode_min_share": 0.05}


def test_without_labels_the_metrics_of_classes_are_nan(judge):
    images = np.random.default_rng(5).integers(0, 256, (8, 16, 16, 3), dtype=np.uint8)
    reference = {"features": judge(images)[0]}
    scores = score(judge, images, reference, SETTINGS)
    assert scores["fid"] == pytest.approx(0.0, abs=1e-6) and scores["n_samples"] == 8
    assert all(math.isnan(scores[key]) for key in judges.CLASS_METRICS)
    assert judge.record == {"features": "Inception pool_3 (TTUR)", "no_class_metrics": judges.NO_CLASSES}


PRDC = ("precision", "recall", "density", "coverage", "prdc_samples")


def test_without_labels_precision_recall_density_coverage_on_the_pool_3_features(judge):
    """A dataset without labels gets PRDC (manifold.prdc) on the Inception features, as a labelled
    one gets it on its classifier's: a copy of the real set reaches all of it, and a collapsed
    generator (one image over and over) has full precision and the recall of one image."""
    real = np.random.default_rng(6).integers(0, 256, (30, 16, 16, 3), dtype=np.uint8)
    reference = {"features": judge(real)[0]}
    copy = score(judge, real, reference, SETTINGS)
    assert [copy[key] for key in PRDC] == [1.0, 1.0, copy["density"], 1.0, 30] and copy["density"] > 0
    collapsed = np.repeat(real[:1], 30, axis=0)
    scores = score(judge, collapsed, reference, SETTINGS)
    assert {key: scores[key] for key in PRDC} == manifold.prdc(reference["features"], judge(collapsed)[0], seed=0)
    assert scores["precision"] == 1.0 and scores["recall"] == pytest.approx(1 / 30)
    assert scores["coverage"] < 0.5 and "stacked_modes" not in scores
    assert all(math.isnan(scores[key]) for key in judges.CLASS_METRICS)


def test_which_judge_each_dataset_gets():
    labelled = ["mnist-5k", "mnist", "fashion-mnist", "cifar10", "stacked-mnist"]
    assert [judges.judge_of(d) for d in labelled] == [judges.CLASSIFIER] * 5
    assert judges.judge_of("folder", {"labels": True}) == judges.CLASSIFIER
    assert judges.judge_of("folder") == judges.judge_of("lsun-bedroom") == judges.INCEPTION
    assert judges.judge_inputs("lsun-bedroom") == {
        "inception": "resources/inception/classify_image_graph_def.pb",
        "inception_manifest": "resources/inception/classify_image_graph_def.manifest.json",
        "reference": "results/lsun-bedroom/evaluation/reference.npz",
    }
    assert set(judges.judge_inputs("cifar10")) == {"classifier", "reference"}


def run_of(experiment: str, model: str, evaluation: dict | None, dataset: str = "lsun-bedroom") -> dict:
    fids = [400.0, 200.0, 120.0, 100.0, 99.0, 98.5]
    over = [{"generator_iteration": 10 * i, "fid": f} for i, f in enumerate(fids)]
    metrics = pd.DataFrame(
        {"generator_iteration": [10 * i for i in range(6)], "em_estimate": [5.0 - i for i in range(6)]}
    )
    if evaluation is not None:
        evaluation = {"over_training": over, **evaluation}
    return {
        "experiment": experiment,
        "dataset": dataset,
        "model": model,
        "architecture": "mlp",
        "seed": 0,
        "status": "completed",
        "generator_iterations": 50,
        "wall_time_s": 60.0,
        "metrics": metrics,
        "evaluation": evaluation,
    }


def test_the_summary_names_the_features_and_compares_only_like_with_like(tmp_path):
    nan = dict.fromkeys(judges.CLASS_METRICS, math.nan)
    inception = {"final": {"fid": 98.5, "kid": 0.05, "kid_std": 0.01, "n_samples": 20, **nan}, **judges_record()}
    runs = [run_of("wgan-mlp-s0", "wgan", inception), run_of("dcgan-mlp-s0", "dcgan", inception)]
    floor = {"fid": 3.0, "kid": 0.0, "kid_std": 0.0, "n_samples": 20, **nan, **judges_record()}
    rows = summary_rows(runs, floor, good_fid=150.0)
    assert [r["features"] for r in rows] == ["Inception pool_3 (TTUR)"] * 2
    assert [r["fid_above_real"] for r in rows] == [95.5, 95.5]
    # a classifier's floor is no floor for Inception numbers
    assert all(math.isnan(r["fid_above_real"]) for r in summary_rows(runs, {"fid": 3.0}, good_fid=150.0))
    thresholds = {"tracking_margin": 0.2, "good_fid": 150.0, "fid_margin": 1.5, "min_modes": 8}
    claims = evaluate_claims(rows, thresholds)  # the claims on modes have none to judge: not a crash
    assert claims and all(isinstance(c["verdict"], str) for c in claims)
    assert robustness.succeeded(rows[0], 150.0, 8) is None  # success needs modes covered: not judged
    write_summary_markdown(rows, claims, floor, tmp_path / "summary.md")
    text = (tmp_path / "summary.md").read_text()
    assert "**Features** (lsun-bedroom): FID and KID on the 2,048 pool_3 features of the Inception graph" in text
    mixed = summary_rows([runs[0], run_of("wgan-mlp-s1", "wgan", {"final": {"fid": 5.0}})], floor)
    write_summary_markdown(mixed, [], floor, tmp_path / "mixed.md")
    assert (
        "runs on different features (Inception pool_3 (TTUR); dataset classifier), not comparable"
        in (tmp_path / "mixed.md").read_text()
    )


def test_the_summary_shows_precision_and_recall_on_the_inception_features(tmp_path):
    nan = dict.fromkeys(judges.CLASS_METRICS, math.nan)
    prdc = {"wgan": (0.7, 0.6), "dcgan": (0.9, 0.1)}  # (precision, recall): the GAN collapsed
    runs = [
        run_of(
            f"{model}-mlp-s0",
            model,
            {
                "final": {"fid": 98.5, "kid": 0.05, "kid_std": 0.01, "n_samples": 20, **nan}
                | {"precision": p, "recall": r, "density": 0.8, "coverage": 0.5, "prdc_samples": 20},
                **judges_record(),
            },
        )
        for model, (p, r) in prdc.items()
    ]
    floor = {"fid": 3.0, "precision": 0.75, "recall": 0.74, "density": 1.0, "coverage": 0.95, **judges_record()}
    rows = summary_rows(runs, floor, good_fid=150.0)
    assert [(r["precision"], r["recall"]) for r in rows] == list(prdc.values())
    thresholds = {"tracking_margin": 0.2, "good_fid": 150.0, "fid_margin": 1.5, "min_modes": 8}
    claims = evaluate_claims(rows, thresholds)
    assert any("on recall" in c["claim"] for c in claims)  # Fig. 7's MLP claim, judged on the pool_3 features
    write_summary_markdown(rows, claims, floor, tmp_path / "summary.md")
    text = (tmp_path / "summary.md").read_text()
    assert "precision / recall" in text and "0.9 / 0.1" in text and "precision 0.75, recall 0.74" in text
    assert "on the features of FID and KID (Features, below)" in text
    assert (
        "**Features** (lsun-bedroom): FID, KID, precision, recall, density and coverage on the 2,048 pool_3 "
        "features of the Inception graph" in text
    )


def judges_record() -> dict:
    return {"features": judges.FEATURES[judges.INCEPTION], "no_class_metrics": judges.NO_CLASSES}


def test_the_plan_gives_each_dataset_its_judge(tmp_path):
    """A grid of a labelled dataset and a folder without labels: the classifier is trained for the
    first only, the Inception graph fetched once and the folder's reference made with it."""
    config = {
        "datasets": ["mnist-5k", "folder"],
        "models": ["wgan"],
        "architectures": ["mlp"],
        "data": {"paths": {"folder": str(tmp_path / "pictures")}, "settings": {"folder": {"image_size": 32}}},
        "evaluation": {"final_samples": 2049, "snapshot_samples": 2049},  # more than Inception's features
    }
    root = copy_workflow(tmp_path / "flow", config)
    plan = snakemake("-n", "--cores", "1", "--quiet", "rules", cwd=root).stdout
    counts = dict(
        line.split()[:2] for line in plan.splitlines() if len(line.split()) == 2 and line.split()[1].isdigit()
    )
    assert counts["train_classifier"] == "1" and counts["inception_reference"] == "1"
    assert counts["download_inception"] == "1" and counts["evaluate"] == "2"
