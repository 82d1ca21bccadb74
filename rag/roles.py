"""Recognise role names in free text ("MLE", "data engineers", "machine learning engineer")."""

from __future__ import annotations

import re

ROLES = (
    "ai engineer",
    "ml engineer",
    "data engineer",
    "data scientist",
    "mlops engineer",
    "analytics engineer",
    "data analyst",
    "research engineer",
    "ml platform engineer",
    "applied scientist",
)

_ALIASES = {
    "ai engineer": [r"ai engineer(?:s|ing)?", r"llm engineer(?:s|ing)?", r"genai engineer(?:s|ing)?"],
    "ml engineer": [r"ml engineer(?:s|ing)?", r"machine[- ]learning engineer(?:s|ing)?", r"mles?"],
    "data engineer": [r"data engineer(?:s|ing)?"],
    "data scientist": [r"data scientists?", r"data science"],
    "mlops engineer": [r"mlops(?: engineer(?:s|ing)?)?"],
    "analytics engineer": [r"analytics engineer(?:s|ing)?"],
    "data analyst": [r"data analysts?", r"(?:business|product) analysts?"],
    "research engineer": [r"research engineer(?:s|ing)?"],
    "ml platform engineer": [r"(?:ml|machine[- ]learning) (?:platform|infrastructure|infra) engineer(?:s|ing)?", r"ml platform", r"ml infra(?:structure)?"],
    "applied scientist": [r"applied scientists?", r"applied science"],
}

_PATTERNS = [
    (role, re.compile(r"\b(?:" + "|".join(aliases) + r")\b", re.I)) for role, aliases in _ALIASES.items()
]


# "AI and ML engineers", "AI, ML or data engineer": modifiers sharing one "engineer".
_MODIFIER = r"(?:ai|ml|mlops|llm|genai|data|analytics|research)"
_JOINER = r"\s*(?:,|&|/|\band\b|\bor\b|\bvs\b\.?|\bversus\b)\s*(?:(?:an?|the)\s+)?"
_SHARED_ENGINEER = re.compile(
    rf"\b({_MODIFIER}){_JOINER}(?=(?:{_MODIFIER}{_JOINER})*{_MODIFIER}[\s-]+engineer)", re.I)


def find_roles(text: str) -> list[str]:
    """Roles mentioned in `text`, in order of first mention; longer names win overlaps."""
    return list(dict.fromkeys(role for _, _, role in role_mentions(text)))


def role_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of each role name in `text`, in order; longer names win overlaps."""
    hits: list[tuple[int, int, str]] = []
    for role, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            hits.append((m.start(), m.end(), role))
    for m in _SHARED_ENGINEER.finditer(text):
        role = next((r for r, p in _PATTERNS if p.fullmatch(f"{m.group(1)} engineer")), None)
        if role:
            hits.append((m.start(1), m.end(1), role))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    found: list[tuple[int, int, str]] = []
    taken_until = -1
    for start, end, role in hits:
        if start < taken_until:
            continue  # e.g. "ml platform engineer" already claimed "ml ... engineer"
        taken_until = end
        found.append((start, end, role))
    return found


_ACRONYMS = {"ai": "AI", "ml": "ML", "mlops": "MLOps", "llm": "LLM"}
# Acronyms read letter by letter take "an" when the first letter's name starts with a vowel sound.
_AN_LETTERS = set("aefhilmnorsx")


def role_words(role: str) -> str:
    """How a role is written inside a sentence: 'ml platform engineer' -> 'ML platform engineer'."""
    return " ".join(_ACRONYMS.get(w, w) for w in role.split())


def role_label(role: str) -> str:
    """A role as a label or heading: 'data engineer' -> 'Data engineer'."""
    text = role_words(role)
    return text[:1].upper() + text[1:]


def _article(label: str) -> str:
    first = label.split()[0] if label.split() else ""
    spelled = first.isupper() or first in _ACRONYMS.values()
    vowel = first[:1].lower() in (_AN_LETTERS if spelled else set("aeiou"))
    return "an" if vowel else "a"


def replace_roles(text: str, old: str, new: str) -> str:
    """Swap mentions of role `old` for `new` (used to rewrite follow-up questions).

    "What does a data engineer do?" with ml engineer -> "What does an ML engineer do?":
    the new role is written as a label, and an article right before it agrees with it.
    """
    label = role_words(new)
    pattern = dict(_PATTERNS)[old]

    def swap(m: re.Match) -> str:
        said = m.group(0).lower()
        if said.endswith("ing") and label.endswith("er"):
            return label + "ing"  # "data engineering" -> "ML engineering"
        return label + "s" if said.endswith("s") and not label.endswith("s") else label

    out = pattern.sub(swap, text)
    return re.sub(r"\b([Aa]n?) (" + re.escape(label) + r")\b",
                  lambda m: (_article(label).capitalize() if m.group(1)[0] == "A" else _article(label)) + " " + m.group(2), out)
