"""Heading-like lines of plain-text documents (no ``#`` headings) are headings: units,
sections, chunks and the answer path agree on them; markdown documents split as before.
Fast: no model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ingest.chunker import SpanChunker, chunk_groups, chunk_spans
from ingest.loaders import load
from ingest.pipeline import as_document
from rag.pipeline.candidates import last_heading, quotable_units
from rag.settings import Settings
from rag.text.plain_headings import COLON_LEVEL, LABEL_LEVEL, NUMBERED_LEVEL, TITLE_LEVEL, plain_headings
from rag.text.spans import heading_text, is_plain_text, split_sections, split_units
from tests.conftest import CORPUS, ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir() or not list(SEEDS.glob("*.txt")), reason=f"no seeds at {SEEDS}")
BODY = ("This paragraph is ordinary body text. It has two sentences and runs long enough to read like prose, "
        "not like a label of any kind.")


def heads(text: str) -> list[str]:
    return [text[s:e] for s, e, _ in plain_headings(text)]


def levels(text: str) -> dict[str, int]:
    return {text[s:e]: level for s, e, level in plain_headings(text)}


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


# -- what is a heading ----------------------------------------------------------------
def test_labels_standing_alone_or_right_above_their_text():
    text = (f"The Short Version\n\n{BODY}\n\nAI Engineer: What the Job Actually Is\n\n{BODY}\n\n"
            f"What the interview tests:\n\n{BODY}\n\nSummary\n{BODY}\nTakeaways\n- First point about roles.\n"
            f"- Second point about roles.\nQ & A\nWhat is RAG and why is it important for AI engineers?\n-{BODY}\n")
    assert levels(text) == {
        "The Short Version": TITLE_LEVEL,  # the document's first line
        "AI Engineer: What the Job Actually Is": LABEL_LEVEL,
        "What the interview tests:": COLON_LEVEL,
        "Summary": LABEL_LEVEL,
        "Takeaways": LABEL_LEVEL,
        "Q & A": LABEL_LEVEL,
        "What is RAG and why is it important for AI engineers?": LABEL_LEVEL,
    }


def test_a_label_ending_in_colon_dash_is_a_colon_label_and_not_a_title():
    # "Round 1:-": a colon with a dash after it, as many interview write-ups end their labels
    text = f"Round 1:-\n\n{BODY}\n\nRound 2:-\n\n{BODY}\n\nTips:-Read the job details first.\n"
    assert levels(text) == {"Round 1:-": COLON_LEVEL, "Round 2:-": COLON_LEVEL}
    from ingest.loaders import guess_title

    assert guess_title(text, 0, Path("cisco.txt")) == "cisco"


def test_a_line_set_off_by_symbols_is_read_as_its_words():
    text = "*****Capgemini Interview*****\nThe eligibility criteria was a minimum of 60% in every exam.\n\nRound 1: Online Test\n\n" \
           f"{BODY}\n\n==== Round 2 ====\n\n{BODY}\n\n***Bold italics*** are written like this in markdown.\n"
    assert levels(text) == {"*****Capgemini Interview*****": TITLE_LEVEL, "Round 1: Online Test": LABEL_LEVEL,
                            "==== Round 2 ====": LABEL_LEVEL}
    assert [s.header_path for s in split_sections(text)][-1] == "Capgemini Interview > Round 2"


def test_colon_labels_nest_under_the_section_they_recur_in():
    text = (f"Roles Compared\n\n{BODY}\n\nAI Engineer: What the Job Actually Is\n\n{BODY}\n\nWhat the interview tests:\n\n"
            f"AI interviews test debugging.\n\nData Engineer: What the Job Actually Is\n\n{BODY}\n\n"
            f"What the interview tests:\n\nSQL proficiency is heavily tested, with window functions and joins.\n")
    paths = [s.header_path for s in split_sections(text)]
    assert paths == [
        "Roles Compared",
        "Roles Compared > AI Engineer: What the Job Actually Is",
        "Roles Compared > AI Engineer: What the Job Actually Is > What the interview tests",
        "Roles Compared > Data Engineer: What the Job Actually Is",
        "Roles Compared > Data Engineer: What the Job Actually Is > What the interview tests",
    ]
    sql = next(q for q in quotable_units(text, 0, len(text)) if q.text.startswith("SQL"))
    assert sql.lead == "What the interview tests"


def test_numbered_section_headings_but_not_numbered_lists():
    text = (f"Inside the Interview\n\n{BODY}\n\n1. Foundational Knowledge (ML & AI Theory)\nYou need to know your stuff. "
            "They will ask why, not only how, and they will keep asking.\n\nExample Questions:\n"
            "* Can you explain the bias-variance tradeoff?\n\n2. Practical Coding\nThis is a given. You will face a "
            "couple of coding challenges in most loops.\n")
    assert levels(text) == {"Inside the Interview": TITLE_LEVEL,
                            "1. Foundational Knowledge (ML & AI Theory)": NUMBERED_LEVEL,
                            "Example Questions:": COLON_LEVEL, "2. Practical Coding": NUMBERED_LEVEL}
    assert [s.header_path for s in split_sections(text)][-1] == "Inside the Interview > 2. Practical Coding"
    lists = [f"Skills\n\n{BODY}\n\n1. Python\n2. SQL\n3. Spark\n\n{BODY}\n",
             f"Skills\n\n{BODY}\n\n1. Python\n\n2. SQL\n\n3. Spark\n\n{BODY}\n",
             f"Skills\n\n{BODY}\n\n1. Learn Python first.\n2. Then SQL\n\n{BODY}\n",
             f"Skills\n\n{BODY}\n\n1. Build a portfolio of two or three\n   projects that show end-to-end work.\n"]
    for text in lists:
        assert heads(text) == ["Skills"], text


def test_title_and_a_label_above_it():
    text = f"Blog\n\nThree Roles Compared\n\nA friendly guide to the roles.\n\n{BODY}\n"
    assert levels(text) == {"Blog": LABEL_LEVEL, "Three Roles Compared": TITLE_LEVEL}
    assert [s.header_path for s in split_sections(text)] == ["Three Roles Compared"]  # "Blog" is carried along


@pytest.mark.parametrize("text", [
    # a one-line paragraph that is a full sentence
    f"SQL is tested in every data engineering loop.\n\n{BODY}\n\nPython is required for most of these roles.\n\n{BODY}\n",
    f"{BODY}\n\nIt works.\n\n{BODY}\n",
    f"{BODY}\n\nGood luck!\n\n{BODY}\n",
    # lists of short items: bulleted, bare lines, bare lines between blank lines
    f"{BODY}\n\n- Python\n- SQL\n- Spark\n\n{BODY}\n",
    f"{BODY}\n\n• Python\n• SQL\n\n{BODY}\n",
    f"{BODY}\n\nPython\nSQL\nSpark\n\n{BODY}\n",
    f"{BODY}\n\nPython\n\nSQL\n\nSpark\n\n{BODY}\n",
    f"{BODY}\n\nTop 10 Types of Software Developers\n\nTop 8 AI Engineering Certificates You Need\n\n"
    f"Top 10 High Paying Remote Skills (from Research)\n",
    # wrapped paragraphs, including lines that start a sentence after a line ending one
    f"{BODY}\n\nInterviews for data roles are structured and predictable.\nSQL proficiency is tested in nearly every loop\n"
    "with window functions and query plans coming up often. Most teams\nAlso ask about modeling and schema design.\n",
    f"{BODY}\n\nCandidates who prepare well usually practise\nSQL window functions every day for a month.\n",
    f"{BODY}\n\nData engineers build pipelines. Most companies blur\nThe boundaries between data and\nML engineering.\n",
    # a lead-in sentence too long to be a label; a line ending mid-sentence; nothing after a label
    f"{BODY}\n\nWe will break down the key questions that seem to be on everyone's mind:\n- One\n- Two\n",
    f"{BODY}\n\nThe most important skills for the role are\n\n{BODY}\n",
    f"{BODY}\n\nShare\n",
    f"{BODY}\n\n| Role | Pay |\n| AI | 160k |\n\n{BODY}\n",
    f"{BODY}\n\n```\nExample Code Block\nprint('hi there, this is code.')\n```\n",
    f"{BODY}\n\n    Indented Line Here\n\n{BODY}\n",
])
def test_not_headings(text):
    assert heads(text) == [], heads(text)
    assert not any(u.kind == "heading" for u in split_units(text))


def test_first_line_that_is_a_sentence_is_not_a_title():
    assert heads(f"This note covers how SQL interviews work.\n\n{BODY}\n") == []
    assert heads(f"So You Want to Be an AI Engineer? Here's What the Interview Is Like.\n\n{BODY}\n") == [
        "So You Want to Be an AI Engineer? Here's What the Interview Is Like."]


# -- who gets plain headings -----------------------------------------------------------
def test_markdown_documents_keep_markdown_headings_only():
    text = f"# Guide\n\nThe Short Version\n\n{BODY}\n\nWhat the interview tests:\n\n{BODY}\n"
    assert not is_plain_text(text)
    assert [u.kind for u in split_units(text)].count("heading") == 1
    assert split_units(text) == split_units(text, plain_headings=False)
    assert [s.header_path for s in split_sections(text)] == ["Guide"]


def test_md_without_hash_headings_and_front_matter_are_plain():
    text = f"---\ntitle: x\n# a yaml comment\n---\nThe Short Version\n\n{BODY}\n\n```\n# a shell comment\n```\n"
    assert is_plain_text(text)
    assert heads(text) == ["The Short Version"]
    assert not is_plain_text(f"Intro\n\n{BODY}\n\n## Real heading\n\n{BODY}\n")


NOTES = "They cared about:\n* read heavy traffic, caching with TTL\n* analytics on clicks\n{}\n"


@pytest.mark.parametrize("after, plain, kinds", [
    # plain-text notes: a new sentence under an item is a paragraph of its own
    ("I forgot rate limiting. Next time mention it early.", True, ["item", "item", "sentence", "sentence"]),
    # ... but a line that carries on the item's words is the item's
    ("Per user and per day.", False, ["item", "item"]),
    ("and rate limits per user", True, ["item", "item"]),
    # markdown reads the same line as the item's lazy continuation
    ("I forgot rate limiting. Next time mention it early.", False, ["item", "sentence", "sentence"]),
])
def test_a_line_under_a_list_item_of_plain_notes(after, plain, kinds):
    text = NOTES.format(after)
    units = split_units(text, plain_headings=plain)
    assert [u.kind for u in units][1:] == kinds, [text[u.start : u.end] for u in units]
    said = [text[u.start : u.end] for u in units]
    if after.startswith("I forgot"):
        assert ("I forgot rate limiting." in said) == plain  # markdown: "* analytics on clicks\nI forgot ..."


def test_the_caller_can_say():
    text = f"The Short Version\n\n{BODY}\n"
    assert [u.kind for u in split_units(text, plain_headings=False)] == ["sentence"] * 3
    assert [u.kind for u in split_units(text)] == ["heading", "sentence", "sentence"]
    assert [s.header_path for s in split_sections(text, plain_headings=False)] == [""]
    assert [sp.header_path for sp in chunk_spans(text, 0, 180, 30, plain_headings=False)] == [""]
    assert {g[0] for g in chunk_groups(text, 0, 180, 30, plain_headings=False)} == {""}
    assert {g[0] for g in chunk_groups(text, 0, 180, 30)} == {"The Short Version"}


def test_heading_text():
    text = f"Roles\n\n{BODY}\n\nWho this role is for:\n\n{BODY}\n\n## Markdown\n"
    units = [u for u in split_units(text, plain_headings=True) if u.kind == "heading"]
    assert [heading_text(text, u) for u in units] == ["Roles", "Who this role is for", "Markdown"]


# -- the seeds ------------------------------------------------------------------------
@needs_seeds
def test_seed_header_paths():
    paths = {p.name[:3]: [s.header_path for s in split_sections(p.read_text(encoding="utf-8"))]
             for p in SEEDS.glob("*.txt")}
    t0 = "AI Engineer vs ML Engineer vs Data Engineer: What's the Difference and How Do the Interviews Differ?"
    assert paths["000"][0] == t0
    for role in ("AI", "ML", "Data"):
        for label in ("Day to day work includes", "What the interview tests", "Who this role is for"):
            assert f"{t0} > {role} Engineer: What the Job Actually Is > {label}" in paths["000"]
    assert f"{t0} > How to Choose" in paths["000"] and f"{t0} > The Overlap" in paths["000"]
    t1 = "So You Want to Be an AI Engineer? Here’s What the Interview is *Really* Like."
    assert paths["001"][:3] == [t1, f"{t1} > AI vs. ML Engineer: What’s the Difference?",
                                f"{t1} > Inside the AI Engineer Interview: Skills and Questions"]
    assert (f"{t1} > Inside the AI Engineer Interview: Skills and Questions > 3. AI Systems Design > Example Questions"
            in paths["001"])
    assert paths["001"][-1] == f"{t1} > How to Best Prepare for Your AI Engineer Interview"
    t2 = "Breakdown of Engineering Roles in AI Emerges"
    assert paths["002"][0] == t2
    t3 = "AI Engineer vs. Machine Learning Engineer: What’s the Real Difference? Pay, Job Market, Skills"
    assert paths["003"][:2] == [f"{t3} > Summary", f"{t3} > Takeaways"]
    assert f"{t3} > Why is evaluation important in AI engineering?" in paths["003"]
    assert sum(p.endswith("?") for p in paths["003"]) == 12  # every question of the Q & A


@needs_seeds
def test_seed_sql_sentence_keeps_its_context():
    text = seed("000")
    groups = chunk_groups(text, 0, 180, 30)
    path, units = next((p, units) for p, units in groups
                       if any(text[u.start:u.end].startswith("SQL proficiency") for u, _ in units))
    assert path.endswith("Data Engineer: What the Job Actually Is > What the interview tests")
    # as rag.pipeline.candidates.candidates reads a retrieved chunk
    found = quotable_units(text, units[0][0].start, units[-1][0].end, heading=last_heading(path))
    (q,) = [q for q in found if q.text.startswith("SQL proficiency")]
    assert q.lead.startswith("What the interview tests: Data engineering interviews are the most structured")


def _check_offsets(text: str, size: int = 180, overlap: int = 30) -> None:
    doc_units = split_units(text)
    doc_heads = [(u.start, u.end) for u in doc_units if u.kind == "heading"]
    for a, b in zip(doc_units, doc_units[1:]):
        assert a.start < a.end <= b.start
    for u in doc_units:
        assert text[u.start:u.end] == text[u.start:u.end].strip()
    # every visible character is in some unit
    covered = [False] * len(text)
    for u in doc_units:
        covered[u.start:u.end] = [True] * (u.end - u.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    # heading units are whole lines
    for s, e in doc_heads:
        assert s == 0 or text[:s].rstrip(" \t").endswith("\n") or not text[:s].strip()
        assert e == len(text) or text[e:].lstrip(" \t")[:1] in ("\n", "")
    for path, units in chunk_groups(text, 0, size, overlap):
        start, end = units[0][0].start, units[-1][0].end
        assert 0 <= start < end <= len(text)
        # the answer path, which sees a chunk's span only, finds the same headings in it
        window = [(u.start, u.end) for u in split_units(text, start, end) if u.kind == "heading"]
        assert window == [h for h in doc_heads if start <= h[0] and h[1] <= end]
        if window:
            assert not path or path.endswith(heading_text(text, split_units(text, *window[-1])[0]))


@needs_seeds
@pytest.mark.parametrize("size", [40, 180])
def test_seed_chunks_are_exact_slices(size):
    chunker = SpanChunker(chunk_size=size, chunk_overlap=min(30, size // 4))
    for path in sorted(SEEDS.glob("*.txt")):
        data = path.read_bytes()
        doc = load(path, data)
        assert is_plain_text(doc.text)
        nodes = chunker.chunk_document(as_document(doc))
        assert nodes and len({n.node_id for n in nodes}) == len(nodes)
        for n in nodes:
            assert n.get_content() == doc.text[n.metadata["start"]:n.metadata["end"]]
            assert "plain_headings" not in n.metadata
        _check_offsets(doc.text, size, min(30, size // 4))


LINES = st.sampled_from([
    "The Short Version", "What the interview tests:", "Q & A", "Takeaways", "1. Practical Coding", "Share",
    "What is RAG and why does it matter?", "- A short item", "* Another item", "1. Python", "2. SQL",
    "SQL is heavily tested.", "Python", "Most companies blur", "the boundaries between roles.",
    BODY, "Data engineers own the pipelines. They are tested on SQL and modeling in most loops.",
    "| a | b |", "```", "", "", "  ", "Upgrade NowMindmap",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=30), st.sampled_from(["\n", "\n\n"]))
def test_offsets_property(lines, sep):
    text = sep.join(lines)
    if not text.strip():
        return
    _check_offsets(text, size=40, overlap=10)
    for s, e, level in plain_headings(text):
        line = text[s:e]
        assert "\n" not in line and level in (TITLE_LEVEL, LABEL_LEVEL, NUMBERED_LEVEL, COLON_LEVEL)
        assert not line.rstrip("\"'”’)]*_").endswith((".", ",", ";")) or level == TITLE_LEVEL


# -- the shipped corpus ---------------------------------------------------------------
# Where every corpus/*.md is cut into chunks (source relative to the project, start, end;
# default chunk size, no embedding window): plain headings left the cuts as they were; they
# were recorded again when a numbered list item became one unit instead of "1." and a
# sentence (17 of 611 chunks moved), and when a sentence could end inside closing emphasis
# ("**Do not jump in.** Ask ...": 5 chunks moved where their overlap starts). (Spans, not
# chunk ids: ids also carry READER_VERSION.)
CORPUS_CONTENT = "e3ca897a84c50838924be48bca9d51cb6c219a1e67d5196fa1220adb41e3235b"
CORPUS_CHUNK_SPANS = "fb028fcf9c1f0055a592843cbf64dbe120b3a4e3d9cc19daa018d69062b7b61b"


def test_corpus_chunks_unchanged():
    s = Settings()
    chunker = SpanChunker(chunk_size=s.chunking.size, chunk_overlap=s.chunking.overlap)
    ids, content = [], hashlib.sha256()
    for path in sorted(CORPUS.rglob("*.md")):
        data = path.read_bytes()
        rel = path.relative_to(ROOT).as_posix()
        content.update(rel.encode() + b"\0" + data + b"\0")
        doc = load(path, data)
        assert not is_plain_text(doc.text), rel
        doc.path = Path(rel)
        ids += [f"{rel}:{n.start_char_idx}:{n.end_char_idx}" for n in chunker.chunk_document(as_document(doc))]
    if content.hexdigest() != CORPUS_CONTENT:
        pytest.skip("corpus/ changed since the chunk spans were recorded")
    assert len(ids) == 611
    assert hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest() == CORPUS_CHUNK_SPANS
