"""The manifest's tables. Row shapes are in rag/store/records.py; the SQL that reads and
writes them is in rag/store/manifest.py only."""

from __future__ import annotations

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    source TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    roles TEXT NOT NULL,          -- JSON list
    kind TEXT NOT NULL,
    updated TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    text TEXT NOT NULL,           -- the text offsets point into
    page_starts TEXT NOT NULL     -- JSON list, PDFs only
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES docs(source) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page INTEGER,
    header_path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source);
-- chunk ids that may exist in Chroma/BM25 but are not (or no longer) committed
CREATE TABLE IF NOT EXISTS garbage (chunk_id TEXT PRIMARY KEY);
-- practice questions found in documents (rag/study/extract.py); offsets point into docs.text
CREATE TABLE IF NOT EXISTS questions (
    qid TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES docs(source) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    round TEXT,                   -- NULL when neither *Round:* nor a heading names one
    round_inferred INTEGER NOT NULL,
    start INTEGER NOT NULL,       -- the question text: docs.text[start:end] == question
    "end" INTEGER NOT NULL,
    heading_start INTEGER NOT NULL,  -- the whole question heading / line
    heading_end INTEGER NOT NULL,
    answer_start INTEGER,         -- the model answer, when there is one
    answer_end INTEGER,
    key_points TEXT NOT NULL,     -- JSON list of {text, start, end}, exact spans
    header_path TEXT NOT NULL,
    roles TEXT NOT NULL,          -- JSON list
    convention TEXT NOT NULL      -- q-heading | loose
);
CREATE INDEX IF NOT EXISTS questions_by_source ON questions(source);
"""
