"""The INT8 copy of the exported embedding model that scores sentences: made once, close to
the float export, one text per call, and never in the way when it cannot be made."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.models import onnx_embedding
from rag.models.bge import PrebuiltOnnxEmbedding
from rag.models.embedding import load_int8_embedder, resolve_model_path, sentence_embedder_for
from rag.models.onnx_embedding import INT8_DIR, OnnxEmbedding, OnnxUnavailable, ensure_export, ensure_int8, export_dir
from rag.settings import EmbeddingSettings

MODEL = Path(resolve_model_path("all-MiniLM-L6-v2"))
SENTENCES = [
    "SQL proficiency is heavily tested: window functions, joins and query optimisation.",
    "Data engineering interviews are the most structured of the three.",
    "ok",
    "Bake the bread for forty minutes at two hundred degrees.",
    "late data, retries and idempotent loads " * 120,  # past the 256-token window
]


@pytest.fixture
def int8(minilm):
    if not isinstance(minilm, OnnxEmbedding):
        pytest.skip("the default backend fell back to torch here")
    return load_int8_embedder(minilm.model_dir, 64, 2)


def test_int8_copy_is_made_once_and_stays_close_to_the_export(int8, minilm):
    folder = ensure_int8(MODEL)
    assert folder.parent == ensure_export(MODEL) and folder.name == INT8_DIR
    assert json.loads((folder / "layout.json").read_text())["cosine_vs_export"] >= onnx_embedding.MIN_INT8_COSINE
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_int8(MODEL) == folder and (folder / "model.onnx").stat().st_mtime_ns == stamp

    exact = np.asarray(minilm.get_text_embedding_batch(SENTENCES))
    quantized = np.asarray(int8.get_text_embedding_batch(SENTENCES))
    assert quantized.shape == exact.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(exact * quantized, axis=1)) > onnx_embedding.MIN_INT8_COSINE
    assert (folder / "model.onnx").stat().st_size < (folder.parent / "model.onnx").stat().st_size / 2


def test_int8_vectors_do_not_depend_on_the_other_texts_of_a_call(int8):
    together = np.asarray(int8.get_text_embedding_batch(SENTENCES))
    alone = np.asarray([int8.get_text_embedding(t) for t in SENTENCES])
    reordered = np.asarray(int8.get_text_embedding_batch(SENTENCES[::-1]))[::-1]
    assert np.allclose(together, alone, atol=1e-6) and np.allclose(together, reordered, atol=1e-6)


def test_int8_scores_rank_sentences_as_the_float_model_does(int8, minilm):
    question = "What does a data engineer interview test?"
    exact = np.asarray(minilm.get_text_embedding_batch(SENTENCES[:4])) @ np.asarray(minilm.get_query_embedding(question))
    quantized = np.asarray(int8.get_text_embedding_batch(SENTENCES[:4])) @ np.asarray(int8.get_query_embedding(question))
    assert list(np.argsort(-quantized)) == list(np.argsort(-exact))
    assert np.max(np.abs(quantized - exact)) < 0.05


@pytest.mark.parametrize("sentence_int8", [True, False])
def test_the_setting_chooses_the_sentence_embedder(minilm, sentence_int8):
    if not isinstance(minilm, OnnxEmbedding):
        pytest.skip("the default backend fell back to torch here")
    chosen = sentence_embedder_for(EmbeddingSettings(sentence_int8=sentence_int8), minilm)
    if sentence_int8:
        assert isinstance(chosen, PrebuiltOnnxEmbedding) and chosen.model_name.endswith("(int8)")
    else:
        assert chosen is minilm


def test_an_embedder_without_an_export_scores_its_own_sentences():
    class Fake:
        pass

    fake = Fake()
    assert sentence_embedder_for(EmbeddingSettings(sentence_int8=True), fake) is fake


@pytest.fixture
def private_export(tmp_path, monkeypatch, minilm):
    """A copy of the float export in a fresh cache, with no INT8 copy yet."""
    if not isinstance(minilm, OnnxEmbedding):
        pytest.skip("the default backend fell back to torch here")
    source = ensure_export(MODEL)
    monkeypatch.setenv("CAREER_RAG_CACHE", str(tmp_path / "cache"))
    target = export_dir(MODEL)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(INT8_DIR))
    load_int8_embedder.cache_clear()
    yield target
    load_int8_embedder.cache_clear()


def test_a_copy_that_strays_is_refused_and_sentences_use_the_float_model(private_export, minilm, monkeypatch, caplog):
    monkeypatch.setattr(onnx_embedding, "MIN_INT8_COSINE", 0.99999)
    with pytest.raises(OnnxUnavailable, match="strays"):
        ensure_int8(MODEL)
    assert [p.name for p in private_export.iterdir() if not p.name.endswith((".onnx", ".json"))] == []
    with caplog.at_level(logging.WARNING, logger="rag.models.embedding"):
        assert sentence_embedder_for(EmbeddingSettings(sentence_int8=True), minilm) is minilm
    assert "float32" in caplog.text


def test_a_failing_quantiser_is_reported_not_raised(private_export, minilm, monkeypatch):
    import onnxruntime.quantization

    def broken(*args, **kwargs):
        raise ValueError("unsupported graph")

    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", broken)
    with pytest.raises(OnnxUnavailable, match="unsupported graph"):
        ensure_int8(MODEL)
    assert not (private_export / INT8_DIR).exists()
    assert sentence_embedder_for(EmbeddingSettings(sentence_int8=True), minilm) is minilm


def test_the_fast_preset_turns_it_on_and_the_default_leaves_it_off():
    from rag.settings import Settings, load_settings

    assert load_settings("fast").embedding.sentence_int8 is True
    assert Settings().embedding.sentence_int8 is False


def test_an_engine_given_its_embedder_still_follows_the_setting(corpus_index, minilm):
    if not isinstance(minilm, OnnxEmbedding):
        pytest.skip("the default backend fell back to torch here")
    from rag.engine import Engine

    fast_settings = corpus_index.model_copy(update={"embedding": corpus_index.embedding.model_copy(
        update={"sentence_int8": True})})
    fast, plain = Engine(fast_settings, embedder=minilm), Engine(corpus_index, embedder=minilm)
    assert isinstance(fast.scorer.embedder, PrebuiltOnnxEmbedding) and plain.scorer.embedder is minilm
    question = "What does a data engineer interview test?"
    assert np.allclose(plain.scorer.query_vector(question), minilm.get_query_embedding(question))
    assert np.dot(fast.scorer.query_vector(question), plain.scorer.query_vector(question)) > 0.97

    answer = fast.ask(question)  # the whole answer path on the INT8 scorer
    assert not answer.refused and answer.citations
    assert all(answer.doc_texts[c.source][c.start : c.end] == c.text for c in answer.citations)
    assert {c.source for c in answer.citations} & {c.source for c in plain.ask(question).citations}
