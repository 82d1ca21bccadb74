"""Follow-up questions become standalone, grammatical questions (no model needed)."""

from __future__ import annotations

import pytest

from rag.pipeline.followup import rewrite_followup
from rag.roles import find_roles, replace_roles, role_label


@pytest.mark.parametrize(
    "history, question, expected",
    [
        (["What does a data engineer interview test?"], "and for ML engineers?", "What does an ML engineer interview test?"),
        (["What does an ML engineer interview test?"], "and for data engineers?", "What does a data engineer interview test?"),
        (["How much do data scientists earn?"], "what about data analysts?", "How much do data analysts earn?"),
        (["What does a data engineer do day to day?"], "what about pay?", "what about pay for data engineers?"),
        (["What does a data engineer do?"], "How do I prepare for an SQL round?", "How do I prepare for an SQL round?"),
        (["How do AI engineers prepare?"], "and MLOps engineers?", "How do MLOps engineers prepare?"),
        ([], "and for ML engineers?", "and for ML engineers?"),
    ],
)
def test_followup_rewrite(history, question, expected):
    assert rewrite_followup(question, history) == expected


@pytest.mark.parametrize(
    "text, old, new, expected",
    [
        ("Is a data engineer paid well?", "data engineer", "ai engineer", "Is an AI engineer paid well?"),
        ("A data analyst writes SQL.", "data analyst", "applied scientist", "An applied scientist writes SQL."),
        ("An AI engineer ships features.", "ai engineer", "research engineer", "A research engineer ships features."),
        ("data engineering interviews", "data engineer", "ml engineer", "ML engineering interviews"),
    ],
)
def test_replace_roles_keeps_articles_right(text, old, new, expected):
    assert replace_roles(text, old, new) == expected


def test_role_label_writes_acronyms():
    assert role_label("ml platform engineer") == "ML platform engineer"
    assert role_label("data engineer") == "Data engineer"


@pytest.mark.parametrize("text, roles", [
    ("How do AI and ML engineer roles differ?", ["ai engineer", "ml engineer"]),
    ("AI, ML or data engineers: who earns most?", ["ai engineer", "ml engineer", "data engineer"]),
    ("AI vs. ML engineer", ["ai engineer", "ml engineer"]),
    ("machine learning engineers and data scientists", ["ml engineer", "data scientist"]),
    ("AI and data science", ["data scientist"]),  # "AI" alone is not a role
    ("What does a data engineer interview test?", ["data engineer"]),
])
def test_find_roles_reads_modifiers_that_share_one_engineer(text, roles):
    assert find_roles(text) == roles
