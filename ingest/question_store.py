"""The manifest's practice-question table: written inside the ingest transaction, so
questions follow their document through add, update and delete; backfilled for indexes
built before the table existed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rag.study.extract import QUESTIONS_VERSION, extract_questions
from rag.roles import find_roles


def question_id(source: str, question: str, n: int = 0) -> str:
    return hashlib.sha1(f"{source}\0{' '.join(question.lower().split())}\0{n}".encode()).hexdigest()[:12]


def question_roles(doc_roles: list[str], question: str, header_path: str, title: str) -> list[str]:
    """The document's roles; for a document without any, the roles its question, section and title name."""
    return list(doc_roles) or list(dict.fromkeys(find_roles(question) + find_roles(header_path) + find_roles(title)))


def _insert(db, source: str, text: str, body_start: int, title: str, roles: list[str]) -> int:
    rows, seen = [], {}
    for seq, q in enumerate(extract_questions(text, body_start, title)):
        n = seen[q.question.lower()] = seen.get(q.question.lower(), -1) + 1
        rows.append((
            question_id(source, q.question, n), source, seq, q.question, q.round, int(q.round_inferred), q.start, q.end,
            q.heading_start, q.heading_end, q.answer_start, q.answer_end, json.dumps([p.to_json() for p in q.key_points]),
            q.header_path, json.dumps(question_roles(roles, q.question, q.header_path, title)), q.convention,
        ))
    db.executemany(f"INSERT INTO questions VALUES ({','.join('?' * 16)})", rows)
    return len(rows)


def store_questions(db, doc) -> int:
    """Called inside the ingest's manifest transaction, after the document row is written."""
    source = str(doc.path)
    db.execute("DELETE FROM questions WHERE source=?", (source,))
    # The table is known complete only when it started with this document (a new or
    # rebuilt index); an older index gets the rest from ensure_questions() on first use.
    if db.execute("SELECT value FROM meta WHERE key='questions'").fetchone() is None \
            and db.execute("SELECT count(*) FROM docs").fetchone()[0] == 1:
        db.execute("INSERT INTO meta(key, value) VALUES ('questions', ?)", (QUESTIONS_VERSION,))
    return _insert(db, source, doc.text, doc.body_start, doc.meta["title"], doc.meta["roles"])


def ensure_questions(index) -> bool:
    """Fill the side table of an index built before it existed (or by an older extractor).

    Re-extracts from the document text the manifest keeps, in one transaction. Returns
    False when the index cannot be written (questions are then read as they are).
    """
    import sqlite3

    from rag.text.frontmatter import FrontMatterError, split_front_matter

    if index.get_meta("questions") == QUESTIONS_VERSION:
        return True
    try:
        with index.transaction() as db:
            if db.execute("SELECT value FROM meta WHERE key='questions'").fetchone() == (QUESTIONS_VERSION,):
                return True  # another process just did it
            db.execute("DELETE FROM questions")
            docs = db.execute("SELECT source, text, title, roles FROM docs").fetchall()
            for source, text, title, roles in docs:
                body_start = 0
                if Path(source).suffix.lower() in (".md", ".markdown", ".txt"):
                    try:
                        body_start = split_front_matter(text)[1]
                    except FrontMatterError:
                        body_start = 0
                _insert(db, source, text, body_start, title, json.loads(roles))
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('questions', ?)", (QUESTIONS_VERSION,))
    except sqlite3.OperationalError:
        return False
    return True
