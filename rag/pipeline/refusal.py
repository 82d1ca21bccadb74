"""Refusal checks that similarity alone cannot make.

Names, acronyms, numbers and currencies pin a question to specifics ("in Tokyo", "H-1B",
"in euros"); when the corpus never mentions one, retrieval still finds a near-miss
passage about the general topic, and quoting it would answer a different question.
"""

from __future__ import annotations

import re

from rag.text.lexical import words

_SALIENT = re.compile(r"\b(?:[A-Z][\w-]*[A-Za-z0-9]|[A-Za-z-]*\d[\w-]*)\b")
_CURRENCIES = re.compile(r"\b(?:yen|euros?|pounds?|rupees?|yuan|francs?|won)\b", re.I)
_SYNONYMS_OF_COVERED = {"america", "american", "usa", "us"}  # the corpus says "US"


def missing_specifics(question: str, vocab: frozenset[str]) -> list[str]:
    """Specific terms of the question (names, acronyms, numbers, currencies) the corpus never uses."""
    found = [m.group(0) for m in _SALIENT.finditer(question) if m.start() > 0 or not m.group(0).istitle()]
    found += [m.group(0) for m in _CURRENCIES.finditer(question)]
    missing = []
    for word in dict.fromkeys(found):
        parts = [p for p in words(word) if len(p) > 1 or p.isdigit()]
        if not parts or word.lower() in _SYNONYMS_OF_COVERED:
            continue
        known = [p in vocab or p.rstrip("s") in vocab for p in parts]  # vocab words are unstemmed
        # "H-1B" must be known whole; "Adam-style" only needs "adam".
        if (any(ch.isdigit() for ch in word) and not all(known)) or not any(known):
            missing.append(word)
    return missing


# Questions that ask for a figure ("how much", "how many rounds", "what percentage") are
# answered by a sentence that gives one; passages that only talk about the topic are near
# misses, and quoting them would answer a question nobody asked.
_WANTS_FIGURE = re.compile(
    r"\bhow (?:much|many|long|often|big|soon|old)\b|\bwhat (?:percentage|percent|proportion|share|fraction)\b"
    r"|\bwhat(?:'s| is| are) the (?:median|average|typical|usual) (?:salary|pay|base|number|amount|wait|length)\b",
    re.I,
)
_FIGURE = re.compile(
    r"\d|\$|%|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|twice|double|percent|daily|weekly|monthly|yearly|annually)\b",
    re.I,
)


def missing_figure(question: str, quoted: list[str]) -> bool:
    """The question asks for a figure and none of the quoted sentences gives one."""
    return bool(_WANTS_FIGURE.search(question)) and not any(_FIGURE.search(q) for q in quoted)
