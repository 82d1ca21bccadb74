"""Refusal checks that similarity alone cannot make.

Names, acronyms, numbers and currencies pin a question to specifics ("in Tokyo", "H-1B",
"in euros"); when the corpus never mentions one, retrieval still finds a near-miss
passage about the general topic, and quoting it would answer a different question.
A question whose parts are only partly covered is answered, with the uncovered part named.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.pipeline.code_blocks import missing_code
from rag.pipeline.figures import (asks_one_thing, missing_date, missing_figure, missing_kind, money_of_another_place,
                                  unnamed_options)
from rag.pipeline.names import (ACRONYM, MONTHS_AND_DAYS, NOT_NAMES, SENTENCE_START, SYNONYMS_OF_COVERED,
                               handles, unsaid_names)
from rag.roles import find_roles, role_mentions, role_words
from rag.text.lexical import path_words, terms, words
from rag.text.sentences import ends_a_sentence
from rag.text.shown import without_targets
from rag.text.syntax import LIST_MARK
from rag.types import Citation, Context

_SALIENT = re.compile(r"\b(?:[A-Z][\w-]*[A-Za-z0-9]|[A-Za-z-]*\d[\w-]*)\b")
_CURRENCIES = re.compile(r"\b(?:yen|euros?|pounds?|rupees?|yuan|francs?|won)\b", re.I)

# A bare amount ("100k", "10") or duration ("24h", "2wks": "I have 24h to say yes") describes the
# asker's own case, not something the corpus must name (acronyms: rag.pipeline.names.ACRONYM).
_AMOUNT = re.compile(r"^\d+(?:[km]|st|nd|rd|th|s|h|hrs?|d|days?|wks?|mos?|yrs?|mins?)?$", re.I)
_CODES = re.compile(r"\b\d+\([a-z]\)", re.I)  # "401(k)": a code, not an amount


def _capitalised(word: str) -> bool:
    """Only its first letter is a capital: how any word opens a sentence ("Vibe-wise, how …"),
    not a name (str.istitle() wants a capital after the hyphen too)."""
    return word[:1].isupper() and word[1:] == word[1:].lower()


def missing_specifics(question: str, vocab: frozenset[str]) -> list[str]:
    """Specific terms of the question (names, codes like "H-1B", currencies) the corpus never uses."""
    found = [m.group(0) for m in _SALIENT.finditer(question)
             # (a first word of any of its sentences: "I have 24h. Is that normal?")
             if not (SENTENCE_START.search(question[: m.start()]) and _capitalised(m.group(0)))
             and not ACRONYM.match(m.group(0)) and not _AMOUNT.match(m.group(0))
             and m.group(0).lower() not in MONTHS_AND_DAYS]
    found += [m.group(0) for m in _CURRENCIES.finditer(question)] + _CODES.findall(question)
    missing, table = [], handles(question)
    for word in dict.fromkeys(found):
        parts = [p for p in words(word) if len(p) > 1 or p.isdigit()]
        if not parts or word.lower() in SYNONYMS_OF_COVERED:
            continue
        # (vocab words are unstemmed; a name may be said only as a handle: "Kent C. Dodds" in "kentcdodds.com")
        known = [p in vocab or p.rstrip("s") in vocab or any(h in vocab for h in table.get(p, ())) for p in parts]
        # "H-1B" must be known whole; "Adam-style" only needs "adam".
        if (any(ch.isdigit() for ch in word) and not all(known)) or not any(known):
            missing.append(word)
    return missing


def uncovered_roles(question: str, quoted: list[str]) -> list[str]:
    """Roles the question names that no quoted passage speaks about.

    "How do AI and ML engineer roles differ?" answered from passages about ML engineers only
    is a partial answer: the reader is told which part is not covered instead of guessing
    from what is missing; a one-role question answered only from passages about other roles
    is a near miss. `quoted` holds each quote with the heading path it sits under (a
    sentence under "## Data engineer" is about data engineers without naming them).
    """
    covered = {role for text in quoted for role in find_roles(text)}
    return [role_words(r) for r in find_roles(question) if r not in covered]


# A role named as one of the options ("whether I'm going for SWE or ML engineer", "…, Google's loop, or
# Facebook's data engineering screen?") is not the one thing asked about, though it is the one role
# career-rag knows in the question.
_OPTION_BEFORE = re.compile(r"\b(?:or|vs\.?|versus)\s+(?:\S+\s+)?$", re.I)
_OPTION_AFTER = re.compile(r"^\w*\s+(?:\S+\s+)?(?:or|vs\.?|versus)\b", re.I)


def role_offered_as_an_option(question: str) -> bool:
    return any(_OPTION_BEFORE.search(question[:start]) or _OPTION_AFTER.match(question[end:])
               for start, end, _ in role_mentions(question))


# "Which company did she join?", "which neobank was he at?" ask for a name: quotes that only say "a
# multibillion dollar neobank" or "their company" answer a different question (unanswerable questions
# of two blind sets, rounds 29-30). "What kind of company", "company size" and "company values"
# ask something else, and so does "what my employer pays me" or "what the companies estimated".
_WANTS_ORGANISATION = re.compile(
    r"\b(?:which|what)(?! (?:kinds?|types?|sorts?|sizes?)\b)(?: (?!(?:the|a|an|my|your|their|his|her|our|its|this|that|"
    r"these|those)\b)[\w'-]+){0,2}? (?:compan(?:y|ies)|employers?|firms?|"
    r"startups?|banks?|neobanks?|universit(?:y|ies)|colleges?|schools?|organi[sz]ations?)\b"
    r"(?! (?:sizes?|cultures?|values?|polic(?:y|ies)|websites?|pages?|handbooks?|stages?|types?|kinds?)\b)", re.I)
_LINE_START = re.compile(rf"(?:^|\n)(?:{LIST_MARK.pattern})?[ \t]*[\"'“‘(*_]*$")  # a line's or a list item's first word


def names_no_organisation(question: str, quoted: list[str], document: Callable[[str], str] | None = None,
                          sources: list[str] | None = None) -> bool:
    """The question asks which company (employer, bank, school …), and no quote names anything the
    question does not: no word written with a capital inside a sentence that its documents do not
    also write in lower case ("Oracle" names one; "a Data Scientist Manager at a neobank", a month,
    "I" do not). A near miss when that is all it asks; else a part left uncovered."""
    if not _WANTS_ORGANISATION.search(question):
        return False
    asked = {w.lower() for w in words(question)}
    texts = [document(s) or "" for s in dict.fromkeys(sources or [])] if document else []
    for quote in quoted:
        for m in re.finditer(r"(?<![\w'-])[A-Z][\w&-]*", quote):
            word = m.group(0)
            before = quote[: m.start()]
            if SENTENCE_START.search(before) or _LINE_START.search(before) or before.endswith(": "):
                continue
            low = word.lower()
            if low in asked or low in MONTHS_AND_DAYS or low in NOT_NAMES or low in SYNONYMS_OF_COVERED:
                continue
            if not any(_a_common_word(word, t) for t in texts):
                return False
    return True


def _a_common_word(word: str, text: str) -> bool:
    """The text writes the word in lower case at least as often as capitalised: a job title or a
    heading's word, not a name ("amazon.jobs" in a link is not the word in lower case)."""
    capitalised = len(re.findall(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text))
    lower = len(re.findall(rf"(?<![\w./@-]){re.escape(word.lower())}(?![\w-]|\.\w)", text))
    return 0 < capitalised <= lower


# Labels that add no more than this many words to the question's own, and whose words are mostly
# the question's, say nothing about it: "- Eisenhower Matrix (urgent/important)" for what to do with
# urgent tasks, "- STAR method [TBD]" for what STAR stands for. On ten sets the fewest words any
# answered answerable question added was 7, and the only answers with 2 or fewer were those two
# unanswerable ones (round 28). A sentence is no label: "Amazon asks about leadership in every
# round." answers what Amazon asks about with one word of its own.
ECHO_TERMS = 2


def echoes(question: str, quoted: list[str]) -> bool:
    """Whether the quotes are labels that only repeat the question's words (stemmed content words)."""
    said = terms(" ".join(quoted))
    new = said - terms(question)
    return len(new) <= ECHO_TERMS and 3 * len(new) <= len(said) and not any(ends_a_sentence(q) for q in quoted)


def near_miss(question: str, citations: list[Citation], top: list[Context],
              opening: Callable[[str], str] | None = None, document: Callable[[str], str] | None = None,
              root: str = "", introduction: Callable[[str], str] | None = None) -> str | None:
    """Why quoted passages that only touch the topic do not answer the question (None: they do).

    Quotes that only repeat the question's words (`echoes`), no figure for a figure question, no date
    for a question about when something is out or due, no code for a question that asks for code,
    neither of the figures it offers to choose from, no name for a question that asks which company
    (`names_no_organisation`), no mention of the name asked about, money only in other currencies
    than the place asked about uses (`money_of_another_place`), or only other roles than the one
    asked about. (For the extractive answer: an LLM reads whole passages.)
    `opening(source)` gives a quoted document's opening paragraph (`Evidence.opening`), which
    says whose guide it is; it is read only for a question about one role. `document(source)` gives
    a quoted document's text, which may name throughout what its quotes do not, and
    `introduction(source)` the part that says whose it is and what about (`unsaid_names`).
    `root` is the folder that holds the corpus: a document's path below it names it (`quotes_about`).
    """
    texts = [without_targets(c.text) for c in citations]
    one_ask = asks_one_thing(question)
    if echoes(question, texts):
        return "The passages found name this topic but say nothing more about it."
    if missing_figure(question, texts):
        return "The passages found talk about this topic but give no figure for it."
    if missing_date(question, texts):
        return "The passages found talk about this topic but do not say when."
    if missing_code(question, texts):
        return "The passages found talk about this topic but give no code for it."
    options = unnamed_options(question, texts)
    if options:
        return f"The passages found give neither {options[0]} nor {options[1]}."
    if one_ask and names_no_organisation(question, texts, document, [c.source for c in citations]):
        return "The passages found talk about this topic but name no company or organisation."
    about = quotes_about(citations, top, titles=True, root=root)
    unnamed, none_named = unsaid_names(question, about, citations, document, introduction)
    if none_named:
        return f"The passages found do not mention {' or '.join(unnamed)}."
    if one_ask and money_of_another_place(question, texts):
        return "The passages found give sums of money, but not in the currency of the place asked about."
    # (a document's opening says whose guide it is: "As an ML engineer, you're first expected to …"
    # heads a coding guide whose sentences never name the role again)
    if len(find_roles(question)) != 1 or role_offered_as_an_option(question):
        return None
    opened = [f"{where}\n{quote}\n{opening(c.source) if opening else ''}" for (where, quote), c in zip(about, citations)]
    other_roles_only = uncovered_roles(question, opened)
    if other_roles_only:
        return f"The passages found are not about the {other_roles_only[0]} role."
    return None


def partial_coverage(question: str, citations: list[Citation], top: list[Context],
                     document: Callable[[str], str] | None = None, root: str = "",
                     introduction: Callable[[str], str] | None = None) -> str | None:
    """What an answer to a many-part question leaves out: names, roles of a comparison, the figure
    a second ask wants ("which path fits me, and what's its typical pay?"), or the company one asks
    for ("which companies made offers, and what were the roles?")."""
    notes = []
    about = quotes_about(citations, top, titles=True, root=root)
    unnamed, _ = unsaid_names(question, about, citations, document, introduction)
    if unnamed:
        notes.append(f"the passages found do not mention {' or '.join(unnamed)}")
    if not asks_one_thing(question):
        texts = [without_targets(c.text) for c in citations]
        kind = missing_kind(question, texts)
        if kind:
            notes.append(f"the passages found do not say {kind}")
        if names_no_organisation(question, texts, document, [c.source for c in citations]):
            notes.append("the passages found name no company or organisation")
    # (titles do not count for roles: a comparison article's title names every role it compares)
    gaps = uncovered_roles(question, quoted_with(citations, top)) if len(find_roles(question)) > 1 else []
    if gaps:
        notes.append(f"the passages found do not cover the {' and '.join(gaps)} role{'s' if len(gaps) > 1 else ''}")
    return f"Partly covered: {'; '.join(notes)}." if notes else None


def quoted_with(citations: list[Citation], top: list[Context]) -> list[str]:
    """Each quote with its document's role tags and heading path (see quotes_about)."""
    return [f"{about}\n{quote}" for about, quote in quotes_about(citations, top)]


def quotes_about(citations: list[Citation], top: list[Context], titles: bool = False,
                 root: str = "") -> list[tuple[str, str]]:
    """(what each quote's passage is about, the quote): its document's role tags, heading path and
    (with `titles`) title and path below `root`. A sentence under "## Data engineer" in a "Google
    interview guide" is about data engineers at Google without saying so, as is one in
    "google/onsite-notes.md"."""
    def where(cit: Citation) -> str:
        ctx = next((ctx for ctx in top if ctx.holds(cit)), None)
        if ctx is None:
            return ""
        about = f"{' '.join(ctx.chunk.roles)}\n{ctx.chunk.header_path}"
        return f"{ctx.chunk.title}\n{' '.join(path_words(ctx.chunk.source, root))}\n{about}" if titles else about

    return [(where(cit), without_targets(cit.text)) for cit in citations]
