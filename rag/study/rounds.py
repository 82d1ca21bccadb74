"""Interview rounds: the names practice mode filters by, and how a text is read as one."""

from __future__ import annotations

import re

ROUNDS = ("sql", "coding", "ml-fundamentals", "ml-system-design", "llm-system-design", "data-modeling",
          "statistics", "product-sense", "behavioural", "take-home")

# Most specific first: "ML system design" must not be read as "ML fundamentals".
_ROUND_CUES = (
    ("llm-system-design", r"llm system design|\brag\b|retrieval[- ]augmented|\bllm\b|prompt|agent"),
    ("ml-system-design", r"ml system design|machine learning system design|recommend|ranking system|fraud system"),
    ("take-home", r"take[- ]home"),
    ("behavioural", r"behaviou?ral|\bstar\b|tell me about a time|stakeholder|conflict"),
    ("sql", r"\bsql\b|window function|\bjoins?\b|\bquery\b|gaps and islands|deduplicat"),
    ("data-modeling", r"data model|schema|pipeline|warehouse|\betl\b|\belt\b|slowly changing|dimensional"),
    ("statistics", r"statistic|experiment|a/b test|hypothesis|p-value|significance|probability"),
    ("product-sense", r"product sense|product metric|\bmetrics?\b|north star|\bkpi"),
    ("ml-fundamentals", r"ml fundamentals|machine learning fundamentals|overfit|bias[- ]variance|regulari[sz]|loss function|gradient"),
    ("coding", r"\bcoding\b|\bpython\b|algorithm|leetcode|data structure|implement"),
)
_ROUND_ALIASES = {"behavioral": "behavioural", "ml-design": "ml-system-design", "llm-design": "llm-system-design",
                  "system-design": "ml-system-design", "modeling": "data-modeling", "data-modelling": "data-modeling",
                  "stats": "statistics", "product": "product-sense", "takehome": "take-home", "python": "coding"}


def normalise_round(value: str | None) -> str | None:
    if not value:
        return None
    key = "-".join(value.strip().lower().replace("_", " ").split())
    key = _ROUND_ALIASES.get(key, key)
    return key if key in ROUNDS else None


def infer_round(*texts: str) -> str | None:
    """The first round a text names (texts in priority order: nearest heading first)."""
    for text in texts:
        exact = normalise_round(text)
        if exact:
            return exact
        low = text.lower()
        for name, cue in _ROUND_CUES:
            if re.search(cue, low):
                return name
    return None
