from __future__ import annotations

import pytest
from llama_index.core.schema import NodeWithScore, TextNode

from ingest.pipeline import ingest
from rag.store.bm25 import strip_question_words
from rag.pipeline.retrieve import Query, Retriever, reciprocal_rank_fusion
from rag.store.manifest import Index
from tests.conftest import doc, write


@pytest.fixture
def small_index(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "docs"
    write(root / "de.md", doc("Data Engineer", "Data engineers build batch pipelines with Airflow and Spark.", roles=("data engineer",)))
    write(root / "ml.md", doc("ML Engineer", "ML engineers train gradient boosted models and deploy them.", roles=("ml engineer",)))
    write(root / "ai.md", doc("AI Engineer Interview", "AI engineer interviews include LLM system design and retrieval evaluation.",
                              roles=("ai engineer",), kind="interview-notes"))
    ingest([root], fake_settings, embedder=fake_embedder)
    index = Index(fake_settings)
    yield Retriever(index, fake_embedder)
    index.close()


def _sources(contexts):
    return [c.chunk.source.rsplit("/", 1)[-1] for c in contexts]


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_right_document(small_index, mode):
    got = small_index.retrieve(Query("Airflow Spark pipelines", mode=mode, candidates=3))
    assert _sources(got)[0] == "de.md"
    assert [c.rank for c in got] == list(range(1, len(got) + 1))
    assert len({c.chunk.chunk_id for c in got}) == len(got)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_role_and_kind_filters(small_index, mode):
    got = small_index.retrieve(Query("pipelines models interviews", mode=mode, candidates=5, roles=("ml engineer",)))
    assert set(_sources(got)) == {"ml.md"}
    got = small_index.retrieve(Query("pipelines models interviews", mode=mode, candidates=5, kinds=("interview-notes",)))
    assert set(_sources(got)) == {"ai.md"}
    assert small_index.retrieve(Query("anything", mode=mode, roles=("data analyst",))) == []


def test_contexts_carry_exact_offsets(small_index):
    for c in small_index.retrieve(Query("engineers", mode="hybrid", candidates=10)):
        assert open(c.chunk.source, encoding="utf-8").read()[c.chunk.start : c.chunk.end] == c.chunk.text


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_contexts_remember_their_first_stage_rank(small_index, mode):
    got = small_index.retrieve(Query("engineers", mode=mode, candidates=10))
    assert [c.signals["first_stage_rank"] for c in got] == [float(c.rank) for c in got] == list(map(float, range(1, len(got) + 1)))


def test_uncommitted_vectors_are_never_returned(small_index, fake_embedder):
    # As if an ingest died after writing vectors but before committing the manifest.
    ghost = TextNode(id_="ghost", text="Airflow Spark pipelines ghost", metadata={"source": "/nowhere.md"})
    ghost.embedding = fake_embedder.get_text_embedding(ghost.text)
    small_index.index.vector_store.add([ghost])
    got = small_index.retrieve(Query("Airflow Spark pipelines ghost", mode="dense", candidates=5))
    assert "ghost" not in {c.chunk.chunk_id for c in got} and got


def test_rrf_merges_votes_for_the_same_chunk():
    a, b, c = (TextNode(id_=i, text=i) for i in "abc")
    dense = [NodeWithScore(node=a, score=0.9), NodeWithScore(node=b, score=0.8)]
    # same chunk ids, different node objects/metadata as BM25 returns them
    bm25 = [NodeWithScore(node=TextNode(id_="b", text="b", metadata={"x": 1}), score=5.0),
            NodeWithScore(node=TextNode(id_="c", text="c"), score=4.0)]
    fused = reciprocal_rank_fusion([dense, bm25])
    assert [n.node.node_id for n in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_question_words_do_not_reach_bm25():
    assert strip_question_words("What does a data engineer interview test?") == "data engineer interview test"
    assert strip_question_words("what is it?") == "what is it?"  # nothing left: keep the original


def test_engine_survives_a_rebuild_by_another_process(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "docs"
    write(root / "de.md", doc("Data Engineer", "Data engineers build batch pipelines with Airflow and Spark."))
    ingest([root], fake_settings, embedder=fake_embedder)
    reader = Retriever(Index(fake_settings), fake_embedder)
    assert reader.retrieve(Query("Airflow", mode="dense"))
    ingest([root], fake_settings, embedder=fake_embedder, rebuild=True)  # new Chroma collection
    assert _sources(reader.retrieve(Query("Airflow", mode="dense"))) == ["de.md"]


def test_public_api(tmp_path, fake_settings, fake_embedder):
    from ingest import add
    from rag import Engine

    write(tmp_path / "d" / "a.md", doc("A", "Data engineers build batch pipelines with Airflow."))
    assert len(add([tmp_path / "d"], fake_settings, embedder=fake_embedder).added) == 1
    engine = Engine(fake_settings, embedder=fake_embedder)
    assert engine.retrieve("Airflow pipelines")[0].chunk.title == "A"


def test_ingest_writes_the_names_its_documents_use(tmp_path, fake_settings, fake_embedder):
    from rag.engine import Engine

    root = tmp_path / "docs"
    write(root / "loops.md", doc("Loops", "Onsites at Netflix differ from onsites at Stripe, and Netflix keeps no levels "
                                          "while Stripe asks a bug squash round. Stripe is small."))
    ingest([root], fake_settings, embedder=fake_embedder)
    engine = Engine(fake_settings, embedder=fake_embedder)
    try:
        side = engine.retriever.side_index()
        assert side.names() == {"Netflix", "Stripe"} == engine.names()
        (side.folder / "names.txt").unlink()  # an index written before names were: read from its chunks
    finally:
        engine.close()
    older = Engine(fake_settings, embedder=fake_embedder)
    try:
        assert older.retriever.side_index().names() is None and older.names() == {"Netflix", "Stripe"}
    finally:
        older.close()


def test_the_keyword_index_is_written_without_a_progress_bar_of_its_own(tmp_path, capfd):
    """Ingest shows one progress bar; bm25s's index of its corpus file's lines is not another."""
    from rag.store.bm25 import write as write_bm25

    write_bm25(tmp_path, [{"node_id": "a"}, {"node_id": "b"}], ["SQL window functions", "Airflow pipelines"], frozenset())
    assert "Finding newlines" not in capfd.readouterr().err
