from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from ingest.chunker import SpanChunker, chunk_spans
from rag.text.lexical import count_tokens
from rag.text.sentences import split_sentences
from rag.pipeline.candidates import quotable_units
from rag.text.spans import split_sections, split_units
from tests.conftest import hard_breaks


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("Use SQL, e.g. window functions. Then stop.", ["Use SQL, e.g. window functions.", "Then stop."]),
        # example markers typed without their dots; a word that only ends in "ex" still ends a sentence
        ("Know version control (Ex. Git), and containers. Next.", ["Know version control (Ex. Git), and containers.",
                                                                    "Next."]),
        ("Pick one, eg. Python, cf. Chapter 2. Then C.", ["Pick one, eg. Python, cf. Chapter 2.", "Then C."]),
        ("Study at the Annex. Then rest.", ["Study at the Annex.", "Then rest."]),
        ("Pay is about $120k. Big tech pays more.", ["Pay is about $120k.", "Big tech pays more."]),
        ("Version 2.0 is out. Done.", ["Version 2.0 is out.", "Done."]),
        ("no terminal punctuation", ["no terminal punctuation"]),
        ("  padded.   Next one.  ", ["padded.", "Next one."]),
    ],
)
def test_sentences(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


MARKDOWN = """# Data Engineer

Intro sentence one. Intro sentence two.

## Interview process

- SQL round: joins and windows.
- Modeling round: star schemas.

```sql
SELECT 1;

SELECT 2;
```

### Take-home

| a | b |
|---|---|
| 1 | 2 |

## Pay
Pay varies.
"""


def test_units_and_sections_keep_structure():
    units = split_units(MARKDOWN)
    kinds = [u.kind for u in units]
    assert kinds.count("heading") == 4
    assert "code" in kinds and "row" in kinds and "item" in kinds
    code = next(u for u in units if u.kind == "code")
    assert MARKDOWN[code.start : code.end].startswith("```sql") and MARKDOWN[code.start : code.end].endswith("```")
    paths = [s.header_path for s in split_sections(MARKDOWN)]
    assert paths == [
        "Data Engineer",
        "Data Engineer > Interview process",
        "Data Engineer > Interview process > Take-home",
        "Data Engineer > Pay",
    ]


@pytest.mark.parametrize("item, units", [
    ("1. Design a URL shortener for the team.", [("item", "1. Design a URL shortener for the team.")]),
    ("12) Design a rate limiter.", [("item", "12) Design a rate limiter.")]),
    ("• Design a feed ranker.", [("item", "• Design a feed ranker.")]),
    # an item of several sentences splits into sentences, its marker kept with the first
    ("2. Design a cache. Then scale it out.", [("sentence", "2. Design a cache."), ("sentence", "Then scale it out.")]),
])
def test_a_numbered_or_bulleted_item_is_one_unit_not_its_number_and_a_sentence(item, units):
    text = f"# Questions\n\n{item}\n"
    got = [(u.kind, text[u.start : u.end]) for u in split_units(text) if u.kind != "heading"]
    assert got == units


def test_underlined_titles_are_headings_and_a_rule_under_a_paragraph_is_not():
    text = ("Interview Guide\n===============\n\nThe loop has four rounds in all.\n\nPay\n---\n\n"
            "Juniors earn less than seniors\nin every market we saw.\n---\n\nOffers rise with every competing bid.\n")
    units = [(u.kind, text[u.start : u.end]) for u in split_units(text, plain_headings=False)]
    assert units == [("heading", "Interview Guide\n==============="), ("sentence", "The loop has four rounds in all."),
                     ("heading", "Pay\n---"), ("sentence", "Juniors earn less than seniors\nin every market we saw."),
                     ("sentence", "Offers rise with every competing bid.")]
    assert [s.header_path for s in split_sections(text, plain_headings=False)] == ["Interview Guide", "Interview Guide > Pay"]
    quoted = {q.text: q.lead for q in quotable_units(text, 0, len(text))}
    assert quoted == {"The loop has four rounds in all.": "Interview Guide",
                      "Juniors earn less than seniors in every market we saw.": "Pay",
                      "Offers rise with every competing bid.": "Pay: Juniors earn less than seniors in every market we saw."}


def test_bare_heading_merges_into_next_section():
    text = "# Title\n\n## Practice\n\n### Q: Why?\n\nBecause.\n"
    sections = split_sections(text)
    assert len(sections) == 1
    assert sections[0].header_path == "Title > Practice > Q: Why?"
    assert text[sections[0].units[0].start :].startswith("# Title")


def test_chunks_respect_size_and_sentences():
    body = " ".join(f"Sentence number {i} talks about data pipelines." for i in range(60))
    text = f"# T\n\n{body}\n"
    spans = chunk_spans(text, 0, size=40, overlap=10)
    assert len(spans) > 5
    for sp in spans:
        chunk = text[sp.start : sp.end]
        assert count_tokens(chunk) <= 40
        assert chunk.endswith(".")  # never cut mid-sentence
    # overlap: consecutive chunks share their boundary sentence
    assert spans[1].start < spans[0].end


def test_oversized_unit_is_cut_at_token_boundaries():
    text = "# T\n\n" + "word " * 500
    spans = chunk_spans(text, 0, size=50, overlap=0)
    assert all(count_tokens(text[s.start : s.end]) <= 50 for s in spans)
    covered = "".join(text[s.start : s.end] for s in spans if "word" in text[s.start : s.end])
    assert covered.count("word") >= 500


def test_front_matter_is_never_chunked():
    text = "---\ntitle: X\n---\n# Body\n\nReal text here.\n"
    body_start = text.index("# Body")
    spans = chunk_spans(text, body_start, 100, 10)
    assert all(s.start >= body_start for s in spans)


def test_node_parser_offsets_survive_repeated_text():
    from llama_index.core.schema import Document

    para = "Repeat this exact sentence. "
    text = "# A\n\n" + para * 3 + "\n\n## B\n\n" + para * 3
    doc = Document(text=text, metadata={"source": "/x.md", "content_hash": "h", "title": "A", "body_start": 0})
    nodes = SpanChunker(chunk_size=8, chunk_overlap=0).get_nodes_from_documents([doc])
    assert len(nodes) >= 4
    for n in nodes:
        assert text[n.start_char_idx : n.end_char_idx] == n.get_content()
        assert n.metadata["start"] == n.start_char_idx
    assert len({n.node_id for n in nodes}) == len(nodes)


_line = st.one_of(
    st.from_regex(r"#{1,4} [A-Za-z][A-Za-z ]{0,20}", fullmatch=True),
    st.from_regex(r"[-*] [A-Za-z][A-Za-z ,.!?]{0,60}", fullmatch=True),
    st.from_regex(r"\| [a-z]{1,5} \| [0-9]{1,3} \|", fullmatch=True),
    st.just("```"),
    st.just(""),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_line, max_size=40), size=st.integers(8, 120), overlap_frac=st.floats(0, 0.9))
@example(lines=["# A", "\\"], size=8, overlap_frac=0.0)
def test_property_every_chunk_is_an_exact_span(lines, size, overlap_frac):
    text = "\n".join(lines)
    overlap = int(size * overlap_frac)
    spans = chunk_spans(text, 0, size, overlap)
    covered = bytearray(len(text))
    for sp in spans:
        assert 0 <= sp.start < sp.end <= len(text)
        chunk = text[sp.start : sp.end]
        assert chunk == chunk.strip()
        assert count_tokens(chunk) <= size
        covered[sp.start : sp.end] = b"\x01" * (sp.end - sp.start)
    # nothing is lost: every non-space character is inside some chunk (but a hard line break's "\\")
    breaks = hard_breaks(text)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i] and i not in breaks]
    assert not lost, repr(text[lost[0] : lost[0] + 20])


# -- the embedding model's window -------------------------------------------------
def _window_doc(title: str, heading: str, sentences: int):
    from llama_index.core.schema import Document

    body = " ".join(f"Sentence {i} explains how pipelines load events into the warehouse." for i in range(sentences))
    text = f"# {title}\n\n## {heading}\n\n{body}\n\n- item one about joins\n- item two about windows\n"
    return text, Document(text=text, metadata={"source": "/w.md", "content_hash": "h", "title": title, "body_start": 0})


def _embedded(node) -> str:
    from llama_index.core.schema import MetadataMode

    return node.get_content(metadata_mode=MetadataMode.EMBED)


def _cheap_window(max_tokens: int):
    from ingest.chunker import EmbedWindow

    return EmbedWindow(max_tokens, lambda texts: [count_tokens(t) + 2 for t in texts])  # + [CLS] [SEP]


def _check_nothing_cut(text, nodes, window):
    embedded = [_embedded(n) for n in nodes]
    assert all(c <= window.max_tokens for c in window.count(embedded))
    for n, e in zip(nodes, embedded):
        assert text[n.start_char_idx : n.end_char_idx] == n.get_content() == text[n.metadata["start"] : n.metadata["end"]]
        assert e.endswith(n.get_content())  # the whole chunk text is what gets embedded, after the prefix
    assert [n.metadata["seq"] for n in nodes] == list(range(len(nodes)))
    assert len({n.node_id for n in nodes}) == len(nodes)
    # Together the chunks still hold every word of the body.
    covered = bytearray(len(text))
    for n in nodes:
        covered[n.start_char_idx : n.end_char_idx] = b"\x01" * (n.end_char_idx - n.start_char_idx)
    body = text.index("Sentence 0")
    assert all(covered[i] or text[i].isspace() for i in range(body, len(text)))


# The section path repeats the title (its H1): the prefix is 2 x title + 16 tokens, the text up to 41 (+2).
@pytest.mark.parametrize("title_words, max_tokens", [(10, 60), (20, 80), (5, 32), (30, 100), (30, 50)])
def test_long_title_and_heading_never_push_a_chunk_past_the_window(title_words, max_tokens):
    title = " ".join(f"Title{i}" for i in range(title_words))
    text, document = _window_doc(title, "A very long section heading about data modeling interviews", 40)
    window = _cheap_window(max_tokens)
    plain = SpanChunker(chunk_size=40, chunk_overlap=8).chunk_document(document)
    assert any(c > max_tokens for c in window.count([_embedded(n) for n in plain])), "the case must overflow"
    nodes = SpanChunker(chunk_size=40, chunk_overlap=8, window=window).chunk_document(document)
    _check_nothing_cut(text, nodes, window)


def test_a_chunk_just_over_the_window_keeps_its_id_and_loses_only_the_title_line():
    title = " ".join(f"Title{i}" for i in range(10))
    text, document = _window_doc(title, "Heading", 40)
    plain = SpanChunker(chunk_size=40, chunk_overlap=8).chunk_document(document)
    counts = _cheap_window(10**6).count([_embedded(n) for n in plain])
    window = _cheap_window(max(counts) - 1)  # only the largest chunks overflow, by one token
    nodes = SpanChunker(chunk_size=40, chunk_overlap=8, window=window).chunk_document(document)
    assert [n.node_id for n in nodes] == [n.node_id for n in plain]
    assert any(c > window.max_tokens for c in counts)
    for n, p, c in zip(nodes, plain, counts):
        if c > window.max_tokens:
            assert _embedded(n) == f"header_path: {n.metadata['header_path']}\n\n{n.get_content()}"
        else:
            assert _embedded(n) == _embedded(p)
        assert n.metadata == p.metadata  # what Chroma stores beside the vector is unchanged
    _check_nothing_cut(text, nodes, window)


def test_a_chunk_whose_text_alone_is_too_long_is_split_and_keeps_its_prefix():
    text, document = _window_doc("Data Engineer", "Loads", 40)
    window = _cheap_window(30)  # chunks of up to 40 (+2) tokens of text cannot fit, whatever the prefix
    plain = SpanChunker(chunk_size=40, chunk_overlap=8).chunk_document(document)
    nodes = SpanChunker(chunk_size=40, chunk_overlap=8, window=window).chunk_document(document)
    _check_nothing_cut(text, nodes, window)
    pieces = [n for n in nodes if n.node_id not in {p.node_id for p in plain}]
    assert len(nodes) > len(plain) and pieces
    assert all(_embedded(n).startswith("title: Data Engineer\nheader_path: Data Engineer > Loads\n\n") for n in pieces)


def test_a_window_with_room_changes_nothing():
    text, document = _window_doc("Data Engineer", "Interview loop", 60)
    plain = SpanChunker(chunk_size=40, chunk_overlap=8).chunk_document(document)
    fitted = SpanChunker(chunk_size=40, chunk_overlap=8, window=_cheap_window(512)).chunk_document(document)
    assert [(n.node_id, n.metadata["seq"], _embedded(n)) for n in fitted] == [
        (n.node_id, n.metadata["seq"], _embedded(n)) for n in plain
    ]


def test_the_models_own_tokenizer_sets_the_window(minilm):
    """Counted with the model's tokenizer (word pieces, not cheap tokens), untruncated."""
    from ingest.chunker import EmbedWindow, embed_window

    window = embed_window(minilm)
    if window is None:
        pytest.skip(f"{type(minilm).__name__} exposes no tokenizer")
    assert window.max_tokens == 256
    long = "Deduplicating clickstream events idempotently " * 100
    assert window.count(["hello world", long])[0] == 4  # [CLS] hello world [SEP]
    assert window.count([long])[0] > 256  # not capped at the model's cut
    # A small window, counted by the real tokenizer: nothing is cut.
    small = EmbedWindow(96, window.count)
    title = "Idiosyncratically hyphenated-and-tokenised interview preparation handbook"
    text, document = _window_doc(title, "Pseudonymisation of GDPR-regulated clickstreams", 30)
    plain = SpanChunker(chunk_size=40, chunk_overlap=8).chunk_document(document)
    assert any(c > small.max_tokens for c in small.count([_embedded(n) for n in plain])), "the case must overflow"
    nodes = SpanChunker(chunk_size=40, chunk_overlap=8, window=small).chunk_document(document)
    _check_nothing_cut(text, nodes, small)
