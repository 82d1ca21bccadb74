"""Chroma's HNSW search breadth (index.ef_search): set on new collections, widened on old ones.

At chroma's default breadth (100) a search can miss true nearest neighbours where many
vectors are about equally close, a different one per process (the HNSW graph is built by
several threads); dev indexes lost a top-20 neighbour for 2-5% of questions.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

from rag.store.chroma import open_client, open_collection, widen_search
from tests.conftest import make_settings

N, DIMS, K = 2000, 64, 20


def _settings(tmp_path, ef_search: int):
    return make_settings(tmp_path / "index", index={"dir": str(tmp_path / "index"), "ef_search": ef_search})


def _ef(collection) -> int | None:
    return (collection.configuration_json.get("hnsw") or {}).get("ef_search")


def test_a_new_collection_is_made_with_the_configured_breadth(tmp_path):
    settings = _settings(tmp_path, 321)
    collection = open_collection(settings, settings.index.dir)
    assert _ef(collection) == 321
    assert collection.configuration_json["hnsw"]["space"] == "cosine"


def test_an_older_collection_is_widened_once_and_keeps_it(tmp_path):
    settings = _settings(tmp_path, 400)
    client = open_client(settings, settings.index.dir)
    # How indexes were made before index.ef_search: chroma's default breadth.
    old = client.get_or_create_collection(settings.index.collection, embedding_function=None,
                                          metadata={"hnsw:space": "cosine"})
    assert _ef(old) == 100
    assert _ef(open_collection(settings, settings.index.dir, client=client)) == 400
    again = open_client(settings, settings.index.dir).get_collection(settings.index.collection)
    assert _ef(again) == 400, "the breadth is stored with the collection"


# Builds an index the way indexes were made before index.ef_search (chroma's default breadth),
# in a process of its own: chroma reads the breadth when a process loads the graph, as the
# next run of the app would.
_OLD_INDEX = """
import sys, numpy as np, chromadb
from chromadb.config import Settings
path, name, vectors = sys.argv[1], sys.argv[2], np.load(sys.argv[3])
client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False, allow_reset=True))
old = client.get_or_create_collection(name, embedding_function=None, metadata={"hnsw:space": "cosine"})
for i in range(0, len(vectors), 500):
    old.add(ids=[str(j) for j in range(i, min(len(vectors), i + 500))], embeddings=vectors[i:i + 500].tolist())
"""


def test_searches_match_exact_search_once_widened(tmp_path):
    """Random vectors are the hard case for HNSW (every point about equally far)."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(N, DIMS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(tmp_path / "vectors.npy", vectors)
    settings = _settings(tmp_path, N)
    subprocess.run([sys.executable, "-c", _OLD_INDEX, str(settings.index.dir / "chroma"), settings.index.collection,
                    str(tmp_path / "vectors.npy")], check=True, timeout=300)
    collection = open_collection(settings, settings.index.dir)
    assert collection.count() == N
    for q in rng.normal(size=(30, DIMS)).astype(np.float32):
        exact = {str(i) for i in np.argsort(-(vectors @ q))[:K]}
        assert set(collection.query(query_embeddings=[q.tolist()], n_results=K)["ids"][0]) == exact


class _Refusing:
    name = "career_rag"
    configuration_json = {"hnsw": {"space": "cosine", "ef_search": 100}}

    def __init__(self, error: Exception):
        self.error = error

    def modify(self, configuration):
        raise self.error


def test_a_store_that_refuses_keeps_its_breadth_and_says_so(caplog):
    from chromadb.errors import ChromaError

    with caplog.at_level(logging.WARNING, logger="rag.store.chroma"):
        widen_search(_Refusing(ChromaError("read-only")), 400)
    assert "cannot set Chroma's ef_search to 400" in caplog.text and "searching with 100" in caplog.text
    with pytest.raises(RuntimeError, match="a bug"):  # only store errors are passed over
        widen_search(_Refusing(RuntimeError("a bug")), 400)
