"""Prose in a code fence is text to quote; code in one stays code (rag.text.fences)."""

from __future__ import annotations

import pytest

from rag.text.fences import fenced_prose, prose_line
from rag.text.spans import split_units

GUIDE = """# SQL round

**Q4: Explain window functions.**
```sql
-- Row numbering within groups
SELECT employee_id,
    ROW_NUMBER() OVER (PARTITION BY department ORDER BY salary DESC) as rank
FROM employees;

Key concepts:
- RANK: Same rank for ties, gaps after
- DENSE_RANK: Same rank for ties, no gaps
```

**Q7: Explain slowly changing dimensions.**
```
SCD Type 1: Overwrite old value (no history)
SCD Type 2: Add new row with version tracking
Task: As the lead data engineer, I was responsible for reducing latency
to under 15 minutes.
```

**Q9: Write a DFS.**
```py
def dfs(matrix):
  def traverse(i, j):
    if (i, j) in visited:
      return
```
"""


def _units(text, start=0):
    return [(u.kind, text[u.start : u.end]) for u in split_units(text, start)]


def _spans(text, start=0):
    return [(u.kind, u.start, u.end) for u in split_units(text, start)]


@pytest.mark.parametrize("line, prose", [
    ("INNER JOIN: Only matching rows from both tables", True),      # a label and what it says
    ("- Enforce expected columns and types", True),                 # a list item
    ("CPU usage trending up on the database", True),                # plain words
    ("Base Salary: Typically 10-15% below market", True),
    ("    if (i, j) in visited:", False),                           # a statement, however plain its words
    ("kubectl get pods -n production", False),
    ("SELECT e.name as employee, e.salary as emp_salary,", False),
    ("-- Row numbering within groups", False),                      # a comment
    ("    ROW_NUMBER() OVER (PARTITION BY department) as rank,", False),
    ("list1 = [1, 2, 3]", False),
    ("│ dim_customer │", False),                                     # a box of a diagram
    ("customer_id | name | address", False),                         # a table of pipes
    ("replicas: 3", False),                                         # a key and a value, not a label's words
])
def test_a_line_reads_as_prose_or_code(line, prose):
    assert prose_line(line) is prose


def test_prose_in_a_fence_is_split_like_text_and_code_stays_code():
    units = _units(GUIDE)
    assert ("item", "- RANK: Same rank for ties, gaps after") in units
    assert ("item", "SCD Type 2: Add new row with version tracking") in units
    # a wrapped line carries on its sentence; a line starts a unit of its own
    assert ("item", "Task: As the lead data engineer, I was responsible for reducing latency\nto under 15 minutes.") in units
    # the query above "Key concepts:" stays code, the fences around prose are markup
    code = [t for k, t in units if k == "code"]
    assert code[0].startswith("-- Row numbering") and code[0].endswith("FROM employees;")
    assert ("markup", "```sql") in units and ("markup", "```") in units
    # a fence of code is one code unit, fences included
    assert code[-1].startswith("```py\ndef dfs") and code[-1].endswith("```")
    assert not any("if (i, j)" in t for k, t in units if k != "code")


def test_a_range_that_starts_inside_a_fence_of_prose_reads_as_the_whole_text_does():
    at = GUIDE.index("SCD Type 2")
    part = _units(GUIDE, at)
    assert part[0] == ("item", "SCD Type 2: Add new row with version tracking")
    assert [u for u in _spans(GUIDE) if u[1] >= at] == _spans(GUIDE, at)
    inside_code = GUIDE.index("SELECT employee_id")
    assert _units(GUIDE, inside_code)[0] == ("code", GUIDE[inside_code : GUIDE.index("FROM employees;") + len("FROM employees;")])


def test_a_fence_of_code_with_one_line_of_output_is_code():
    text = "```python\nx = sorted(items)\nprint(x)\n\nOutput: the sorted list of items\n```\n"
    assert fenced_prose(text).blocks == ()
    assert [k for k, _ in _units(text)] == ["code"]
