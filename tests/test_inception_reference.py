"""An Inception-judged dataset's reference as TTUR would accept it: at least 10,000 training images
(all where there are fewer), computed once by the rule with a manifest, and no FID from fewer
samples than the 2,048 pool_3 features (the config is refused, with the reason). With the
stand-in graph of tests/test_inception.py."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from conftest import copy_workflow, mirror, snakemake
from test_inception import archive_of, stand_in_graph
from wganlib.judge import judges
from wganlib.judge.inception import DIMS
from wganlib.judge.inception_graph import ARCHIVE, GRAPH
from wganlib.plan import config as cfg


@pytest.fixture(scope="module")
def served():
    """The stand-in graph's archive on loopback, with its checksum."""
    graph = stand_in_graph()
    with mirror({f"/{ARCHIVE}": archive_of({GRAPH: graph})}) as (url, _):
        yield {"url": f"{url}/{ARCHIVE}", "sha256": hashlib.sha256(graph).hexdigest()}


def test_fewer_samples_than_inception_features_are_refused_with_the_reason():
    ok = {"final_samples": 10_000, "snapshot_samples": 2049}
    assert (
        cfg.validate({"datasets": ["lsun-bedroom"], "evaluation": ok})["evaluation"]["inception"]["reference_images"]
        == judges.REFERENCE_IMAGES
    )
    for key in ok:
        for n in (500, judges.INCEPTION_FEATURES):  # 2,048 samples: a covariance of rank 2,047 at most
            with pytest.raises(cfg.ConfigError) as err:
                cfg.validate({"datasets": ["mnist-5k", "lsun-bedroom"], "evaluation": ok | {key: n}})
            assert f"evaluation.{key}: {n:,} samples are too few for lsun-bedroom" in str(err.value)
            assert "covariance over 2,048 features has full rank only from 2,049" in str(err.value)
    assert cfg.validate({"datasets": ["mnist-5k"], "evaluation": {"snapshot_samples": 500}})  # a classifier's features
    with pytest.raises(cfg.ConfigError, match="reference_images: 9999 is out of range: it must be at least 10000"):
        cfg.validate({"datasets": ["lsun-bedroom"], "evaluation": ok | {"inception": {"reference_images": 9999}}})


def test_the_reference_is_training_images_and_the_floor_held_out_ones():
    chosen, held_out = judges.inception_reference_images(30_000, 10_000, 2_049)
    assert len(chosen) == 10_000 and len(held_out) == 2_049 and not set(chosen) & set(held_out)
    assert list(chosen) == sorted(chosen) and (chosen == judges.inception_reference_images(30_000, 10_000, 5)[0]).all()
    everything, none = judges.inception_reference_images(40, 10_000, 2_049)  # fewer than 10,000: all of them
    assert list(everything) == list(range(40)) and len(none) == 0


def test_the_rule_computes_the_reference_once_with_its_manifest(served, tmp_path):
    """A folder without labels through Snakemake with the stand-in graph: its reference is the
    pool_3 features of every training image (fewer than 10,000), its manifest says which, and its
    floor is the held-out test images."""
    from test_bad_data import pictures

    pictures(tmp_path / "pictures", 16)
    config = {
        "datasets": ["folder"],
        "training": {"batch_size": 4},  # planning asks for a batch of every experiment in 10 training images
        "data": {
            "paths": {"folder": str(tmp_path / "pictures")},
            "settings": {"folder": {"image_size": 16, "test_images": 6}},
        },
        "evaluation": {
            "final_samples": 2049,
            "snapshot_samples": 2049,
            "kid_subsets": 2,
            "kid_subset_size": 3,
            "inception": {"url": served["url"], "sha256": served["sha256"]},
        },
    }
    root = copy_workflow(tmp_path / "flow", config)
    target = "results/folder/evaluation/reference.npz"
    snakemake("--cores", "1", target, cwd=root)
    with np.load(root / target) as saved:
        assert saved["features"].shape == (10, DIMS)  # 16 pictures, 6 held out for evaluation
    manifest = json.loads((root / "results/folder/evaluation/reference.manifest.json").read_text())
    assert manifest["reference"] | {"chosen": None} == {
        "split": "train",
        "images": 10,
        "of": 10,
        "asked": 10_000,
        "chosen": None,
    }
    assert manifest["floor"] == {"training_images": 0, "test_images": 6}
    assert manifest["graph_sha256"] == served["sha256"] and manifest["features"] == judges.FEATURES[judges.INCEPTION]
    floor = json.loads((root / "results/folder/evaluation/real_floor.json").read_text())
    assert floor["n_samples"] == 6 and floor["features"] == judges.FEATURES[judges.INCEPTION]
    assert "Nothing to be done" in snakemake("-n", "--cores", "1", target, cwd=root).stdout  # once
