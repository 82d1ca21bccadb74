"""Chroma's HNSW search breadth (index.ef_search): set on new collections, widened on old ones.

At chroma's default breadth (100) a search can miss true nearest neighbours where many
vectors are about equally close, a different one per process (the HNSW graph is built by
several threads); dev indexes lost a top-20 neighbour for 2-5% of questions.
"""

from __future__ import annotations

import logging

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


def test_searches_match_exact_search_once_widened(tmp_path):
    """Random vectors are the hard case for HNSW (every point about equally far)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(N, DIMS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    settings = _settings(tmp_path, N)
    client = open_client(settings, settings.index.dir)
    old = client.get_or_create_collection(settings.index.collection, embedding_function=None,
                                          metadata={"hnsw:space": "cosine"})
    for i in range(0, N, 500):
        old.add(ids=[str(j) for j in range(i, min(N, i + 500))], embeddings=vectors[i:i + 500].tolist())
    # chroma applies the breadth when a process loads the graph: start over as the next run would.
    SharedSystemClient.clear_system_cache()
    collection = open_collection(settings, settings.index.dir)
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
