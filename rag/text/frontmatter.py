"""Front matter, parsed defensively: documents come from anywhere. YAML between "---"
lines (Jekyll, Docusaurus, Obsidian, this corpus), TOML between "+++" lines (Hugo), or the
unfenced "Title: …" lines that open a Pelican or MultiMarkdown post and a page saved with the
Jina reader (see _metadata_lines)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import yaml

KINDS = ("role-guide", "interview-notes", "question-bank", "prep-plan", "comparison", "note")
# The files read as text that may open with front matter: markdown (MDX too, as Docusaurus
# sites write their pages) and plain text.
FRONT_MATTER_SUFFIXES = (".md", ".markdown", ".mdx", ".txt")
MAX_FRONT_MATTER_CHARS = 16_384
_OPEN = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\n")
_CLOSE = {"---": re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M), "+++": re.compile(r"^\+\+\+[ \t]*$", re.M)}


# Unfenced metadata: "Title: …" first, then "Key: value" lines up to a blank line (Pelican,
# MultiMarkdown: "Date: 2025-12-01", "Tags: Data Engineering, Career"), or, with blank lines
# between, up to the "Markdown Content:" line under which the Jina reader (r.jina.ai) puts a page
# ("URL Source: https://…", "Published Time: 2025-01-05"). Read as its text, it was quoted: "Title: My
# Way into Data Engineering Date: 2025-12-01 15:00 Type: article …" (a blind set, round 34).
_KEY_LINE = r"[A-Za-z][A-Za-z0-9 _-]{0,30}:[^\n]*\n"
_METADATA = re.compile(rf"\A\ufeff?Title:[ \t]*\S[^\n]*\n"
                       rf"(?:(?:[ \t]*\r?\n|{_KEY_LINE})*?Markdown Content:[ \t]*\r?\n"  # the Jina reader
                       rf"|(?:{_KEY_LINE})*(?=[ \t]*(?:\r?\n|\Z)))")  # Pelican, MultiMarkdown
_DATE_KEYS = ("date", "published time", "modified", "updated")


class FrontMatterError(ValueError):
    """The front matter is present but unusable; the message says why."""


def split_front_matter(text: str) -> tuple[dict, int]:
    """Return (metadata, body_start). Documents without front matter get ({}, 0)."""
    opening = _OPEN.match(text)
    if not opening:
        return _metadata_lines(text)
    fence = opening.group(1)
    closing = _CLOSE[fence].search(text, opening.end())
    if not closing:
        raise FrontMatterError(f"front matter opened with '{fence}' but never closed")
    raw = text[opening.end() : closing.start()]
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise FrontMatterError(f"front matter is over {MAX_FRONT_MATTER_CHARS} characters")
    body_start = closing.end() + 1 if closing.end() < len(text) else closing.end()
    return (_parse_toml(raw) if fence == "+++" else _parse(raw)), min(body_start, len(text))


def read_front_matter(text: str) -> tuple[dict, int, str | None]:
    """(metadata, where the body begins, why the front matter was set aside): front matter that
    cannot be used costs a document its metadata, never its text. (A blog post whose front matter
    has one stray quote, `keywords: "data, data-science""`, was lost whole to it: a blind set,
    round 34.) The body begins after the closing line, or at the top when there is none."""
    try:
        meta, start = split_front_matter(text)
    except FrontMatterError as exc:
        return {}, body_start(text), str(exc)
    return meta, start, None


def body_start(text: str) -> int:
    """Where the body begins after front matter, without parsing it (0 when there is none)."""
    opening = _OPEN.match(text)
    if not opening:
        return _metadata_lines(text)[1]
    closing = _CLOSE[opening.group(1)].search(text, opening.end())
    return min(closing.end() + 1, len(text)) if closing else 0


def _metadata_lines(text: str) -> tuple[dict, int]:
    """(title, date and source, where the body begins) of unfenced metadata lines (_METADATA);
    ({}, 0) for a text without them."""
    block = _METADATA.match(text)
    if not block:
        return {}, 0
    pairs: dict[str, str] = {}
    for line in block.group(0).lstrip("\ufeff").splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            pairs.setdefault(key.strip().lower(), value.strip())
    date = next((pairs[k] for k in _DATE_KEYS if k in pairs), None)
    known = {"title": pairs["title"], "updated": date, "source": pairs.get("url source")}
    return normalise({k: v for k, v in known.items() if v is not None}), block.end()  # (as fenced front matter is)


class _DatesAsText(yaml.SafeLoader):
    """The safe loader, with dates left as the text they are written as: a blog's "date:
    2023-05-02T10:00:00+42:00" (an offset Python cannot build) or "updated: 2026-13-45" would
    otherwise lose the whole document to a value career-rag only ever shows as text (a Hugo post
    found for a blind set, round 31)."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_DATE_AND_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt ]")  # "updated: 2026-11-20 09:30:00" is the day it names

_OPENERS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
MAX_DEPTH = 20  # front matter needs 2; PyYAML's composer recurses once per level


def _parse(raw: str) -> dict:
    try:
        depth = 0
        for token in yaml.scan(raw, Loader=yaml.SafeLoader):
            # Anchors/aliases have no use in front matter and enable billion-laughs blowups.
            if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
                raise FrontMatterError("front matter uses YAML anchors/aliases, which are not allowed")
            if isinstance(token, yaml.TagToken):
                raise FrontMatterError("front matter uses YAML tags, which are not allowed")
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise FrontMatterError(f"front matter is nested more than {MAX_DEPTH} levels deep")
            elif isinstance(token, _CLOSERS):
                depth -= 1
        data = yaml.load(raw, Loader=_DatesAsText)  # noqa: S506 - a SafeLoader subclass
    except FrontMatterError:
        raise
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FrontMatterError(f"front matter is not valid YAML ({first_line})") from None
    except (ValueError, OverflowError, RecursionError, TypeError) as exc:
        # Values YAML accepts but Python cannot build: integers over Python's 4300-digit limit, ...
        raise FrontMatterError(f"front matter has a value that cannot be read ({str(exc)[:100]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a YAML mapping of key: value")
    return normalise(data)


def _parse_toml(raw: str) -> dict:
    try:
        data = tomllib.loads(raw)  # (no aliases or tags to guard against; nesting is the parser's own)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FrontMatterError(f"front matter is not valid TOML ({first_line})") from None
    return normalise(data)


def normalise(data: dict) -> dict:
    """Check the known keys and coerce them to plain strings/lists; keep others as text."""
    out: dict = {}
    if "title" in data:
        title = data["title"]
        if isinstance(title, (dt.date, dt.datetime)):  # "title: 2026-11-20" is text to a reader
            title = title.isoformat()
        if not isinstance(title, (str, int, float)):
            raise FrontMatterError("'title' must be text")
        out["title"] = str(title).strip()
    if "roles" in data:
        roles = data["roles"]
        if isinstance(roles, str):
            roles = [r for r in re.split(r"[,;]", roles)]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise FrontMatterError("'roles' must be a list of role names")
        out["roles"] = [r.strip().lower() for r in roles if r.strip()]
    if "kind" in data:
        kind = str(data["kind"]).strip().lower()
        if kind not in KINDS:
            raise FrontMatterError(f"'kind' is {kind!r}; expected one of {', '.join(KINDS)}")
        out["kind"] = kind
    if "source" in data:
        out["source_ref"] = str(data["source"]).strip()
    if "updated" in data:
        updated = data["updated"]
        if isinstance(updated, (dt.date, dt.datetime)):  # (TOML builds dates)
            updated = updated.isoformat()[:10]
        updated = str(updated).strip()
        out["updated"] = updated[:10] if _DATE_AND_TIME.match(updated) else updated
    return out
