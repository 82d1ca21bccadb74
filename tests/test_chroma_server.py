"""Ingest into a real `chroma run` server on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.store.manifest import Index
from tests.conftest import doc, make_settings, write

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "server-data")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("chroma server exited at start")
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.mark.slow
def test_ingest_and_query_through_chroma_server(tmp_path, chroma_server, fake_embedder):
    assert shutil.which(str(CHROMA))
    settings = make_settings(tmp_path / "index", embedding={"model": "test-hash-64"}, index={"dir": str(tmp_path / "index"), "chroma_url": chroma_server})
    write(tmp_path / "d/a.md", doc("A", "Data engineers build pipelines. " * 20))
    write(tmp_path / "d/b.md", doc("B", "ML engineers train models. " * 20))
    r = ingest([tmp_path / "d"], settings, embedder=fake_embedder)
    assert len(r.added) == 2
    index = Index(settings)
    assert index.collection.count() == index.n_chunks() > 0
    assert index.collection.configuration_json["hnsw"]["ef_search"] == settings.index.ef_search
    assert not (tmp_path / "index" / "chroma").exists(), "server mode must not create an embedded store"
    hit = index.collection.query(query_embeddings=[fake_embedder.get_query_embedding("train models")], n_results=1)
    assert hit["metadatas"][0][0]["source"].endswith("b.md")
    (tmp_path / "d/b.md").unlink()
    r = ingest([tmp_path / "d"], settings, embedder=fake_embedder)
    assert len(r.deleted) == 1 and index.collection.count() == index.n_chunks()
