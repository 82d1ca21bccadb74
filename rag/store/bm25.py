"""The BM25 side index: written by ingest, searched through llama-index's BM25Retriever.

llama-index's own `BM25Retriever.persist` stores every node as JSON beside the bm25s
matrix; at 100k chunks that file dominates load time and memory, and the manifest already
holds the text. So the corpus persisted here is one small record per chunk: its id and
the fields the role/kind filters need. Results are hydrated from the manifest by id.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from rag.store.metadata import role_key
from rag.text.lexical import corpus_root, path_words, proper_names, vocabulary
from rag.types import ChunkRecord

# The tokenization llama-index's BM25Retriever uses, so queries and index agree.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
VOCAB_FILE = "vocabulary.txt"
NAMES_FILE = "names.txt"

# bm25s drops only 33 English stopwords, and only at index time; question words such as
# "what does" then match every "Q: What does ..." heading in a question bank.
QUESTION_STOPWORDS = frozenset(
    """a an the and or of to in on for with at by from as is are was were be been being do does did
    doing have has had what which who whom whose when where why how can could should would will shall
    may might must i me my we our you your they them their it its this that these those there here
    about into than then so if not no any some tell explain describe difference between vs versus""".split()
)
_WORD = re.compile(r"\w[\w'-]*")


def strip_question_words(text: str) -> str:
    kept = [w for w in _WORD.findall(text) if w.lower() not in QUESTION_STOPWORDS]
    return " ".join(kept) or text


def write(folder: Path, records: list[dict], texts: list[str], vocabulary: frozenset[str],
          names: frozenset[str] = frozenset()) -> None:
    """Index `texts` (one per record; records carry node_id + filter fields) into `folder`."""
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), token_pattern=TOKEN_PATTERN, show_progress=False)
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    bm25.save(str(folder), corpus=records, show_progress=False)  # (its newline-index bar is not ingest's progress)
    # What BM25Retriever.from_persist_dir reads back.
    (folder / "retriever.json").write_text(json.dumps({"similarity_top_k": 50, "verbose": False}), encoding="utf-8")
    (folder / VOCAB_FILE).write_text("\n".join(sorted(vocabulary)), encoding="utf-8")
    (folder / NAMES_FILE).write_text("\n".join(sorted(names)), encoding="utf-8")


def indexed_texts(chunks: list[ChunkRecord]) -> list[str]:
    """What the side index reads of each chunk: its title and section path count as words of
    the chunk, as they do for the embedding."""
    return [f"{c.title}\n{c.header_path}\n\n{c.text}" for c in chunks]


def write_chunks(folder: Path, chunks: list[ChunkRecord]) -> None:
    """Index committed chunks into `folder`: each record carries the chunk id, its kind and
    its role flags."""
    records = [{"node_id": c.chunk_id, "kind": c.kind, **{role_key(r): 1 for r in c.roles}} for c in chunks]
    texts = indexed_texts(chunks)
    # (keyword search reads the path too: "the Celestica prep notes" are "interviews/Celestica/prep.md"; the
    # path's words are not counted as the documents' own for names: "google-loop.md" writes "Google" in lower case)
    root = corpus_root({c.source for c in chunks})
    searched = [f"{' '.join(path_words(c.source, root))}\n{t}" for c, t in zip(chunks, texts)]
    write(folder, records, searched, vocabulary(texts), proper_names(texts))


class SideIndex:
    """A loaded BM25 folder: the bm25s matrix, chunk ids in index order, cached filter masks."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.base = BM25Retriever.from_persist_dir(str(folder))
        self.records: list[dict] = self.base.corpus
        self.ids = [r["node_id"] for r in self.records]
        self._masks: dict[tuple, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.records)

    def mask(self, role_flags: tuple[str, ...], kinds: tuple[str, ...]) -> np.ndarray:
        key = (role_flags, kinds)
        if key not in self._masks:
            self._masks[key] = np.fromiter(
                (
                    (not role_flags or any(r.get(f) for f in role_flags)) and (not kinds or r.get("kind") in kinds)
                    for r in self.records
                ),
                dtype=np.float32,
                count=len(self.records),
            )
        return self._masks[key]

    def retriever(self, k: int, mask: np.ndarray | None):
        return QuestionBM25Retriever(self, mask, existing_bm25=self.base.bm25, stemmer=self.base.stemmer,
                                     similarity_top_k=min(k, len(self)))

    def vocabulary(self) -> frozenset[str] | None:
        return self._words(VOCAB_FILE)

    def names(self) -> frozenset[str] | None:
        return self._words(NAMES_FILE)

    def _words(self, name: str) -> frozenset[str] | None:
        """A word list ingest wrote beside the index (None: an index written before it)."""
        path = self.folder / name
        if not path.exists():
            return None
        return frozenset(w for w in path.read_text(encoding="utf-8").split("\n") if w)


class QuestionBM25Retriever(BM25Retriever):
    """BM25 over a question's keywords, returning bare chunk ids (the caller hydrates them)."""

    def __init__(self, side: SideIndex, mask: np.ndarray | None, **kwargs):
        super().__init__(**kwargs)
        self._side = side
        self._weight_mask = mask  # a numpy mask; the base class only takes lists

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        tokens = bm25s.tokenize(strip_question_words(query_bundle.query_str), stemmer=self.stemmer,
                                token_pattern=self.token_pattern, show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = self.bm25.retrieve(tokens, k=self.similarity_top_k, show_progress=False,
                                          weight_mask=self._weight_mask)
        out = []
        for doc, score in zip(docs[0], scores[0]):
            # Zero means no query term matched, or the weight mask filtered the chunk out.
            if score > 0.0:
                node_id = doc["node_id"] if isinstance(doc, dict) else self._side.ids[int(doc)]
                out.append(NodeWithScore(node=TextNode(id_=node_id, text=""), score=float(score)))
        return out
