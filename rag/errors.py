"""How an exception is shown to a user: one line, never a stack trace."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:limit]
