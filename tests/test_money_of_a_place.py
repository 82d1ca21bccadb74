"""Pay asked for one place and quoted only in another's currency is a near miss
(rag.pipeline.figures.money_of_another_place, wired into rag.pipeline.refusal.near_miss). No model."""

from __future__ import annotations

import pytest

from rag.pipeline.figures import money_of_another_place
from rag.pipeline.refusal import near_miss
from rag.types import Citation

INDIA = "The average salary for a technical writer in India is around INR 4.5 lakhs per year."


@pytest.mark.parametrize("question, quote, other", [
    # the place's currency is not among the quoted sums
    ("what do technical writers earn on average in the united states?", INDIA, True),
    ("How much does a junior make in the US?", "Juniors start at about €40,000 in Berlin.", True),
    ("what's the salary for a data analyst in bangalore?", "Analysts there start at $60k.", True),
    ("how much do SWEs get paid in London?", "Expect around €70k.", True),
    # ... or it is, or a sum names no currency at all
    ("what do technical writers earn on average in the united states?", "Writers in the US average $80,000.", False),
    ("what do technical writers earn on average in the united states?", "Writers average about 80k.", False),
    ("what's the salary for a data analyst in bangalore?", "Freshers get 4.25 LPA.", False),
    ("how much do SWEs get paid in London?", "Expect around £70k.", False),
    # no place, two places, "us" the asker, or no money asked for
    ("what do technical writers earn on average?", INDIA, False),
    ("what do writers earn in the US compared to India?", INDIA, False),
    ("how much would they pay us?", INDIA, False),
    ("how many writers work in the US?", INDIA, False),
])
def test_money_must_be_in_the_currency_of_the_place_asked_about(question, quote, other):
    assert money_of_another_place(question, [quote]) is other


def test_a_sum_in_another_currency_is_a_near_miss_with_its_reason():
    cited = [Citation("/pay.md", "Pay", 0, len(INDIA), INDIA, 1)]
    assert near_miss("what do technical writers earn on average in the united states?", cited, []) == (
        "The passages found give sums of money, but not in the currency of the place asked about.")
    assert near_miss("what do technical writers earn on average in india?", cited, []) is None
    # (a question that also asks something else is answered)
    assert near_miss("what do writers earn in the US, and how do I become one?", cited, []) is None
