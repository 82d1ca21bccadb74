"""Practice questions for an index built before the question table existed (or by an
older extractor): re-extracted from the document texts the manifest keeps."""

from __future__ import annotations

import logging
from pathlib import Path

from rag.store.errors import ManifestWriteError
from rag.store.records import QuestionRow, StoredText
from rag.study.extract import QUESTIONS_VERSION, question_rows
from rag.text.frontmatter import FRONT_MATTER_SUFFIXES, read_front_matter

log = logging.getLogger(__name__)


def ensure_questions(index) -> bool:
    """Fill the question table of an older index, in one transaction.

    Returns False when the index cannot be written (questions are then read as they are).
    """
    if index.get_meta("questions") == QUESTIONS_VERSION:
        return True
    try:
        index.replace_questions(QUESTIONS_VERSION, _rows)
    except ManifestWriteError as exc:
        log.info("practice questions not backfilled: %s", exc)
        return False
    return True


def _rows(doc: StoredText) -> list[QuestionRow]:
    body_start = 0
    if Path(doc.source).suffix.lower() in FRONT_MATTER_SUFFIXES:
        body_start = read_front_matter(doc.text)[1]
    return question_rows(doc.source, doc.text, body_start, doc.title, doc.roles)
