"""Words: the one tokenizer, stop list and stemmer every lexical comparison uses.

Term overlap appears in several places (sentence scoring, the LLM-answer support check,
study feedback, BM25 query cleaning, the dataset checker); they all count words the same
way through this module, so a tweak here moves them together. The stemmer is Snowball's
English stemmer (PyStemmer), the same one the BM25 index is built with.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[a-z0-9]+")
# Word pieces in a subword tokenizer's sense: words and single punctuation marks.
TOKEN = re.compile(r"\w+|[^\w\s]")

# Function words and question words: they carry no topic, and a question full of them
# ("what does ... do") would otherwise match every question heading in a question bank.
STOPWORDS = frozenset(
    """a an the and or of to in on for with at by from as is are was were be been being do does did doing
    have has had what which who whom whose when where why how can could should would will shall may might
    must i me my we our you your they them their it its this that these those there here about into than
    then so if not no any some vs versus""".split()
)

_stemmer = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric words, in order."""
    return WORD.findall(text.lower())


def count_tokens(text: str) -> int:
    """Cheap, deterministic stand-in for a subword tokenizer (close to WordPiece on English)."""
    return len(TOKEN.findall(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> set[str]:
    """Stemmed content words: what two texts must share to be "about the same words"."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def overlap(part: str, whole: str) -> float:
    """Share of `part`'s terms that `whole` also uses (0 when `part` has none)."""
    mine = terms(part)
    return len(mine & terms(whole)) / len(mine) if mine else 0.0


def vocabulary(texts) -> frozenset[str]:
    """Every word of `texts` (unstemmed): what the corpus can be said to mention."""
    found: set[str] = set()
    for text in texts:
        found.update(words(text))
    return frozenset(found)
