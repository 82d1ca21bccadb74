"""Property-based tests (hypothesis) for the parsers that see untrusted text.

- Front matter (ingest/frontmatter.py): on any text, split_front_matter returns clean
  metadata or raises FrontMatterError, nothing else, and quickly; valid front matter
  written by a YAML emitter round-trips its fields and leaves the body untouched.
- Loader (ingest/loaders.py): on any bytes, load raises only SkipFile; what it returns is
  exactly the bytes decoded with the encoding it reports; text in UTF-16/32, UTF-8 with
  a BOM and Latin-1 round-trips.
- Load -> chunk: every chunk of a loaded document is an exact slice of its text, never
  inside the front matter, and together the chunks cover the body (the chunk_spans-level
  property lives in tests/test_chunking.py).
- Citation markers (rag/answer.py): on generated answers with valid and dangling [n]
  markers, verify keeps exactly the valid markers, cites every one of them, and each
  citation is an exact span inside the passage it names (tests/test_citations.py only
  checks that the parser does not crash).
"""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from ingest.chunker import SpanChunker
from rag.text.frontmatter import KINDS, FrontMatterError, split_front_matter
from ingest.loaders import SkipFile, load
from ingest.pipeline import as_document
from rag.pipeline.candidates import SentenceScorer
from rag.text.shown import clean
from rag.pipeline.verify import MARKER as _MARKER, answer_sentences, verify
from rag.prompts import REFUSAL
from rag.types import Context
from rag.types import ChunkRecord
from tests.conftest import hard_breaks
from tests.fakes import HashEmbedding

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KNOWN_KEYS = {"title", "roles", "kind", "source_ref", "updated"}

# YAML-ish fragments, so random text often reaches the YAML parser with odd structure.
_YAML_BITS = st.sampled_from(
    ["title", "roles", "kind", "updated", "source", ":", ": ", " ", "  ", "\n", "\t", "- ", "[", "]", "{", "}", ",",
     "&a ", "*a", "!!python/object/apply:os.system", "!tag ", "'", '"', "? ", "|", ">", "#", "%YAML 1.1\n",
     "2026-13-45", "2026-11-20", "12:30:00", "9" * 40, "1e999", "~", "null", "yes", "role-guide", "---", "...",
     "\ufeff", "\x00", "\x85", "\u2028", "\r", "é", "日本", "\\x", "\\u12"]
)
_yaml_soup = st.lists(_YAML_BITS, max_size=60).map("".join)
_any_text = st.text(max_size=400)
_decoded_bytes = st.binary(max_size=400).map(lambda b: b.decode("utf-8", errors="replace"))


def _check_meta(meta: dict, body_start: int, text: str) -> None:
    assert isinstance(meta, dict) and set(meta) <= KNOWN_KEYS
    assert 0 <= body_start <= len(text)
    if "title" in meta:
        assert isinstance(meta["title"], str) and meta["title"] == meta["title"].strip()
    if "roles" in meta:
        assert isinstance(meta["roles"], list)
        assert all(isinstance(r, str) and r and r == r.strip().lower() for r in meta["roles"])
    if "kind" in meta:
        assert meta["kind"] in KINDS
    for key in ("updated", "source_ref"):
        if key in meta:
            assert isinstance(meta[key], str)


@FUZZ
@given(st.one_of(
    _any_text,
    _decoded_bytes,
    _yaml_soup.map(lambda s: f"---\n{s}\n---\nbody"),
    st.tuples(_yaml_soup, _any_text).map(lambda t: f"---\n{t[0]}\n---\n{t[1]}"),
    _yaml_soup.map(lambda s: "---\n" + s),  # never closed
    st.tuples(_yaml_soup, _any_text).map(lambda t: f"+++\n{t[0]}\n+++\n{t[1]}"),  # TOML (Hugo)
))
@example("+++\ntitle = " + "[" * 3000 + "]" * 3000 + "\n+++\nbody")
@example("+++\ntitle = 1979-05-27\nroles = 'x'\n+++\nbody")
@example("---\nupdated: 2026-13-45\n---\nbody")
@example("---\ntitle: " + "9" * 5000 + "\n---\nbody")
@example("---\nx: " + "[" * 3000 + "]" * 3000 + "\n---\nbody")
@example("---\n" + "- " * 3000 + "y\n---\nbody")
@example("---\na: &a [x, x]\nb: [*a, *a]\n---\nbody")
@example("---\ntitle: !!python/object/apply:os.system ['true']\n---\nbody")
def test_front_matter_parser_raises_only_its_own_error(text):
    t0 = time.perf_counter()
    try:
        meta, body_start = split_front_matter(text)
    except FrontMatterError as exc:
        assert str(exc), "the error must say why"
    else:
        _check_meta(meta, body_start, text)
    assert time.perf_counter() - t0 < 2.0, "front matter parsing must stay fast on hostile input"


_line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85\ufeff"),
    max_size=60,
)


@FUZZ
@given(
    title=st.one_of(_line_text, st.integers(-10**6, 10**6)),
    roles=st.lists(_line_text, max_size=4),
    kind=st.sampled_from(KINDS).flatmap(lambda k: st.sampled_from([k, k.upper(), f" {k} ", k.title()])),
    source=_line_text,
    updated=st.one_of(st.dates(), st.datetimes(), _line_text),
    extra=st.dictionaries(st.sampled_from(["notes", "tags", "author"]), _line_text, max_size=2),
    body=st.text(max_size=200),
    width=st.sampled_from([20, 80, 10**6]),
)
def test_front_matter_round_trips_fields_written_by_a_yaml_emitter(title, roles, kind, source, updated, extra, body, width):
    fields = {"title": title, "roles": roles, "kind": kind, "source": source, "updated": updated, **extra}
    dumped = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=width)
    text = f"---\n{dumped}---\n{body}"
    meta, body_start = split_front_matter(text)
    assert text[body_start:] == body
    if isinstance(updated, (dt.date, dt.datetime)):
        want_updated = updated.isoformat()[:10]
    else:
        want_updated = updated.strip()
    assert meta == {
        "title": str(title).strip(),
        "roles": [r.strip().lower() for r in roles if r.strip()],
        "kind": kind.strip().lower(),
        "source_ref": source.strip(),
        "updated": want_updated,
    }


# -- loader ----------------------------------------------------------------------------
def _pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 800, "Fuzzing notes about SQL interviews.")
    c.showPage()
    c.drawString(72, 800, "Second page about pipelines.")
    c.save()
    return buf.getvalue()


PDF = _pdf_bytes()


@st.composite
def _mutated_pdf(draw):
    data = bytearray(PDF)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos : pos + draw(st.integers(1, 200))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=20))
        if not data:
            break
    return bytes(data)


_encoded_text = st.tuples(
    st.text(max_size=300),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]),
).map(lambda t: t[0].encode(t[1], errors="ignore"))


@FUZZ
@given(
    name=st.sampled_from(["f.md", "f.txt", "f.html", "f.pdf"]),
    data=st.one_of(st.binary(max_size=600), _encoded_text, _mutated_pdf()),
)
def test_loader_raises_only_skipfile_and_returns_the_decoded_bytes(name, data):
    try:
        loaded = load(Path(name), data)
    except SkipFile as exc:
        assert str(exc)
        return
    assert loaded.text[loaded.body_start :].strip()
    assert 0 <= loaded.body_start <= len(loaded.text)
    if name.endswith((".md", ".txt")):
        assert loaded.text == io.StringIO(data.decode(loaded.encoding), newline=None).read()
        _check_meta({k: v for k, v in loaded.meta.items() if k in KNOWN_KEYS}, loaded.body_start, loaded.text)


_readable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\x85\u2028\u2029"),
    max_size=300,
) | st.text(alphabet=" abcdefghij\n\t.", max_size=300)
_latin = st.text(alphabet=" abcdefXYZ.,!?\n0123àâçéèêëîïôûùüÿñ", max_size=300)


@FUZZ
@given(
    body=st.one_of(
        st.tuples(_readable, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "utf-16-be-bom"])),
        st.tuples(_latin, st.just("latin-1")),
    ),
    crlf=st.booleans(),
)
def test_text_in_any_detectable_encoding_round_trips(body, crlf):
    text, encoding = body
    text = "# Notes\n\n" + text + "\nEnd."
    if crlf:
        text = text.replace("\n", "\r\n")
    if encoding == "utf-16-be-bom":
        data = "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    loaded = load(Path("notes.md"), data)
    want = io.StringIO(text, newline=None).read()
    assert loaded.text == want  # == open(path, encoding=loaded.encoding).read(); a BOM is not text
    assert loaded.meta["title"] == "Notes"


# -- load -> chunk ---------------------------------------------------------------------
_md_line = st.one_of(
    st.from_regex(r"#{1,3} [A-Za-z][A-Za-z ]{0,15}", fullmatch=True),
    st.from_regex(r"[-*] [A-Za-zé][A-Za-zé ,.]{0,50}", fullmatch=True),
    st.from_regex(r"[A-Z][a-zé ]{0,40}\. [A-Z][a-z ]{0,40}[.?!]", fullmatch=True),
    st.just("```"),
    st.just(""),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_md_line, min_size=1, max_size=30),
    front=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
    crlf=st.booleans(),
    size=st.integers(12, 120),
    overlap_frac=st.floats(0, 0.5),
)
@example(lines=["# A", "0\\", "# A"], front=False, encoding="utf-8", crlf=False, size=12, overlap_frac=0.0)
def test_loaded_documents_chunk_into_exact_slices_of_their_body(lines, front, encoding, crlf, size, overlap_frac):
    text = ("---\ntitle: Fuzz doc\nroles: [data engineer]\n---\n" if front else "") + "\n".join(lines) + "\nLast line."
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding, errors="replace")
    try:
        loaded = load(Path("/fuzz/doc.md"), data)
    except SkipFile:
        assume(False)
    loaded.path = Path("/fuzz/doc.md")
    nodes = SpanChunker(chunk_size=size, chunk_overlap=int(size * overlap_frac)).chunk_document(as_document(loaded))
    assert nodes
    covered = bytearray(len(loaded.text))
    for n in nodes:
        assert loaded.body_start <= n.start_char_idx < n.end_char_idx <= len(loaded.text)
        assert n.get_content() == loaded.text[n.start_char_idx : n.end_char_idx]
        covered[n.start_char_idx : n.end_char_idx] = b"\x01" * (n.end_char_idx - n.start_char_idx)
    assert len({n.node_id for n in nodes}) == len(nodes)
    breaks = hard_breaks(loaded.text)  # (a backslash that ends a line is a hard break, layout)
    lost = [i for i in range(loaded.body_start, len(loaded.text))
            if not loaded.text[i].isspace() and not covered[i] and i not in breaks]
    assert not lost, repr(loaded.text[lost[0] : lost[0] + 20])
    if front:
        assert loaded.meta["title"] == "Fuzz doc" and loaded.text[: loaded.body_start].startswith("---")


# -- citation markers ------------------------------------------------------------------
DOC = (
    "# Data Engineer\n\n"
    "Data engineers build batch pipelines with Airflow. Interviews test SQL window functions.\n\n"
    "## Skills\n\n- Spark and Kafka for streaming jobs.\n- Dimensional modeling with star schemas.\n\n"
    "## Pay\n\nSalaries depend on the level and the city. Senior roles lead platform design.\n"
)
_VOCAB = "data engineers build batch pipelines airflow interviews sql window spark kafka modeling salaries senior".split()


def _contexts() -> list[Context]:
    spans = []
    for needle, until in (("Data engineers", "functions."), ("- Spark", "schemas."), ("Salaries", "design.")):
        start = DOC.index(needle)
        spans.append((start, DOC.index(until, start) + len(until)))
    return [
        Context(i, ChunkRecord(f"c{i}", "/d.md", i, s, e, None, "Data Engineer", "Data Engineer", [], "role-guide", DOC[s:e]), 1.0)
        for i, (s, e) in enumerate(spans, 1)
    ]


_sentence = st.tuples(
    st.lists(st.sampled_from(_VOCAB + ["Pilots", "fly", "planes", "2026", "$120k"]), min_size=1, max_size=10),
    st.lists(st.integers(0, 12) | st.just(999), max_size=3),
    st.sampled_from([".", "!", "?", ""]),
    st.booleans(),  # markers after the full stop ("... jobs. [2]")
)


def _render(sentence) -> str:
    words, markers, stop, after = sentence
    marks = "".join(f"[{m}]" for m in markers)
    text = " ".join(words)
    if after:
        return f"{text}{stop} {marks}".rstrip()
    return f"{text} {marks}{stop}" if marks else f"{text}{stop}"


SCORER = SentenceScorer(HashEmbedding())


@FUZZ
@given(
    sentences=st.lists(_sentence, min_size=1, max_size=8),
    seps=st.lists(st.sampled_from([" ", "\n", "\n- ", "\n\n"]), min_size=8, max_size=8),
    junk=st.sampled_from(["", "[1000]", "[x]", "[]", "[[2]]", "[ 3 ]"]),
)
def test_marker_parser_keeps_cites_and_places_exactly_the_valid_markers(sentences, seps, junk):
    contexts = _contexts()
    n = len(contexts)
    answer = "".join(_render(s) + seps[i] for i, s in enumerate(sentences)).strip() + junk
    cleaned, citations = verify(answer, contexts, {"/d.md": DOC}, SCORER)

    valid_in = [int(m) for m in _MARKER.findall(answer) if 1 <= int(m) <= n]
    left = [int(m) for m in _MARKER.findall(cleaned)]
    assert sorted(left) == sorted(valid_in), "valid markers are kept, dangling ones dropped"

    spans = answer_sentences(cleaned)
    assert all(0 <= s < e <= len(cleaned) for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "sentence spans are ordered and disjoint"
    for m in _MARKER.finditer(cleaned):
        assert any(s <= m.start() and m.end() <= e for s, e in spans), f"marker {m.group(0)} belongs to no sentence"

    expected = []
    for s, e in spans:
        plain = clean(_MARKER.sub("", cleaned[s:e]))
        if plain and plain != REFUSAL:
            expected += sorted({int(m) for m in _MARKER.findall(cleaned[s:e])})
    assert [c.marker for c in citations] == expected, "one citation per (sentence, valid marker), in order"
    for c in citations:
        chunk = contexts[c.marker - 1].chunk
        assert c.source == chunk.source and chunk.start <= c.start < c.end <= chunk.end
        assert DOC[c.start : c.end] == c.text
