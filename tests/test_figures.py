"""Figures of a kind (rag.pipeline.figures): a rate, a score or a version asked for, whether the
quotes give one, and the list item the composer brings for one. (Time, pay, shares, dates and
offered choices: tests/test_refusal.py; pay asked with "how much salary" here.) No model."""

from __future__ import annotations

import pytest

from rag.pipeline.figures import gives_a_figure, missing_figure, missing_kind
from rag.pipeline.refusal import near_miss, partial_coverage
from rag.types import Citation
from tests.fakes import DistinctKeywordScorer


@pytest.mark.parametrize("question, quote, missing", [
    # a rate: a share, a decimal, money or a count per something
    ("What job placement rate do bootcamps report?", "The recruiter screen takes 20-30 minutes.", "what rate"),
    ("What job placement rate do bootcamps report?", "Bootcamps report that 80% of graduates find jobs.", None),
    ("What learning rate should I start with for Adam?", "Start with 3e-4 and halve it on a plateau.", None),
    ("What hourly rate should I charge as a contractor?", "Most contractors charge $100 an hour.", None),
    ("What error rate is normal for the pipeline?", "Expect about 2 per 1,000 records.", None),
    ("What character accuracy did the OCR pipeline reach?", "The scanner has two components.", "what rate"),
    ("What character accuracy did the OCR pipeline reach?", "It read characters with 0.93 accuracy.", None),
    ("what's Bloomberg's return offer rate for interns?", "Interns apply through the careers page.", "what rate"),
    ("what's Bloomberg's return offer rate for interns?", "About 90% of interns get a return offer.", None),
    # a score
    ("What score do I need on the online assessment?", "1 x Online Assessment on HackerRank", "what score"),
    ("What score do I need on the online assessment?", "Pass at least 70% of the test cases.", None),
    ("What minimum GPA do labs require?", "Offers range from $300k to $700k.", "what score"),
    ("What minimum GPA do labs require?", "Most ask for a GPA of 3.5 or above.", None),
    ("What marks do I need to be eligible?", "You need 60 marks in every semester.", None),
    # a version
    ("Which scikit-learn version started using SVD?", "The library `sklearn` uses SVD to solve least squares.", "which version"),
    ("Which scikit-learn version started using SVD?", "Since version 0.17 it solves them with SVD.", None),
    ("What version of Python should I learn?", "Learn Python 3; the old line is retired.", None),
    # a sum of money, asked with "how much" and a word for it; not what moves it, nor a share of it
    ("how much salary did the Android dev end up getting?", "One company's on-site had two rounds.", "how much it pays"),
    ("how much salary did the Android dev end up getting?", "The offer came in at £60k.", None),
    ("How much was the salary she got after moving?", "For the next 2.5 years I had no raise.", "how much it pays"),
    ("How much money should I save before a bootcamp?", "Save about $10,000 first.", None),
    ("How much does the bonus depend on performance?", "Each level adds about 20%.", None),
    ("How much of my salary should I save?", "Each level adds about 20%.", None),
    # ... or asked with what someone gets paid, makes or earns, or their total comp
    ("what do SDETs at google get paid?", "Round 1 is a call with the hiring manager.", "how much it pays"),
    ("what do SDETs at google get paid?", "They start at around $150k.", None),
    ("What does a staff engineer make in NYC?", "Staff engineers lead cross-team projects.", "how much it pays"),
    ("what total comp / base salary did he get?", "AWS pays very competitively.", "how much it pays"),
    # pay asked "on" an offer (a blind set, round 34)
    ("what was the total comp on the linkedin offer?", "After 5 years of experience I interviewed.", "how much it pays"),
    ("what was the total comp on the linkedin offer?", "The offer came to $310K a year.", None),
    # ... or as a typical or average salary, however many words name whose
    ("what's a typical qa tester salary in the uk?", "Testers report on defects.", "how much it pays"),
    ("what's the average entry level salary?", "Most juniors start at £28k.", None),
    ("what's the average salary raise at a promotion?", "Raises are about 10%.", None),  # a raise: a share will do
    # a difference in pay: a share gives it too
    ("how much more do SDETs earn than QA engineers?", "SDET salaries are typically 30-50% higher.", None),
    ("how much more do SDETs earn than QA engineers?", "SDETs earn about twice as much.", None),
    ("how much more do SDETs earn than QA engineers?", "SDETs write more code.", "how much more it pays"),
    # what something costs, or its fee or price
    ("how much did the PEN-200 course cost him?", "He bought it on December 28th, 2022.", "how much it costs"),
    ("How much is the tuition for the bootcamp?", "Tuition is $17,980 up front.", None),
    ("what's the exam fee to book the cissp", "You need 700 out of 1000 to pass.", "how much it costs"),
    ("what's the exam fee to book the cissp", "Booking the exam costs $749.", None),
    ("what is the price of leetcode premium?", "Premium unlocks company tags.", "how much it costs"),
    ("what are the fees and perks like?", "Perks include free lunch.", None),  # not asked alone
    # not money: what they make you do, what people make of something, a size that a weight costs
    ("what do they make you code in the last round?", "You pair on a small feature.", None),
    ("What do interviewers make of employment gaps?", "Explain the gap in one sentence.", None),
    ("How much space does every weight cost me in mixed precision?", "About 16 bytes per parameter.", None),
    # not asked for: a name, a compound, a rate "in" a place
    ("Which version control system should I learn?", "Learn Git.", None),
    ("What rate limiter does the gateway use?", "A token bucket per user.", None),
    ("What's the going rate in America for that job?", "It is a product-first role.", None),
])
def test_a_rate_a_score_a_version_money_or_a_cost_must_be_given(question, quote, missing):
    assert missing_kind(question, [quote]) == missing
    assert missing_figure(question, [quote]) is (missing is not None)
    if missing:
        assert not gives_a_figure(quote, question)


@pytest.mark.parametrize("question, refused, partly", [
    ("What score do I need on the assessment?", True, None),
    ("What score do I need on the assessment, and how should I prepare?", False,
     "Partly covered: the passages found do not say what score."),
    ("Which version added it, and why does it matter?", False, "Partly covered: the passages found do not say which version."),
])
def test_a_two_part_question_names_the_figure_it_lacks(question, refused, partly):
    quote = "The assessment has 1 x coding question on HackerRank; practise timed problems first."
    cited = [Citation("/oa.md", "Assessment", 0, len(quote), quote, 1)]
    assert (near_miss(question, cited, []) is not None) is refused
    assert partial_coverage(question, cited, []) == partly


@pytest.mark.parametrize("question, quote, missing", [
    # "how long" a text is: pages or words give it
    ("how long were her interview prep notes?", "My notes were 23 pages long.", False),
    ("how long were her interview prep notes?", "She kept all her notes in one document.", True),
    # pay asked five words on; "make" that far on is not pay
    ("how much did the junior devrel job pay compared to the senior one?", "Junior position: 71 days", True),
    ("how much did the junior devrel job pay compared to the senior one?", "The junior offer was $95k.", False),
    ("how much effort does it take to make staff?", "It took me 3 years.", False),
    # two asks, both for figures, and neither given: nothing answers it
    ("how many SQL questions are on the screen, and how long do you get?", "You solve a number of SQL exercises.", True),
    ("how many SQL questions are on the screen, and how long do you get?", "You solve 3 SQL exercises.", False),
    ("how many SQL questions are on the screen? how long do you get?", "You get an hour for it.", False),
])
def test_a_length_pay_asked_further_on_or_two_figures_must_be_given(question, quote, missing):
    assert missing_figure(question, [quote]) is missing


@pytest.mark.parametrize("quoted, missing", [
    # one numbered item: its number is its place ("2. Practical Coding", a printed section title)
    (["2. Practical Coding\nThis is a given.", "You will face coding challenges."], True),
    # a numbered list counts what it lists, in one quote or in several
    (["1. Recruiter screen", "2. Onsite loop"], False),
    (["1. Recruiter screen\n2. Onsite loop"], False),
    (["2. The loop has 4 rounds."], False),
])
def test_a_lone_list_number_is_not_a_figure(quoted, missing):
    assert missing_figure("How many rounds is the interview loop?", quoted) is missing


@pytest.mark.parametrize("question, quote, missing", [
    ("How much of the system should I own as a senior?", "You own features of a system entirely.", False),
    ("How much of the system should I own as a senior?", "Most of the work is yours.", False),
    ("How much of the system should I own as a senior?", "All engineers review designs.", True),
    ("How much time should I spend on call?", "You own the on-call rota entirely.", True),  # not "how much of"
])
def test_how_much_of_something_may_be_answered_in_words(question, quote, missing):
    assert missing_figure(question, [quote]) is missing


@pytest.mark.parametrize("question, quote, missing", [
    # typed without a question mark, or with the exam after it: a score is asked for
    ("what's the passing score on az-104", "I recently passed AZ-104, my third Microsoft certification.", "what score"),
    ("what's the passing score on az-104", "The pass mark is 700 out of 1000.", None),
    ("what do reviewers grade in a take-home?", "They read the README first.", None),  # "grade" here is a verb
    # a count of things: a span of time, a date or a level's number ("SDE-2") is not it
    ("how many interview rounds does expedia have?", "Less than five years later, I'm an SDE-2 at Expedia.", "how many"),
    ("how many interview rounds does expedia have?", "I joined Expedia in July 2021.", "how many"),
    ("how many interview rounds does expedia have?", "There are four rounds over two days.", None),
    ("how many yrs of experience do I need for staff?", "Expect about eight years.", None),  # a span asked for
])
def test_a_score_asked_in_passing_and_a_count_a_span_of_time_does_not_give(question, quote, missing):
    assert missing_kind(question, [quote]) == missing


@pytest.mark.parametrize("question, quote, missing", [
    # a number the question states is not the one it asks for
    ("With a 255.255.255.240 mask, how many usable hosts are there?",
     "- How many IP addresses are available with a subnet mask of 255.255.255.240?", "how many"),
    ("With a 255.255.255.240 mask, how many usable hosts are there?", "A /28 (255.255.255.240) leaves 14 hosts.", None),
    # nor does a question the quote asks
    ("What late-payment interest rate should I charge?", "What if they don't pay the final 50%? Have a plan.", "what rate"),
    ("What late-payment interest rate should I charge?", "Would 2% a month be fair? Yes: charge 2% a month.", None),
    ("What score out of 5 do I need to pass the rubric?", "See the rubric template below.", "what score"),
    ("What score out of 5 do I need to pass the rubric?", "A 4 out of 5 on every row passes.", None),
    # the minimum, maximum or number of something is a figure; "Summer'14" is a year, not an amount
    ("What is the maximum number of hours a take-home should take?", "It should not eat your weekend.", "how many hours"),
    ("What is the maximum number of hours a take-home should take?", "Keep it under 4 hours.", None),
    ("What is the minimum age to apply?", "In Summer'14 I took part as a student.", "what figure"),
    ("What is the minimum age to apply?", "Applicants must be 18 or older.", None),
    ("What is the minimum requirement to apply?", "A working laptop.", None),  # no figure asked for
])
def test_a_figure_the_question_states_or_asks_or_a_years_short_form_is_not_the_one_asked_for(question, quote, missing):
    assert missing_kind(question, [quote]) == missing


@pytest.mark.parametrize("duration, quoted", [
    ("- Duration: ~45 minutes\n", True),          # an item of the list the answer quotes
    ("\nThe loop took 45 minutes.\n", False),     # a paragraph of its own, read as far from the question
])
def test_a_figure_question_brings_the_item_of_a_quoted_list_that_gives_the_figure(fake_settings, duration, quoted):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = f"## Interview recap\n\n- Role: Senior SRE\n- Interviewer: Technical lead\n{duration}"
    chunk = ChunkRecord("c1", "/r.md", 0, 0, len(text), None, "Interview recap", "Recap", [], "note", text)
    scorer = DistinctKeywordScorer({"Role": 0.9, "Interviewer": 0.85, "45 minutes": 0.2})
    ev = Evidence("How long was the SRE interview?", [Context(1, chunk, 1.0)], {"/r.md": text}.get,
                  lambda q: [1.0] + [0.0] * 4)
    texts = [c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations]
    assert any("45 minutes" in t for t in texts) is quoted


def test_a_figure_the_picks_bring_is_not_replaced_by_one_from_their_list(fake_settings):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## Recap\n\nI recently interviewed for an SRE position. I spent a full week studying for it.\n\n"
            "- Role: Senior SRE\n- Duration: ~45 minutes\n")
    chunk = ChunkRecord("c1", "/r.md", 0, 0, len(text), None, "Recap", "Recap", [], "note", text)
    # the opening sentence brings the week (its paragraph's detail); the list's figure reads far off
    scorer = DistinctKeywordScorer({"recently interviewed": 0.9, "Role": 0.88, "full week": 0.6, "45 minutes": 0.2})
    ev = Evidence("How long did I spend studying?", [Context(1, chunk, 1.0)], {"/r.md": text}.get,
                  lambda q: [1.0] + [0.0] * 5)
    quoted = " ".join(c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations)
    assert "a full week" in quoted and "45 minutes" not in quoted


@pytest.mark.parametrize("answer_weight, quoted", [
    (0.45, True),   # within the window of the best figure sentence, though below the best sentence's
    (0.3, False),   # below both
])
def test_a_figure_question_quotes_the_other_figures_near_its_best_figure(fake_settings, answer_weight, quoted):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## Staff at Yassir\n\nExpectations for staff engineers varied from team to team.\n\n"
            "After two years as a staff engineer, I saw that nobody had defined the role.\n\n"
            "Over time, I ran more than 70 interviews and helped hire around 10 engineers.\n")
    chunk = ChunkRecord("c1", "/y.md", 0, 0, len(text), None, "Staff at Yassir", "Staff", [], "note", text)
    scorer = DistinctKeywordScorer({"Expectations": 0.9, "two years": 0.66, "70 interviews": answer_weight})
    ev = Evidence("How much hiring did the staff engineer do?", [Context(1, chunk, 1.0)], {"/y.md": text}.get,
                  lambda q: [1.0] + [0.0] * 4)
    said = " ".join(c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations)
    assert "two years" in said and ("70 interviews" in said) is quoted


@pytest.mark.parametrize("question, text, gives", [
    ("how many interview rounds did the LinkedIn loop have?", "Here's how it went — 7 rounds in total.", True),
    ("how many interview rounds did the LinkedIn loop have?", "They added four technical rounds.", True),
    ("how many interview rounds did the LinkedIn loop have?", "After 5 years of experience I applied.", False),
    ("how many interview rounds did the LinkedIn loop have?", "HR asked for one more coding + HLD onsite round.", False),
    ("how many reports did the new EM end up with", "I now had seven direct reports.", True),
    ("how many companies did she apply to?", "She applied to 83 companies in Europe.", True),
    ("how many companies did she apply to?", "Every company asks for a CV.", False),
])
def test_a_question_that_counts_things_is_answered_by_a_number_of_them(question, text, gives):
    from rag.pipeline.figures import counted

    assert (counted(question).search(text) is not None) is gives


@pytest.mark.parametrize("question", ["how many hours a week should I study?", "how long is the loop?", "what do they ask?"])
def test_questions_that_count_no_things_have_no_count_to_look_for(question):
    from rag.pipeline.figures import counted

    assert counted(question) is None
