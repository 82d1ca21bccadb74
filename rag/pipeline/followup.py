"""Follow-up questions ("and for ML engineers?") made standalone before retrieval."""

from __future__ import annotations

import logging
import re

from rag.prompts import CONDENSE
from rag.roles import find_roles, replace_roles, role_words
from rag.text.lexical import terms

log = logging.getLogger(__name__)

_FOLLOWUP = re.compile(
    r"^\s*(?:and|also|what about|how about|same for|what of|and for|and what about|how does that|"
    r"is that|are they|do they|does it|what do they|how do they)\b", re.I
)
MAX_CONDENSED_CHARS = 300


def rewrite_followup(question: str, history: list[str]) -> str:
    """Make a follow-up standalone without an LLM ("and for ML engineers?")."""
    if not history:
        return question
    prev = history[-1]
    new_roles, prev_roles = find_roles(question), find_roles(prev)
    named = terms(" ".join(new_roles))
    looks_like_followup = bool(_FOLLOWUP.match(question)) or len(terms(question) - named) <= 1
    if not looks_like_followup:
        return question
    if new_roles and prev_roles:
        rewritten = prev
        for old, new in zip(prev_roles, new_roles):
            rewritten = replace_roles(rewritten, old, new)
        return rewritten if rewritten != prev else f"{prev} ({', '.join(new_roles)})"
    if prev_roles and not new_roles:
        return f"{question.rstrip(' ?')} for {' and '.join(role_words(r) + 's' for r in prev_roles)}?"
    return f"{prev.rstrip(' ?')}: {question}"


def condense(llm, question: str, history: list[str]) -> str | None:
    """The LLM's standalone form of a follow-up, or None when it gives nothing usable."""
    convo = "\n".join(f"User: {h}" for h in history[-4:])
    lines = llm.complete(CONDENSE.format(history=convo, question=question)).text.strip().splitlines()
    if lines and 3 < len(lines[0]) < MAX_CONDENSED_CHARS:
        return lines[0].strip()
    log.info("condense gave no usable question (%r); using the rule-based rewrite", lines[:1])
    return None
