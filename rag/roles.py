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


def find_roles(text: str) -> list[str]:
    """Roles mentioned in `text`, in order of first mention; longer names win overlaps."""
    hits: list[tuple[int, int, str]] = []
    for role, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            hits.append((m.start(), m.end(), role))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    found: list[str] = []
    taken_until = -1
    for start, end, role in hits:
        if start < taken_until:
            continue  # e.g. "ml platform engineer" already claimed "ml ... engineer"
        taken_until = end
        if role not in found:
            found.append(role)
    return found


def replace_roles(text: str, old: str, new: str) -> str:
    """Swap mentions of role `old` for `new` (used to rewrite follow-up questions)."""
    pattern = dict(_PATTERNS)[old]
    return pattern.sub(new, text)
