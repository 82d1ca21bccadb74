"""The cross-encoder reranker: the packaged INT8 ms-marco MiniLM-L-12 on onnxruntime, and the
sentence-transformers fallback behind the same predict()."""

from __future__ import annotations

import random
import shutil
import threading

import numpy as np
import pytest

from rag.models.cross_encoder import (
    CrossEncoderError,
    CrossEncoderModel,
    OnnxCrossEncoder,
    PairCache,
    SentenceTransformersCrossEncoder,
    load_cross_encoder,
)
from rag.models.packaged import locate

# (question, the passage that answers it, near misses on the same topic, unrelated text)
CASES = [
    (
        "What is a star schema?",
        "A star schema is a data warehouse design in which a central fact table of measurements "
        "is joined to denormalised dimension tables such as date, product and customer.",
        ["A snowflake schema normalises dimension tables into several related tables.",
         "Data warehouses store historical data for reporting and analytics."],
        ["Kubernetes schedules containers onto the nodes of a cluster.",
         "Knead the dough for ten minutes, then let it rise for an hour."],
    ),
    (
        "How should a streaming pipeline handle late-arriving events?",
        "Late-arriving events are handled with watermarks: the pipeline keeps a window open for an "
        "allowed lateness, updates the aggregates when a late event arrives, and drops events after that.",
        ["Streaming pipelines read events from Kafka topics.",
         "Batch pipelines run on a schedule, for example every hour."],
        ["The Treaty of Westphalia was signed in 1648.",
         "Tennis is played with a racket and a ball on a court."],
    ),
    (
        "What is the difference between precision and recall?",
        "Precision is the share of predicted positives that are truly positive; recall is the share "
        "of actual positives that the model finds.",
        ["A confusion matrix is a table of predicted versus actual classes.",
         "Accuracy can be misleading on imbalanced datasets."],
        ["Parquet is a columnar file format used in data lakes.",
         "The museum opens at nine on weekdays."],
    ),
    (
        "Which SQL clause filters rows after aggregation?",
        "HAVING filters groups after GROUP BY has aggregated them, whereas WHERE filters rows before aggregation.",
        ["GROUP BY groups rows that share values in the listed columns.",
         "SQL joins combine rows from two or more tables."],
        ["Photosynthesis converts light into chemical energy in plants.",
         "Our flight to Lisbon was delayed by two hours."],
    ),
]


@pytest.fixture(scope="module")
def ce():
    """The shared, cached model (as the app gets it)."""
    return load_cross_encoder("ms-marco-MiniLM-L-12-v2", threads=2)


@pytest.fixture(scope="module")
def fresh():
    """An uncached instance: every predict runs the model."""
    return OnnxCrossEncoder(locate("ms-marco-MiniLM-L-12-v2"), threads=2, cache_size=0)


class CountingSession:
    def __init__(self, session):
        self.session, self.calls, self.rows = session, 0, 0

    def run(self, outputs, feed):
        self.calls += 1
        self.rows += len(feed["input_ids"])
        return self.session.run(outputs, feed)

    def __getattr__(self, name):
        return getattr(self.session, name)


@pytest.fixture
def counted(fresh):
    fresh.session = counter = CountingSession(fresh.session)
    yield counter
    fresh.session = counter.session


# --- fast ------------------------------------------------------------------------------------


def test_max_length_is_checked_before_loading():
    with pytest.raises(ValueError, match="max_length"):
        OnnxCrossEncoder("/nonexistent", max_length=1024)
    with pytest.raises(ValueError, match="max_length"):
        OnnxCrossEncoder("/nonexistent", max_length=4)


def test_a_bad_onnx_folder_is_a_clear_error(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"junk")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(CrossEncoderError, match="cannot load the ONNX cross-encoder"):
        OnnxCrossEncoder(tmp_path)


def test_a_packaged_embedder_is_not_a_cross_encoder():
    with pytest.raises(CrossEncoderError, match="embedding model, not a cross-encoder"):
        load_cross_encoder("BAAI/bge-small-en-v1.5")


def test_a_file_is_not_a_model(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(CrossEncoderError, match="is a file"):
        load_cross_encoder(tmp_path / "weights.bin")


def test_pair_cache_is_an_lru():
    cache = PairCache(2)
    cache.put_many({("q", "a"): 1.0, ("q", "b"): 2.0})
    assert cache.get_many([("q", "a")]) == [1.0]  # now most recent
    cache.put_many({("q", "c"): 3.0})
    assert cache.get_many([("q", "a"), ("q", "b"), ("q", "c")]) == [1.0, None, 3.0]
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 1
    off = PairCache(0)
    off.put_many({("q", "a"): 1.0})
    assert off.get_many([("q", "a")]) == [None]


# --- slow: the real model ---------------------------------------------------------------------


@pytest.mark.slow
def test_loaded_once_per_name_threads_and_length(ce):
    assert isinstance(ce, OnnxCrossEncoder) and isinstance(ce, CrossEncoderModel)
    assert load_cross_encoder("cross-encoder/MS-MARCO-MiniLM-L-12-v2", threads=2) is ce
    assert load_cross_encoder("ms-marco-MiniLM-L-12-v2", threads=2, max_length=128) is not ce


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c[0][:30] for c in CASES])
def test_the_answer_ranks_first(ce, case):
    question, answer, near, unrelated = case
    passages = [*near, *unrelated, answer]
    random.Random(len(question)).shuffle(passages)
    scores = ce.predict([(question, p) for p in passages])
    assert scores.dtype == np.float32 and scores.shape == (len(passages),)
    best = passages[int(np.argmax(scores))]
    assert best == answer, dict(zip(passages, scores.round(2)))
    by_passage = dict(zip(passages, scores))
    assert by_passage[answer] > 0, "a clear answer scores above 0"
    assert all(by_passage[p] < by_passage[answer] - 2 for p in near)
    assert all(by_passage[p] < -5 for p in unrelated), "unrelated text scores below -5"


@pytest.mark.slow
def test_scores_do_not_depend_on_order_or_grouping(fresh):
    pairs = [(q, p) for q, a, near, unrel in CASES for p in (a, *near, *unrel)]
    together = fresh.predict(pairs)
    rng = random.Random(7)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    shuffled = fresh.predict([pairs[i] for i in order])
    np.testing.assert_allclose(shuffled, together[order], atol=1e-4)
    one_by_one = np.concatenate([fresh.predict([p]) for p in pairs])
    np.testing.assert_allclose(one_by_one, together, atol=1e-4)
    in_threes = np.concatenate([fresh.predict(pairs[i:i + 3]) for i in range(0, len(pairs), 3)])
    np.testing.assert_allclose(in_threes, together, atol=1e-4)


@pytest.mark.slow
def test_side_by_side_calls_give_the_scores_of_one_thread(fresh):
    alone = OnnxCrossEncoder(locate("ms-marco-MiniLM-L-12-v2"), threads=1, cache_size=0)
    pairs = [(q, p) for q, a, near, unrel in CASES for p in (a, *near, *unrel)]
    assert fresh.threads == 2
    assert np.array_equal(fresh.predict(pairs), alone.predict(pairs))


@pytest.mark.slow
def test_batched_runs_agree_on_the_ranking():
    """batch_tokens > 0 pads pairs into shared calls: faster on big machines, but the INT8 export
    quantises per tensor, so scores move a little with the batch (why it is not the default)."""
    batched = OnnxCrossEncoder(locate("ms-marco-MiniLM-L-12-v2"), threads=2, batch_tokens=4096, cache_size=0)
    for question, answer, near, unrelated in CASES:
        passages = [answer, *near, *unrelated]
        scores = batched.predict([(question, p) for p in passages])
        assert int(np.argmax(scores)) == 0 and scores[0] > 0 and (scores[3:] < -5).all()


@pytest.mark.slow
def test_a_cached_pair_does_not_run_the_model(fresh, counted):
    fresh.cache = PairCache(4096)
    try:
        question, answer, near, unrelated = CASES[0]
        pairs = [(question, p) for p in (answer, *near, *unrelated)]
        first = fresh.predict(pairs)
        assert counted.rows == len(pairs)
        calls = counted.calls
        again = fresh.predict(list(reversed(pairs)))
        assert counted.calls == calls, "the second call over the same pairs must not run the session"
        np.testing.assert_array_equal(again, first[::-1])
        # Only the new pair runs; a pair repeated within one call runs once.
        mixed = fresh.predict([pairs[0], (question, "A new passage."), (question, "A new passage."), pairs[1]])
        assert counted.rows == len(pairs) + 1
        assert mixed[1] == mixed[2] and mixed[0] == first[0] and mixed[3] == first[1]
    finally:
        fresh.cache = PairCache(0)


@pytest.mark.slow
def test_the_shared_model_caches(ce):
    ce.clear_cache()
    question, answer, *_ = CASES[1]
    ce.predict([(question, answer)])
    ce.predict([(question, answer)])
    assert ce.cache.hits == 1 and ce.cache.misses == 1


@pytest.mark.slow
def test_a_long_passage_is_cut_and_the_question_kept(fresh):
    question, answer, _, unrelated = CASES[0]
    filler = " ".join(["warehouse"] * 2000)
    long_answer = answer + " " + filler  # 2000+ words: cut to max_length, its start kept
    enc = fresh.encode([(question, long_answer)])[0]
    q_tokens = len(fresh._fallback.encode(question, add_special_tokens=False).ids)
    assert len(enc.ids) == fresh.max_length == 256
    assert enc.type_ids.count(0) == q_tokens + 2  # [CLS] question [SEP], uncut
    assert enc.tokens[-1] == "[SEP]"
    scores = fresh.predict([(question, long_answer), (question, unrelated[0] + " " + filler)])
    assert np.isfinite(scores).all() and scores[0] > 0 and scores[0] > scores[1] + 5


@pytest.mark.slow
def test_a_question_too_long_for_only_second_is_cut_too(fresh):
    """tokenizers' only_second raises when the question alone fills max_length (and the error
    would fail the whole batch): such questions are cut longest-first instead."""
    long_question = "what is a star schema and " * 80
    pairs = [(long_question, "A star schema has a fact table."), ("What is a star schema?", "word " * 3000),
             (long_question, "short"), ("", ""), ("q", "")]
    encoded = fresh.encode(pairs)
    assert [len(e.ids) for e in encoded[:3]] == [256, 256, 256]
    assert encoded[2].tokens[-3:] == ["[SEP]", "short", "[SEP]"]  # the short passage survives whole
    scores = fresh.predict(pairs)
    assert scores.shape == (5,) and np.isfinite(scores).all()
    assert fresh.predict([]).shape == (0,)
    with pytest.raises(TypeError):
        fresh.predict(["not a pair"])


@pytest.mark.slow
def test_predict_is_thread_safe(ce, fresh):
    pairs = [(q, p) for q, a, near, unrel in CASES for p in (a, *near, *unrel)]
    expected = fresh.predict(pairs)
    ce.clear_cache()
    results, errors = {}, []

    def work(i):
        try:
            results[i] = ce.predict(pairs[i % 5:] + pairs[:i % 5])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, got in results.items():
        np.testing.assert_allclose(got, np.concatenate([expected[i % 5:], expected[:i % 5]]), atol=1e-4)


@pytest.mark.slow
def test_a_local_onnx_folder_loads_as_onnx(tmp_path):
    source = locate("ms-marco-MiniLM-L-12-v2")
    folder = tmp_path / "my-reranker"
    folder.mkdir()
    for name in ("model.onnx", "tokenizer.json"):
        (folder / name).symlink_to(source / name)
    model = load_cross_encoder(str(folder), threads=1, max_length=128)
    assert isinstance(model, OnnxCrossEncoder) and model.max_length == 128
    question, answer, _, unrelated = CASES[3]
    scores = model.predict([(question, answer), (question, unrelated[0])])
    assert scores[0] > 0 > -5 > scores[1]


@pytest.mark.slow
def test_pytorch_weights_run_on_sentence_transformers(tmp_path):
    """A folder without model.onnx goes to sentence-transformers, behind the same predict()."""
    from transformers import BertConfig, BertForSequenceClassification

    source = locate("ms-marco-MiniLM-L-12-v2")
    folder = tmp_path / "tiny-ce"
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=1, max_position_embeddings=512)
    BertForSequenceClassification(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copyfile(source / name, folder / name)
    model = load_cross_encoder(folder, threads=1, max_length=64)
    assert isinstance(model, SentenceTransformersCrossEncoder) and isinstance(model, CrossEncoderModel)
    scores = model.predict([("q", "a passage"), ("another question", "word " * 500)])
    assert scores.dtype == np.float32 and scores.shape == (2,) and np.isfinite(scores).all()
    np.testing.assert_allclose(model.predict([("q", "a passage")]), scores[:1])


@pytest.mark.slow
def test_an_unknown_hub_name_fails_clearly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CrossEncoderError, match=r"cannot load cross-encoder 'nobody/no-such-reranker'.*no network"):
        load_cross_encoder("nobody/no-such-reranker", threads=1)
