"""A question set over its corpus as a browser prints it: the same questions, the documents as PDFs.

Users bring PDFs more often than Markdown: articles saved from a browser, guides exported
from a word processor. This renders a set's Markdown and plain-text documents as web pages
(markdown-it, the page title from the front matter), prints each with Debian's chromium
(`--print-to-pdf`, its print stamps on, as a user's "Save as PDF" does), and writes the set's
questions against the PDFs, each gold quote as the page shows it (a link's words, a table
row's cells). Then `career-rag eval` measures the PDF reader against the same set's Markdown
figures (eval/README.md, round 23):

    .venv/bin/python -m eval.printed --set handbook --out /tmp/printed/handbook
    .venv/bin/career-rag eval --dataset /tmp/printed/handbook/questions.jsonl \\
        --corpus /tmp/printed/handbook/pdf --root /tmp/printed/handbook/pdf --no-ragas

Questions whose quotes the PDF's text does not hold (a table read column by column) are
left out and listed. Needs chromium (scripts/browser-deps.sh).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
from pathlib import Path

from eval.dataset import locate, source_text
from eval.sets import load_sets
from ingest.loaders import SkipFile
from rag.text.frontmatter import read_front_matter

CHROMIUM = "/usr/bin/chromium"
STYLE = "body{font-family:serif;max-width:46em;margin:2em auto;font-size:12pt;line-height:1.4} pre{white-space:pre-wrap}"
_TAG = re.compile(r"<[^>]+>")


def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def page_of(path: Path, md) -> str:
    """The web page a document would be: Markdown rendered, plain text as paragraphs (a short
    line without closing punctuation, alone, as a heading)."""
    text = path.read_text(encoding="utf-8")
    title = path.stem
    if path.suffix == ".txt":
        blocks = []
        for block in re.split(r"\n\s*\n", text.strip()):
            lines = block.strip().split("\n")
            if len(lines) == 1 and len(lines[0].split()) <= 14 and not re.search(r"[.!?:;]$", lines[0]):
                blocks.append(f"<h2>{html.escape(lines[0])}</h2>")
            else:
                blocks.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
        body = "\n".join(blocks)
    else:
        meta, body_start, _ = read_front_matter(text)  # (as ingest reads it)
        text = text[body_start:]
        if meta.get("title"):
            title = str(meta["title"])
            if not re.search(r"^#\s", text, re.M):
                text = f"# {title}\n\n{text}"
        body = md.render(re.sub(r"^import .*$", "", text, flags=re.M))  # MDX imports are not text
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def shown(quote: str, md) -> str:
    """A Markdown quote as the page shows it: a table row's cells, a link's words, no marks."""
    if " | " in quote:
        quote = " ".join(cell.strip() for cell in quote.strip().strip("|").split("|"))
    return html.unescape(_TAG.sub("", md.renderInline(quote))).strip()


def print_corpus(corpus: Path, out: Path) -> dict[Path, Path]:
    """Each .md/.mdx/.txt file under `corpus` as out/pdf/<same path>.pdf; returns source -> PDF."""
    md = _markdown()
    done: dict[Path, Path] = {}
    for path in sorted(p for p in corpus.rglob("*") if p.suffix in (".md", ".mdx", ".txt") and p.is_file()):
        rel = path.relative_to(corpus)
        page, pdf = out / "html" / rel.with_suffix(".html"), out / "pdf" / rel.with_suffix(".pdf")
        page.parent.mkdir(parents=True, exist_ok=True)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(page_of(path, md), encoding="utf-8")
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}",
                        page.resolve().as_uri()], check=True, timeout=120, capture_output=True)
        done[path.resolve()] = pdf
        print(f"printed {rel}", file=sys.stderr)
    return done


def printed_questions(dataset: Path, root: Path, corpus: Path, out: Path) -> list[str]:
    """Write out/questions.jsonl (sources relative to out/pdf); return the ids left out."""
    md = _markdown()
    texts: dict[Path, str] = {}
    rows, dropped = [], []
    for line in dataset.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        kept = True
        for ev in row["evidence"]:
            source = (root / ev["source"]).resolve()
            pdf = out / "pdf" / source.relative_to(corpus.resolve()).with_suffix(".pdf")
            if source.suffix in (".md", ".mdx"):
                ev["quote"] = shown(ev["quote"], md)
            ev["source"] = str(pdf.relative_to(out / "pdf"))
            try:
                texts.setdefault(pdf, source_text(pdf))
            except SkipFile:
                kept = False
                continue
            kept = kept and locate(ev["quote"], texts[pdf]) is not None
        (rows if kept else dropped).append(row)
    (out / "questions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return [r["id"] for r in dropped]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Print a question set's corpus to PDF and write its questions against the PDFs.")
    ap.add_argument("--set", help="a set of eval/sets.toml (else --dataset, --corpus and --root)")
    ap.add_argument("--dataset", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--root", type=Path, help="what the dataset's sources are relative to (default: --corpus)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.set:
        sets = load_sets()
        if args.set not in sets:
            ap.error(f"unknown set {args.set!r}; choose from: {', '.join(sets)}")
        dataset, corpus, root = sets[args.set].dataset, sets[args.set].corpus, sets[args.set].root
    elif args.dataset and args.corpus:
        dataset, corpus, root = args.dataset, args.corpus, args.root or args.corpus
    else:
        ap.error("give --set, or --dataset and --corpus")
    if not Path(CHROMIUM).exists():
        ap.error(f"no chromium at {CHROMIUM} (run scripts/browser-deps.sh)")
    print_corpus(corpus, args.out)
    dropped = printed_questions(dataset, root, corpus, args.out)
    print(f"wrote {args.out / 'questions.jsonl'}" + (f"; left out {', '.join(dropped)} (quotes not in the PDF's text)" if dropped else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
