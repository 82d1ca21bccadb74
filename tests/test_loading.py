from __future__ import annotations

import socket

import pytest

from rag.text.frontmatter import FrontMatterError, read_front_matter, split_front_matter
from rag.text.spans import split_units
from ingest.loaders import SkipFile, load, read_bytes


def test_front_matter_fields():
    text = "---\ntitle: Data Engineer Guide\nroles: [Data Engineer, analytics engineer]\nkind: role-guide\nsource: original\nupdated: 2026-11-20\n---\n# Body\n"
    meta, body = split_front_matter(text)
    assert meta == {
        "title": "Data Engineer Guide",
        "roles": ["data engineer", "analytics engineer"],
        "kind": "role-guide",
        "source_ref": "original",
        "updated": "2026-11-20",
    }
    assert text[body:] == "# Body\n"


def test_no_front_matter():
    assert split_front_matter("# Just markdown\n") == ({}, 0)


@pytest.mark.parametrize(
    "front, reason",
    [
        ("title: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
        ("title: !!python/object/apply:os.system ['echo hi']\n", "tags"),
        ("a: &a ['x','x']\nb: &b [*a,*a]\nc: [*b,*b]\n", "anchors"),
        ("title: x\nkind: novel\n", "'kind'"),
        ("title: x\nroles: 5\n", "'roles'"),
    ],
)
def test_bad_front_matter_is_explained(front, reason):
    with pytest.raises(FrontMatterError, match=reason):
        split_front_matter(f"---\n{front}---\nbody\n")


def test_toml_front_matter_is_read_as_hugo_writes_it(tmp_path):
    text = '+++\ntitle = "Kafka interview questions"\ndate = 2024-01-02\nroles = ["Data Engineer"]\n+++\n\nBody.\n'
    meta, body = split_front_matter(text)
    assert meta == {"title": "Kafka interview questions", "roles": ["data engineer"]}
    assert text[body:] == "\nBody.\n"
    p = tmp_path / "kafka.md"
    p.write_text(text, encoding="utf-8")
    d = _load(p)
    assert d.title == "Kafka interview questions" and d.text[d.body_start :].strip() == "Body."


def test_an_mdx_page_is_read_as_markdown_with_its_front_matter(tmp_path):
    """Docusaurus sites write their pages as .mdx: front matter, imports, JSX and comments."""
    text = ("---\ntitle: Behavioral interviews\n---\n\nimport Tabs from '@theme/Tabs';\n\n"
            "{/* TODO: add examples */}\n\n<Tabs>\n\nUse the STAR format for every story.\n\n</Tabs>\n")
    p = tmp_path / "behavioral.mdx"
    p.write_text(text, encoding="utf-8")
    d = _load(p)
    assert d.title == "Behavioral interviews"
    units = split_units(d.text, d.body_start)
    assert [(u.kind, d.text[u.start : u.end]) for u in units if u.kind != "markup"] == \
        [("sentence", "Use the STAR format for every story.")]


@pytest.mark.parametrize("text, reason", [
    ("+++\ntitle = \n+++\nbody\n", "not valid TOML"),
    ("+++\ntitle = [1, 2]\n+++\nbody\n", "'title' must be text"),
    ("+++\ntitle = 'x'\nbody without end\n", "opened with '[+][+][+]' but never closed"),
])
def test_bad_toml_front_matter_is_explained(text, reason):
    with pytest.raises(FrontMatterError, match=reason):
        split_front_matter(text)


@pytest.mark.parametrize("text, body, problem", [
    ("---\ntitle: T\n---\nBody.\n", "Body.\n", None),
    ('---\ntitle: Loop\nkeywords: "data, data-science""\n---\nBody.\n', "Body.\n", "not valid YAML"),
    ("---\ntitle: x\nbody without end\n", "---\ntitle: x\nbody without end\n", "never closed"),
    ("# No front matter\n", "# No front matter\n", None),
])
def test_front_matter_that_cannot_be_used_is_set_aside_and_the_body_kept(text, body, problem):
    meta, start, why = read_front_matter(text)
    assert text[start:] == body and (meta == {} if problem else True)
    assert (why is None) if problem is None else (problem in why)


def test_unclosed_front_matter():
    with pytest.raises(FrontMatterError, match="never closed"):
        split_front_matter("---\ntitle: x\nbody without end\n")


def _load(path):
    return load(path, read_bytes(path, 10_000_000))


def test_markdown_offsets_match_open_read(tmp_path):
    p = tmp_path / "crlf.md"
    p.write_bytes(b"---\r\ntitle: T\r\n---\r\n# T\r\n\r\nLine one.\r\nLine two.\r\n")
    d = _load(p)
    assert d.text == open(p, encoding="utf-8").read()
    assert d.meta["title"] == "T" and d.text[d.body_start :].startswith("# T")


def test_title_falls_back_to_heading_then_name(tmp_path):
    a = tmp_path / "a.md"
    a.write_text("# From Heading\n\ntext\n")
    b = tmp_path / "my_notes-file.txt"
    b.write_text("Data engineers write SQL all day, and they also review pipelines\nthat other teams own.\n")
    c = tmp_path / "article.txt"
    c.write_text("Blog\n\nWhat Data Engineers Do\n\nData engineers build pipelines.\n")
    assert _load(a).meta["title"] == "From Heading"
    assert _load(b).meta["title"] == "my notes file"
    assert _load(b).meta["kind"] == "note"
    assert _load(c).meta["title"] == "What Data Engineers Do"


def test_html_is_flattened_with_headings(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(
        "<html><head><title>T</title><script>alert(1)</script></head><body>"
        "<h1>Data roles</h1><p>Data engineers build pipelines.</p><ul><li>SQL</li><li>Spark</li></ul>"
        "<style>p{}</style></body></html>"
    )
    d = _load(p)
    assert "# Data roles" in d.text and "- SQL" in d.text
    assert "alert" not in d.text and "p{}" not in d.text


def test_html_title_is_kept_when_there_is_no_h1(tmp_path):
    """<title> lives in <head>, which is dropped: it must be read first."""
    p = tmp_path / "page.html"
    p.write_text(
        "<html><head><title>Analytics Engineer Guide</title><style>p{}</style></head><body>"
        "<h2>What they do</h2><p>Analytics engineers model data for analysts.</p></body></html>"
    )
    d = _load(p)
    assert d.title == "Analytics Engineer Guide"
    assert d.text.startswith("# Analytics Engineer Guide\n\n## What they do")
    assert "p{}" not in d.text


def test_pdf_text_and_pages(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    p = tmp_path / "notes.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    c.drawString(72, 800, "Page one talks about SQL interviews.")
    c.showPage()
    c.drawString(72, 800, "Page two talks about system design.")
    c.save()
    d = _load(p)
    assert "SQL interviews" in d.text and "system design" in d.text
    assert d.page_starts[0] == 0 and d.text[d.page_starts[1] :].startswith("Page two")


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.md", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("binary.md", b"\x00\x01\x02PNG\x00" * 100, "binary"),
        # Latin-1 / UTF-16 text is decoded (tests/test_bad_input.py); damaged UTF-8 is not.
        ("broken-utf8.txt", "naïve café, déjà vu. ".encode() * 3 + b"\xc3(", "not valid UTF-8"),
        ("utf16-bad.md", b"\xff\xfe" + b"\x00\xd8" + "hello".encode("utf-16-le"), "not valid UTF-16"),
        ("image.png", b"\x89PNG", "unsupported file type"),
        ("corrupt.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("only-front.md", b"---\ntitle: x\n---\n", "no text"),
    ],
)
def test_bad_files_are_skipped_with_reason(tmp_path, name, data, reason):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(SkipFile, match=reason):
        _load(p)


def test_size_limit(tmp_path):
    p = tmp_path / "big.md"
    p.write_bytes(b"a" * 2_000_001)
    with pytest.raises(SkipFile, match="over the 2 MB limit"):
        read_bytes(p, 2_000_000)


def test_unreadable_file_is_reported(tmp_path):
    # A socket cannot be read even by root (chmod 000 would not stop root).
    p = tmp_path / "sock.md"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    try:
        with pytest.raises(SkipFile, match="cannot read"):
            read_bytes(p, 1000)
    finally:
        s.close()


@pytest.mark.parametrize("text, meta, body", [
    # Pelican / MultiMarkdown: "Key: value" lines under "Title:", up to a blank line
    ("Title: My Way into Data Engineering\nDate: 2025-12-01 15:00\nTags: Data, Career\n\nI started this blog.\n",
     {"title": "My Way into Data Engineering", "updated": "2025-12-01"}, "\nI started this blog.\n"),
    # a page saved with the Jina reader: blank lines between, the page under "Markdown Content:"
    ("Title: Laid Off Twice\n\nURL Source: https://example.com/laid-off/\n\nPublished Time: 2025-01-05\n\n"
     "Markdown Content:\nSo, I got laid off again.\n",
     {"title": "Laid Off Twice", "updated": "2025-01-05", "source_ref": "https://example.com/laid-off/"},
     "So, I got laid off again.\n"),
    # not metadata: no "Title:" first, a title line running into text, a title with no line end
    ("Note: revise SQL.\nDate: Monday\n\nBody.\n", {}, "Note: revise SQL.\nDate: Monday\n\nBody.\n"),
    ("Title: Notes\nThe loop has four rounds.\n", {}, "Title: Notes\nThe loop has four rounds.\n"),
    ("Title: Only a title", {}, "Title: Only a title"),
    ("Title:\n\nBody.\n", {}, "Title:\n\nBody.\n"),  # no title to keep
])
def test_unfenced_metadata_lines_atop_a_post_are_front_matter(text, meta, body):
    from rag.text.frontmatter import body_start

    got, start = split_front_matter(text)
    assert got == meta and text[start:] == body and body_start(text) == start


def test_a_pelican_post_is_titled_and_its_metadata_never_quoted(tmp_path):
    p = tmp_path / "post.md"
    p.write_text("Title: Preparing the SRE interview\nDate: 2017-04-20\nCategory: Programming\n\n"
                 "I spent a full week learning the subjects.\n\n## What is an SRE?\n\nSREs automate toil.\n", encoding="utf-8")
    d = _load(p)
    assert d.title == "Preparing the SRE interview"
    units = [d.text[u.start : u.end] for u in split_units(d.text, d.body_start)]
    assert units[0] == "I spent a full week learning the subjects." and not any("Category" in u for u in units)
