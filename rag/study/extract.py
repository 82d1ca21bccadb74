"""Practice questions found in documents, stored beside them in the manifest.

Two conventions, both read as exact spans (``text[start:end]``), never rewritten:

- The corpus convention (``### Q: ...?``, ``*Round: X*``, a model answer, ``Key points:``
  and bullets). Without a Key points list, the model answer's sentences are the points.
- A looser one for people's own notes and articles: a line that is one question ending
  with "?" (a heading, a bold line, a list item, ``Q:`` ...) followed by an answer
  (paragraphs and/or bullets). Bullets become the key points, else the answer's
  sentences. A question with no answer under it (a list of example questions) is
  skipped: nothing is ever made up.

The round comes from ``*Round: X*``, else from the nearest section heading that names
one, else from the question itself; roles are the document's, else those the question
or the title name. ``question_rows`` turns them into the manifest's rows: ingest stores
them with their document, rag/study/backfill.py re-derives them for older indexes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from rag.roles import find_roles
from rag.store.records import QuestionRow
from rag.study.rounds import ROUNDS, infer_round, normalise_round
from rag.text.lexical import count_tokens
from rag.text.sentences import split_sentences
from rag.text.sentences import trim as _trim
from rag.text.spans import blocks
from rag.text.syntax import BULLETS, FENCE, HEADING, LIST_MARK, markdown_heading

__all__ = ["QUESTIONS_VERSION", "ROUNDS", "ExtractedQuestion", "PointSpan", "extract_questions", "normalise_round",
           "question_id", "question_roles", "question_rows"]

QUESTIONS_VERSION = "1"  # bump when extraction changes: indexes re-extract on next use
MAX_POINTS = 5

_Q_HEADING = re.compile(r"^(#{2,6})[ \t]+Q:[ \t]*(\S.*?\?)[ \t#]*$")
_ROUND_LINE = re.compile(r"^[ \t]*[*_][ \t]*Round:[ \t]*([^*_\n]+?)[ \t]*[*_][ \t]*$", re.I)
_KEY_POINTS = re.compile(r"^[ \t]*(?:\*\*|__)?Key points(?:\*\*|__)?[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*$", re.I)
_BULLET = re.compile(rf"^([ \t]*)(?:[{BULLETS}]|\d{{1,3}}[.)])[ \t]+")
_PREFIX = re.compile(r"(?:Q(?:uestion)?[ \t]*\d{0,3}[ \t]*[:.)][ \t]*)", re.I)
_WRAP_OPEN = "*_\"'“‘"
_WRAP_CLOSE = "*_\"'”’"
_LEAD_DASH = re.compile(r"[-–—•*][ \t]*")
_CLAUSE = re.compile(r";[ \t]+|,[ \t]+(?:while|whereas)[ \t]+")


@dataclass(frozen=True)
class PointSpan:
    text: str
    start: int
    end: int

    def to_json(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass
class ExtractedQuestion:
    question: str
    start: int  # text[start:end] == question
    end: int
    heading_start: int  # the whole question line / heading
    heading_end: int
    round: str | None
    round_inferred: bool
    answer_start: int | None
    answer_end: int | None
    key_points: list[PointSpan] = field(default_factory=list)
    header_path: str = ""
    convention: str = "q-heading"  # or "loose"


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        out.append((pos, stop))
        pos = stop + 1
    return out


def _strip_lead(text: str, s: int, e: int) -> tuple[int, int]:
    m = LIST_MARK.match(text, s, e) or _LEAD_DASH.match(text, s, e)
    return _trim(text, m.end(), e) if m else (s, e)


def _ok_point(text: str, s: int, e: int) -> bool:
    raw = text[s:e].rstrip(" *_\"'”)")
    return len(raw.split()) >= 5 and not raw.endswith(("?", ":"))


def _sentence_points(text: str, spans: list[tuple[int, int]]) -> list[PointSpan]:
    """Sentences of answer paragraphs as points; a lone long sentence splits at clause breaks."""
    sents: list[tuple[int, int]] = []
    for s, e in spans:
        sents.extend(_strip_lead(text, a, b) for a, b in split_sentences(text, s, e))
    sents = [(s, e) for s, e in sents if _ok_point(text, s, e)]
    if len(sents) == 1:
        s, e = sents[0]
        parts, cur = [], s
        for m in _CLAUSE.finditer(text, s, e):
            parts.append((cur, m.start()))
            cur = m.end()
        parts.append((cur, e))
        if len(parts) > 1 and all(_ok_point(text, a, b) for a, b in parts):
            sents = [_trim(text, a, b) for a, b in parts]
    return [PointSpan(text[s:e], s, e) for s, e in sents[:MAX_POINTS]]


def _item_point(text: str, s: int, e: int) -> tuple[int, int] | None:
    s, e = _strip_lead(text, *_trim(text, s, e))
    if count_tokens(text[s:e]) > 45:  # a long bullet: its first sentence is the point
        s, e = split_sentences(text, s, e)[0]
    return (s, e) if _ok_point(text, s, e) else None


# -- the corpus convention ----------------------------------------------------------
def _strict(text: str, body_start: int) -> list[ExtractedQuestion]:
    found: list[ExtractedQuestion] = []
    stack: list[tuple[int, str]] = []
    heads: list[tuple[int, int, int, str, tuple[int, int] | None]] = []  # (start, end, level, title, question)
    for kind, s, e in blocks(text, body_start, len(text)):
        if kind == "heading":
            line_s, line_e = _trim(text, s, e)
            level, title = markdown_heading(text[line_s:line_e])
            q = _Q_HEADING.match(text[line_s:line_e])
            heads.append((line_s, line_e, level, title, (line_s + q.start(2), line_s + q.end(2)) if q else None))
    for i, (hs, he, level, title, q) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        path = " > ".join(t for _, t in stack)
        stack.append((level, title))
        if not q:
            continue
        block_end = next((h[0] for h in heads[i + 1:] if h[2] <= level), len(text))
        found_q = _parse_block(text, hs, he, block_end, *q)
        if found_q:
            found_q.header_path = path
            if found_q.round is None:
                found_q.round = infer_round(*reversed([t for _, t in stack[:-1]]), found_q.question)
                found_q.round_inferred = found_q.round is not None
            found.append(found_q)
    return found


def _parse_block(text: str, hs: int, he: int, end: int, qs: int, qe: int) -> ExtractedQuestion | None:
    rnd, answer, kp_line, ans_start = None, [], None, None
    for kind, s, e in blocks(text, he, end):
        if kp_line is None and _KEY_POINTS.match(text[s:e]):
            kp_line = (s, e)
            break
        if kind == "heading":
            break  # a deeper sub-heading ends the model answer
        m = _ROUND_LINE.match(text[s:e].split("\n", 1)[0]) if rnd is None and not answer else None
        if m:
            rnd = m.group(1)
            nl = text.find("\n", s, e)
            if nl == -1:
                continue
            s = nl + 1
        s, e = _trim(text, s, e)
        if s < e:
            answer.append((kind, s, e))
    points: list[PointSpan] = []
    if kp_line:
        for kind, s, e in blocks(text, kp_line[1], end):
            if kind != "item":
                break
            span = _item_point(text, s, e)
            if span:
                points.append(PointSpan(text[span[0]:span[1]], *span))
    if not points:
        points = _sentence_points(text, [(s, e) for k, s, e in answer if k == "para"])
    if not points:
        return None
    if answer:
        ans_start, ans_end = answer[0][1], answer[-1][2]
    rounded = normalise_round(rnd)
    return ExtractedQuestion(
        question=text[qs:qe], start=qs, end=qe, heading_start=hs, heading_end=he, round=rounded,
        round_inferred=False, answer_start=ans_start, answer_end=ans_end if answer else None,
        key_points=points[:MAX_POINTS], convention="q-heading",
    )


# -- the looser convention ----------------------------------------------------------
def _question_core(text: str, s: int, e: int) -> tuple[int, int, str, int] | None:
    """(start, end, kind, level) of the question in one line, or None."""
    line = text[s:e]
    kind, level = "line", 0
    m = HEADING.match(line)
    if m:
        kind, level = "heading", len(m.group(1))
        s, e = s + m.start(2), s + m.end(2)
    else:
        b = _BULLET.match(line)
        if b:
            kind, level = "item", len(b.group(1).expandtabs(4))
            s += b.end()
    s, e = _trim(text, s, e)
    p = _PREFIX.match(text, s, e)
    if p:
        s = p.end()
    while s < e and text[s] in _WRAP_OPEN:
        s += 1
    while e > s and text[e - 1] in _WRAP_CLOSE:
        e -= 1
    s, e = _trim(text, s, e)
    core = text[s:e]
    if not core.endswith("?") or not (core[:1].isupper() or core[:1].isdigit()):
        return None
    if not 3 <= len(core.split()) <= 40 or len(split_sentences(text, s, e)) != 1:
        return None
    return s, e, kind, level


class _Doc:
    """The body as lines, with what the loose reader needs to know about each."""

    def __init__(self, text: str, body_start: int, title: str | None, taken: list[tuple[int, int]]):
        self.text, self.title, self.taken = text, (title or "").strip(), taken
        self.lines = _lines(text, body_start, len(text))
        self.code, fenced = [], False
        for s, e in self.lines:
            fence = bool(FENCE.match(text[s:e]))
            self.code.append(fence or fenced)
            fenced = fenced != fence
        self.blank = [not text[s:e].strip() for s, e in self.lines]
        self.first = next((i for i, b in enumerate(self.blank) if not b and len(self.raw(i).split()) > 1), -1)

    def raw(self, i: int) -> str:
        return self.text[self.lines[i][0]:self.lines[i][1]]

    def heading(self, i: int):
        return None if self.code[i] else HEADING.match(self.raw(i))

    def bullet(self, i: int):
        return None if self.code[i] else _BULLET.match(self.raw(i))

    def ends_sentence(self, i: int) -> bool:
        return self.raw(i).rstrip(" *_").endswith((".", "!", "?", ":", '"', "”", ")"))

    def label(self, i: int) -> bool:
        """A plain-text heading or label: a short line that does not continue a sentence."""
        raw = self.raw(i).strip()
        if not raw or self.code[i] or self.bullet(i) or raw.endswith((".", "!", ":", ",", ";", '"', "”")):
            return False
        before = i == 0 or self.blank[i - 1] or self.ends_sentence(i - 1)
        return before and count_tokens(raw) < (14 if i + 1 >= len(self.lines) or self.blank[i + 1] else 8)

    def question(self, i: int):
        """(start, end, kind, level) when line i is a question that starts an answer."""
        s, e = self.lines[i]
        if self.code[i] or self.blank[i] or any(a <= s < b for a, b in self.taken):
            return None
        core = _question_core(self.text, s, e)
        if not core or self.text[core[0]:core[1]].strip() == self.title or (i == self.first and core[2] != "heading"):
            return None
        if core[2] == "line" and i > 0 and not self.blank[i - 1] and not self.heading(i - 1):
            prev = self.raw(i - 1).strip()
            if not self.ends_sentence(i - 1) and len(prev.split()) > 6:
                return None  # a wrapped line in the middle of a paragraph
        return core

    def stops(self, j: int) -> bool:
        return bool(self.question(j) or self.heading(j) or self.label(j))

    def answer(self, i: int, kind: str, level: int) -> list[tuple[str, int, int]]:
        """Blocks (kind, start, end) answering the question on line i."""
        n = len(self.lines)
        # A question standing alone (a heading, or a line with a blank after it) heads a
        # section of several blocks; one followed directly by text is answered by that text.
        sectioned = kind == "heading" or (i + 1 < n and self.blank[i + 1])
        blocks: list[tuple[str, int, int]] = []
        j, words = i + 1, 0
        while j < n and words <= 350 and len(blocks) < 8:
            if self.blank[j]:
                if blocks and not sectioned and not self.text[blocks[-1][1]:blocks[-1][2]].rstrip().endswith(":"):
                    break
                j += 1
                continue
            if self.stops(j):
                break
            b = self.bullet(j)
            if kind == "item" and b and len(b.group(1).expandtabs(4)) <= level:
                break  # a sibling item: another question of the same list, not an answer
            k = j + 1
            if self.code[j]:
                while k < n and self.code[k] and not FENCE.match(self.raw(k)):
                    k += 1
                k = min(k + 1, n)
                blocks.append(("code", self.lines[j][0], self.lines[k - 1][1]))
            else:
                while k < n and not self.blank[k] and not self.code[k] and not self.bullet(k) and not self.stops(k):
                    k += 1
                blocks.append(("item" if b else "para", self.lines[j][0], self.lines[k - 1][1]))
                words += len(self.text[self.lines[j][0]:self.lines[k - 1][1]].split())
            j = k
        return blocks


def _loose(text: str, body_start: int, title: str | None, taken: list[tuple[int, int]]) -> list[ExtractedQuestion]:
    doc = _Doc(text, body_start, title, taken)
    found: list[ExtractedQuestion] = []
    heads: list[tuple[int, str]] = []
    i = 0
    while i < len(doc.lines):
        hm = doc.heading(i)
        if hm:
            level = len(hm.group(1))
            heads = [h for h in heads if h[0] < level] + [(level, hm.group(2).strip())]
        core = doc.question(i)
        if not core:
            i += 1
            continue
        qs, qe, kind, level = core
        blocks = doc.answer(i, kind, level)
        items = [sp for k, a, b in blocks if k == "item" for sp in [_item_point(text, a, b)] if sp]
        points = [PointSpan(text[a:b], a, b) for a, b in items[:MAX_POINTS]] or \
            _sentence_points(text, [(a, b) for k, a, b in blocks if k == "para"])
        if not points:
            i += 1
            continue
        section = [t for _, t in heads if not (kind == "heading" and t == text[doc.lines[i][0]:doc.lines[i][1]].lstrip("# ").strip())]
        rnd = infer_round(*reversed(section), text[qs:qe])
        found.append(ExtractedQuestion(
            question=text[qs:qe], start=qs, end=qe, heading_start=doc.lines[i][0], heading_end=doc.lines[i][1],
            round=rnd, round_inferred=rnd is not None, answer_start=blocks[0][1], answer_end=blocks[-1][2],
            key_points=points, header_path=" > ".join(section), convention="loose",
        ))
        i += 1
        while i < len(doc.lines) and doc.lines[i][0] < blocks[-1][2]:
            i += 1
    return found


def extract_questions(text: str, body_start: int = 0, title: str | None = None) -> list[ExtractedQuestion]:
    """Every practice question of a document, in document order, as exact spans."""
    strict = _strict(text, body_start)
    taken = [(q.heading_start, max([q.heading_end, q.answer_end or 0] + [p.end for p in q.key_points])) for q in strict]
    return sorted(strict + _loose(text, body_start, title, taken), key=lambda q: q.start)


def question_id(source: str, question: str, n: int = 0) -> str:
    return hashlib.sha1(f"{source}\0{' '.join(question.lower().split())}\0{n}".encode()).hexdigest()[:12]


def question_roles(doc_roles: list[str], question: str, header_path: str, title: str) -> list[str]:
    """The document's roles; for a document without any, the roles its question, section and title name."""
    return list(doc_roles) or list(dict.fromkeys(find_roles(question) + find_roles(header_path) + find_roles(title)))


def question_rows(source: str, text: str, body_start: int, title: str, roles: list[str]) -> list[QuestionRow]:
    """A document's questions as manifest rows (a repeated question gets its own id)."""
    rows, seen = [], {}
    for seq, q in enumerate(extract_questions(text, body_start, title)):
        n = seen[q.question.lower()] = seen.get(q.question.lower(), -1) + 1
        rows.append(QuestionRow(
            qid=question_id(source, q.question, n), source=source, seq=seq, question=q.question, round=q.round,
            round_inferred=q.round_inferred, start=q.start, end=q.end, heading_start=q.heading_start,
            heading_end=q.heading_end, answer_start=q.answer_start, answer_end=q.answer_end,
            key_points=[p.to_json() for p in q.key_points], header_path=q.header_path,
            roles=question_roles(roles, q.question, q.header_path, title), convention=q.convention,
        ))
    return rows
