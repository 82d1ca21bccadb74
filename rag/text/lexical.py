"""Words: the one tokenizer, stop list and stemmer every lexical comparison uses.

Term overlap appears in several places (sentence scoring, the LLM-answer support check,
study feedback, BM25 query cleaning, the dataset checker); they all count words the same
way through this module, so a tweak here moves them together. The stemmer is Snowball's
English stemmer (PyStemmer), the same one the BM25 index is built with.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePosixPath

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


def path_words(source: str, root: str = "") -> list[str]:
    """The words of a document's path below `root` (`corpus_root`), folders and file name without
    its extension: a user who keeps "interviews/Celestica/prep.md" asks about "the Celestica prep
    notes", which may never say "Celestica" in their text. (Not the folders above the corpus:
    "/home/alice/Google Drive/notes" would name Alice and Google in every document.)"""
    path = PurePosixPath(source)
    if root and path.is_relative_to(root):
        path = path.relative_to(root)
    return words(str(path.with_suffix("")))


def corpus_root(sources: Iterable[str]) -> str:
    """The deepest folder that holds every one of `sources` (its words name no one document)."""
    try:
        return os.path.commonpath([os.path.dirname(s) for s in sources])
    except ValueError:  # (no sources, or absolute and relative paths mixed)
        return ""


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


_NAME = re.compile(r"([A-Z][\w'-]*[A-Za-z0-9])[.,;:!?)\"'’”]*")
_ANY_WORD = re.compile(r"[A-Za-z][\w'-]*[A-Za-z0-9]")
_NOT_PROSE = re.compile(r"\S*(?:https?:|www\.|\.(?:com|org|io|net|dev|ai|co)\b)\S*|<[^<>\n]*>|`[^`\n]*`|\]\([^)\s]*\)")
# A name is written so in at least this share of its occurrences, at least twice. (0.9 missed
# "Amazon", which the handbook's keyword front matter also lists in lower case; eval/README.md,
# round 16.)
NAME_SHARE = 0.75
NAME_MIN_COUNT = 2


def _written_as_names(line: str):
    """Capitalised words of a line that follow a word in lower case or a comma ("offers at
    Google", "Meta, Apple") and are not part of a run of capitalised words: the writer's
    capitals, not a sentence's, a heading's or a title's ("the House Robber problem")."""
    tokens = line.split()
    for i in range(1, len(tokens)):
        prev, token = tokens[i - 1], tokens[i]
        m = _NAME.fullmatch(token)
        after_word = prev[:1].islower() and prev[-1:] not in ".!?:"  # (not a sentence's end)
        if m is None or not (after_word or prev[-1:] in ",;"):
            continue
        runs_on = m.group(1) == token and i + 1 < len(tokens) and tokens[i + 1][:1].isupper()
        if not runs_on:
            yield m.group(1).split("'")[0]


def proper_names(texts) -> frozenset[str]:
    """Words the texts write as names, in their usual spelling: capitalised inside running text,
    and seldom in lower case ("Google", "LeetCode"; not "Design", which only opens headings and
    sentences, nor a word written both ways). Lets a question typed in lower case ("what is
    netflix's loop like?") be read with its names."""
    cased: dict[str, dict[str, int]] = {}
    lower: dict[str, int] = {}
    for text in texts:
        text = _NOT_PROSE.sub(" ", text)  # "leetcode.com/…", "<meta …>", `code`: not how the text writes a word
        for line in text.splitlines():
            for word in _written_as_names(line):
                forms = cased.setdefault(word.lower(), {})
                forms[word] = forms.get(word, 0) + 1
        for m in _ANY_WORD.finditer(text):
            word = m.group(0).split("'")[0]
            if word.islower():
                lower[word] = lower.get(word, 0) + 1
    names = set()
    for key, forms in cased.items():
        n = sum(forms.values())
        if key not in STOPWORDS and n >= NAME_MIN_COUNT and n >= NAME_SHARE * (n + lower.get(key, 0)):
            names.add(max(forms, key=forms.get))
    return frozenset(names)
