"""Names in a question, and whether passages say them.

A question that names something ("Netflix", "LeetCode Premium", "Kent C. Dodds") is about it:
passages that never say the name answer a different question. Names are found by their
capitals (a question typed in lower case is first cased as the documents write their names).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.roles import find_roles
from rag.text.lexical import words
from rag.types import Citation

SYNONYMS_OF_COVERED = {"america", "american", "usa", "us", "united", "states"}  # "US", "U.S.", "the (United) States"


# Short all-caps acronyms ("CV", "KPIs", "OO", "SRE") abbreviate words a corpus usually spells
# out ("resume", "metrics", "object-oriented"): they do not pin the question to something the
# corpus must name. On the foreign dev sets they (with bare amounts, rag.pipeline.refusal) caused
# 8 false refusals for 1 right one (eval/README.md).
# A degree's short form is one too ("PhD", "MSc": "I'm finishing a PhD" is the asker's case; a blind set, round 35).
ACRONYM = re.compile(r"^(?:[A-Z]{2,5}|Ph\.?D|[BM]Sc|[BM]Eng|[MD]Phil)s?$")


# After these a word is a verb, whatever the documents capitalise ("how should i react?", not React).
_BEFORE_A_VERB = frozenset("i you we they he she to should would could can will must might may not don't "
                           "doesn't didn't can't won't".split())


def with_names_cased(question: str, names: frozenset[str]) -> str:
    """A question typed all in lower case, with the words the documents write as names
    capitalised as they write them ("does apple …" -> "does Apple …"); the rules below
    find names by their capitals. A question with any capital is the asker's own casing."""
    if question != question.lower() or not names:
        return question
    by_lower = {n.lower(): n for n in names}

    def cased(m: re.Match) -> str:
        before = question[: m.start()].split()
        if before and before[-1] in _BEFORE_A_VERB:
            return m.group(0)
        return by_lower.get(m.group(0), m.group(0))

    return re.sub(r"(?<![\w'-])[a-z][\w-]*", cased, question)


# A month or a weekday is a date of the asker's case ("my offer expires Friday", "I start in
# September"), not a name the documents must say (a blind set, round 35); a quote's month names no company.
MONTHS_AND_DAYS = frozenset("january february march april may june july august september october november december "
                            "monday tuesday wednesday thursday friday saturday sunday".split())
# Capitalised words that start a clause rather than name something.
NOT_NAMES = frozenset({"i", "is", "are", "do", "does", "should", "can", "what", "which", "how", "why", "when", "who",
                       "will", "would", "could", "any", "my", "the", "and", "or", "but", "if"})
_NOT_A_NAME = NOT_NAMES | SYNONYMS_OF_COVERED | MONTHS_AND_DAYS
_CAMEL = re.compile(r"[a-z][A-Z]")
SENTENCE_START = re.compile(r"(?:^|[.!?][\"'”’)]*\s+)[\"'“‘(]*$")


def question_names(question: str) -> list[str]:
    """Names in the question ("Netflix", "LeetCode Premium"): runs of capitalised words."""
    names: list[str] = []
    # (a run starts a word: "gTech" does not name "Tech")
    for run in re.finditer(r"(?<![\w-])[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*", question):
        # (a sentence's first word is capitalised anyway: it names something only in CamelCase;
        # "… the bot answers wrongly. Where should I look first?" names nothing)
        # "Adam-style", "LLM-powered" describe; "Bellman-Ford" names.
        opens = SENTENCE_START.search(question[: run.start()]) is not None
        tokens = [t.split("'")[0] for t in run.group(0).split()]
        tokens = [t for i, t in enumerate(tokens) if len(t) > 1 and t.lower() not in _NOT_A_NAME
                  and not ACRONYM.match(t) and not find_roles(t) and (i or not opens or _CAMEL.search(t))
                  and all(part[:1].isupper() for part in t.split("-")) and any(c.islower() for c in t)]
        if tokens:
            names.append(" ".join(dict.fromkeys(tokens)))
    return list(dict.fromkeys(names))


def unmentioned_names(question: str, quoted: list[str] | list[tuple[str, str]]) -> tuple[list[str], bool]:
    """The question's names no quoted passage mentions, and whether that leaves none mentioned.

    "What does Netflix's interview loop look like?" answered with loop advice that never
    names Netflix answers a different question: with every name unmentioned the answer
    is refused; with some mentioned, the reader is told which are not. `quoted` holds each
    quote with its passage's title and heading path (a Google guide is about Google): in one
    string, or as (title and heading path, quote).
    """
    names, table = question_names(question), handles(question)
    said = [tuple(_stems(part) for part in ((text,) if isinstance(text, str) else text)) for text in quoted]
    missing = [n for n in names if not any(_said_by(parts, _stems(n)) or _said_as_handle(parts, handles_of(n, table))
                                           for parts in said)]
    return missing, bool(names) and len(missing) == len(names)


# A person or a company is also written as one word, in a handle or a domain name: a personal blog
# may name its author only in "kentcdodds.com" or "@_lilchen" (two blind sets, round 36).
_NAME_RUN = re.compile(r"(?<![\w-])[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*\.?)+")  # with initials: "Kent C. Dodds"
HANDLE_CHARS = 6  # a shorter joined form ("joem") may well be some other word


def handles(question: str) -> dict[str, set[str]]:
    """Each word of the question's runs of capitalised words -> the one-word forms of the names it
    is part of: "Kent C. Dodds" may be written "kentcdodds" or "kentdodds"."""
    found: dict[str, set[str]] = {}
    for run in _NAME_RUN.finditer(question):
        tokens = [joined for joined in ("".join(words(t.split("'")[0])) for t in run.group(0).split())
                  if joined and joined not in _NOT_A_NAME]  # ("Do Lil Chen …": not "dolilchen")
        for i in range(len(tokens)):
            for j in range(i + 2, len(tokens) + 1):
                span = tokens[i:j]
                for form in {"".join(span), "".join(t for t in span if len(t) > 1)}:
                    if len(form) >= HANDLE_CHARS:
                        for token in span:
                            found.setdefault(token, set()).add(form)
    return found


def handles_of(name: str, table: dict[str, set[str]]) -> set[str]:
    """The one-word forms (`handles`) that hold every word of a name ("Kent" -> "kentcdodds")."""
    parts = words(name)
    forms = set().union(*(table.get(p, set()) for p in parts))
    return {f for f in forms if all(p in f for p in parts)}


def _said_as_handle(parts: tuple[list[str], ...], forms: set[str]) -> bool:
    return any(f.rstrip("s") in part for part in parts for f in forms)


# A document that names something this often is about it, whichever of its sentences is quoted: a
# company's handbook says "we" ("PostHog" 23 times in its hiring page, never in the round quoted). The
# documents quoted for the dev sets' unanswerable questions refused for a name said it at most twice.
NAMED_THROUGHOUT = 5
# Names listed together ("at top tech companies like Google, Amazon, Apple and Netflix") introduce
# what a document collates, not the one it is about.
_LISTED = r"[A-Z][\w&.'-]*(?:[ \t]+[A-Z][\w&.'-]*)*"
_ENUMERATION = re.compile(rf"{_LISTED}(?:\s*,\s*{_LISTED})+(?:\s*,?\s+(?:and|or|&)\s+{_LISTED})?")


def unsaid_names(question: str, about: list[tuple[str, str]], citations: list[Citation],
                 document: Callable[[str], str] | None = None,
                 introduction: Callable[[str], str] | None = None) -> tuple[list[str], bool]:
    """unmentioned_names of the quotes (`about`: quotes_about with titles), less the names a quoted
    document says throughout (`document(source)` gives its text) or in its introduction
    (`introduction(source)`: title block, bylines, opening paragraph), which says whose it is and
    what it is about: "By Utsab Saha" heads a story whose sentences say "I"."""
    unnamed, none_named = unmentioned_names(question, about)
    if not unnamed or document is None:
        return unnamed, none_named
    table = handles(question)
    sources = list(dict.fromkeys(c.source for c in citations))

    def said_throughout(name: str, source: str) -> bool:
        text, forms = document(source), handles_of(name, table)
        return (len(re.findall(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)) >= NAMED_THROUGHOUT
                or (bool(forms) and sum(w in forms for w in words(text)) >= NAMED_THROUGHOUT))

    def introduced(name: str, source: str) -> bool:
        said = (_stems(_ENUMERATION.sub(" ", introduction(source))),) if introduction else ()
        return bool(said) and (_said_by(said, _stems(name)) or _said_as_handle(said, handles_of(name, table)))

    left = [n for n in unnamed if not any(said_throughout(n, s) or introduced(n, s) for s in sources)]
    return left, none_named and len(left) == len(unnamed)


def _said_by(parts: tuple[list[str], ...], name: list[str]) -> bool:
    """Whether a passage says a name: its words together, or (given what the passage is about
    apart from its quote) the name's first words in its title or heading path and the rest in the
    quote. "Goldman Sachs Superday" is said by "the Superday" in a write-up titled "My Internship
    Interview At Goldman Sachs" (a private set of write-ups, eval/README.md, round 25)."""
    if _says([w for part in parts for w in part], name):
        return True
    if len(parts) < 2:
        return False
    about, quote = parts
    return any(_says(about, name[:k]) and _says(quote, name[k:]) for k in range(1, len(name)))


def _stems(text: str) -> list[str]:
    """Words without a plural or possessive s: "Google's" and "Googles" say "Google"."""
    return [s for s in (w.rstrip("s") for w in words(text)) if s]


def _says(text: list[str], name: list[str]) -> bool:
    """Whether the words of a name occur in a text together, in order: "LeetCode Premium" is not
    said by "a LeetCode list of the questions (except the Premium ones)"."""
    n = len(name)
    return any(text[i : i + n] == name for i in range(len(text) - n + 1))
