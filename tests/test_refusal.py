"""Refusal checks (rag.pipeline.refusal, rag.pipeline.figures): names and codes the corpus never mentions, figures, dates and
choices a question asks for, roles and names the quotes leave out (no real model; names: tests/test_names.py)."""

from __future__ import annotations

import pytest

from rag.pipeline.figures import missing_figure
from rag.pipeline.refusal import missing_specifics, uncovered_roles


@pytest.mark.parametrize("question, quoted, missing", [
    ("How much equity is typical in an ML offer?", ["Learn equity basics before negotiating."], True),
    ("How many rounds does the loop have?", ["The loop is multi-stage."], True),
    ("What percentage of postings want LLM skills?", ["Demand could grow by over 30% by 2030."], False),
    ("How much do data scientists earn?", ["Median pay is $150,000."], False),
    ("How long should I study?", ["Plan three months of practice."], False),
    ("What does a data engineer interview test?", ["SQL and modeling."], False),
    # a number of weeks needs weeks, not a salary or "the one-year mark"
    ("How many weeks of parental leave does Meta offer?", ["Meta | $6000 | $140,000", "Leave before the one-year mark."], True),
    ("How many weeks of parental leave does Meta offer?", ["Meta offers 16 weeks of paid leave."], False),
    ("How many hours of content is the course?", ["Master the Coding Interview | 4.6/5 | 19.5h"], False),
    ("How many years in are staff engineers?", ["Staff engineers usually have 8+ years of experience."], False),
    ("What score do I need to pass the AWS exam?", ["Certifications such as the AWS exam help resume screens."], True),
    ("What minimum GPA do labs require?", ["List your GPA if it is above 3.5."], False),
    # "one" as a pronoun gives no figure; as a number it does
    ("How much does a mock interview cost?", ["Schedule one with a FAANG engineer.", "It is one of the best."], True),
    ("How much does a mock interview cost?", ["No one regrets the first session.", "One can book it online."], True),
    ("How many coding rounds are there?", ["There are usually one or two rounds."], False),
    ("How many coding rounds are there?", ["Expect one round of coding."], False),
    # an ordinal, a level or a quarter is no amount
    ("What percentage of users go into the treatment group?", ["MRR: focus on the rank of the 1st relevant item"], True),
    ("How much do staff engineers earn?", ["L6 engineers lead projects; reviews land in Q3."], True),
    ("How much do staff engineers earn?", ["L6 engineers earn about 489k in total."], False),
    ("How many problems should I solve?", ["Solve 1-3 problems a day."], False),
    ("How much faster is bfloat16 on TPUs?", ["TPUs train with Bfloat16 (16-bit Brain Floating Point)."], True),
    ("How much faster is bfloat16 on TPUs?", ["Bfloat16 (16-bit) trains about 3 times faster."], False),
    # a span of time said with an article is an amount
    ("How much of my time will a take-home eat up?", ["It will take up to a full day to complete."], False),
    ("How long can I take before I say yes?", ["They should give you at least a week to decide."], False),
    ("How long can I take before I say yes?", ["Have a good day and decide later."], True),
    # a percentage needs a share, not a sum of money or a span of time
    ("What percentage of equity should a junior ask for?", ["The manager can bump it up by about $5k."], True),
    ("What percentage of equity should a junior ask for?", ["Startups often offer juniors 0.1% to 0.5%."], False),
    ("What percent of candidates pass the screen?", ["About one in five candidates passes the screen."], False),
    ("What percent of candidates pass the screen?", ["Roughly half of them pass."], False),
    ("What percent of candidates pass the screen?", ["Most of the 3 rounds use a third-party tool."], True),
    # how long asks for a span of time, not for copies or messages; how long something should be asks a length
    ("How long does Kafka keep messages on disk?", ["Kafka keeps 3 copies of each of the 2 messages."], True),
    ("How long does Kafka keep messages on disk?", ["Messages are kept for 7 days by default."], False),
    ("How long is the phone screen?", ["The phone screen lasts 45 min."], False),
    ("How long is the phone screen?", ["The phone screen is an hour."], False),
    ("How long should my CV be?", ["Keep it to one page."], False),
    # pay asks for money, not a bond in years or a share of time
    ("What base salary did Pivotal offer after the onsite?", ["Pivotal made an offer after 2 rounds."], True),
    ("What base salary did Pivotal offer after the onsite?", ["Pivotal offered $120,000 base."], False),
    ("What CTC package does Capgemini offer freshers?", ["Are you comfortable with a 2-year bond?"], True),
    ("What CTC package does Capgemini offer freshers?", ["Freshers get 4.25 LPA."], False),
    ("What salary range goes with the staff level?", ["Management: ~10-15%"], True),
    ("How much does a data engineer make?", ["Data engineers make about 150k."], False),
    ("What salary negotiation tips work?", ["Never give the first number."], False),
    # what moves pay is no sum of money
    *[(q, ["Each level adds about 20%."], False) for q in ("What affects pay?", "What factors decide salary at Google?",
                                                             "How much does experience matter for pay?")],
    ("Which path fits me, and what's its typical US pay?", ["Choose AI engineering to ship products."], False),
])
def test_questions_asking_for_a_figure_need_one(question, quoted, missing):
    assert missing_figure(question, quoted) is missing


@pytest.mark.parametrize("question, only", [
    ("How long does Google's hiring committee take?", True),
    ("roughly how much of my own time will a take-home eat up?", True),
    ("Roughly how many years in are staff engineers, and what did that level earn at Google?", False),
    ("How much does a referral matter? Can I get one without knowing anyone?", False),
    ("What does a data engineer interview test?", False),
])
def test_a_question_asking_only_for_a_figure(question, only):
    from rag.pipeline.figures import asks_only_for_a_figure

    assert asks_only_for_a_figure(question) is only


@pytest.mark.parametrize("question, text, gives", [
    ("How many rounds are there?", "Kafka keeps 3 copies.", True),
    ("How long does Kafka keep messages?", "Kafka keeps 3 copies.", False),
    ("How long does Kafka keep messages?", "Messages stay for 7 days.", True),
    ("How long did the quiz last?", "They cancel interviews at the last minute.", False),
    ("What base salary did they offer?", "They offered a 2-year bond.", False),
    ("What base salary did they offer?", "They offered 120k.", True),
    ("What is the bonus for one half of the year?", "Bonus: 100,000 x 50% x 10% = 5000", True),
    ("What is the bonus for one half of the year?", "It pays out twice a year, in March and in 2025.", False),
])
def test_the_figure_a_quote_must_give_is_of_the_kind_asked_for(question, text, gives):
    from rag.pipeline.figures import asks_only_for_a_figure, gives_a_figure

    assert asks_only_for_a_figure(question) and gives_a_figure(text, question) is gives


@pytest.mark.parametrize("question, vocab, missing", [
    ("What is the salary in Tokyo?", {"salary"}, ["Tokyo"]),
    ("Does H-1B sponsorship matter?", {"sponsorship", "h", "1b"}, []),
    ("What does an Adam-style optimizer cost?", {"adam", "optimizer"}, []),
    ("How do I negotiate?", {"negotiate"}, []),
    ("How long should my CV be? I have a PhD.", {"resume"}, []),  # acronyms abbreviate what the corpus spells out
    ("On a $100k base, what is my bonus?", {"base", "bonus"}, []),  # the asker's own figures
    ("What do AI engineers earn in the States?", {"us", "earn"}, []),
    ("What pay can a new-grad data engineer expect in the United States?", {"us", "pay"}, []),
    ("What 401(k) match does Google give?", {"google", "match"}, ["401(k)"]),  # a code, not an amount
    ("I have 24h to accept the offer. Is that normal?", {"offer", "accept"}, []),  # a duration of the asker's case
    ("My offer expires Friday and I start in September: can I ask for more time?", {"offer"}, []),  # dates too
    ("Vibe-wise, how does Google differ from Meta?", {"google", "meta"}, []),  # a question's first word
    ("Coca-Cola or Pepsi: where do data scientists earn more?", {"earn"}, ["Coca-Cola", "Pepsi"]),  # a name, first or not
])
def test_specifics_the_corpus_never_mentions(question, vocab, missing):
    assert missing_specifics(question, frozenset(vocab)) == missing



@pytest.mark.parametrize("question, quoted, gaps", [
    ("How do AI and ML engineer roles differ?", ["ML engineers deploy models."], ["AI engineer"]),
    ("How do AI and ML engineer roles differ?", ["Guide > AI engineer\nThey build on LLM APIs.",
                                                 "MLEs train models."], []),
    ("AI engineer vs ML engineer vs data engineer pay?", ["Data engineers earn less."], ["AI engineer", "ML engineer"]),
    ("What does a data engineer interview test?", ["Data engineers get SQL."], []),
    ("What does a data engineer interview test?", ["ML engineers get system design."], ["data engineer"]),
])
def test_roles_the_quotes_leave_uncovered(question, quoted, gaps):
    assert uncovered_roles(question, quoted) == gaps




def test_a_partly_covered_comparison_says_which_part_is_missing(fake_settings, fake_embedder, tmp_path):
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import doc, write

    write(tmp_path / "docs" / "ml.md", doc("AI, ML and data roles",
                                           "## ML engineer\n\nThey train models and ship them to production.\n\n"
                                           "## Data engineer\n\nData engineers build pipelines and warehouses."))
    ingest([tmp_path / "docs"], fake_settings, embedder=fake_embedder)
    engine = Engine(fake_settings, embedder=fake_embedder)
    a = fake_settings.answer.model_copy(update={"min_evidence": -1.0})
    answer = engine.ask("How do AI engineers and ML engineers differ?", answer=a)
    assert not answer.refused and answer.citations
    assert answer.notice == "Partly covered: the passages found do not cover the AI engineer role."
    covered = engine.ask("What do ML engineers do?", answer=a)
    assert not covered.refused and covered.notice is None
    other_role = engine.ask("What do AI engineers do?", answer=a)  # only ML and data engineer passages exist
    assert other_role.refused and other_role.notice == "The passages found are not about the AI engineer role."


FIGURE_MISSING = "The passages found talk about this topic but give no figure for it."


@pytest.mark.parametrize("question, quote, notice", [
    # digits in a link's path are no figure ...
    ("How many STAR stories should I prepare for Amazon?", "- [ML Blog](https://aws.amazon.com/blogs/2019/45530)", FIGURE_MISSING),
    # ... and words in it no name, but the site a link goes to is what it names
    ("Is the Kaggle course enough?", "- [Primer](https://github.com/kaggle-notes/primer)", "The passages found do not mention Kaggle."),
    ("Should I read the GitHub primer?", "- [System Design Primer](https://github.com/donnemartin/system-design-primer)", None),
])
def test_the_refusal_checks_read_a_link_as_its_words_and_site(question, quote, notice):
    from rag.pipeline.refusal import near_miss
    from rag.types import Citation

    assert near_miss(question, [Citation("/r.md", "Reading", 0, len(quote), quote, 1)], []) == notice


@pytest.mark.parametrize("question, refused, partly", [
    # one ask: no pay in the quotes is a near miss
    ("What's its typical US pay?", True, None),
    # two asks: the one answered stands, and the answer says which one is not
    ("Which path fits me, and what's its typical US pay?", False, "Partly covered: the passages found do not say how much it pays."),
    ("Which path fits me, and how long does it take?", False, "Partly covered: the passages found do not say how long."),
    ("Which path fits me?", False, None),
])
def test_pay_or_time_missing_from_a_two_part_question_is_a_partial_answer(question, refused, partly):
    from rag.pipeline.refusal import near_miss, partial_coverage
    from rag.types import Citation

    quote = "Choose AI engineering if you want to ship products in 3 stages."
    cited = [Citation("/r.md", "Paths", 0, len(quote), quote, 1)]
    assert (near_miss(question, cited, []) is not None) is refused
    assert partial_coverage(question, cited, []) == partly


@pytest.mark.parametrize("question, refused, partly", [
    ("How many stages does the design framework have?", True, None),
    ("How many stages does the design framework have, and where does it begin?", False,
     "Partly covered: the passages found do not say how many."),
    ("What percentage of the loop is design, and what does it test?", False,
     "Partly covered: the passages found do not say what percentage."),
    ("How many weeks does the plan take, and what does it cover?", False,
     "Partly covered: the passages found do not say how many weeks."),
])
def test_a_figure_missing_from_a_two_part_question_is_a_partial_answer(question, refused, partly):
    from rag.pipeline.refusal import near_miss, partial_coverage
    from rag.types import Citation

    quote = "Approaching a design problem follows a flow: start with the problem formulation."
    cited = [Citation("/r.md", "Design", 0, len(quote), quote, 1)]
    assert (near_miss(question, cited, []) is not None) is refused
    assert partial_coverage(question, cited, []) == partly


@pytest.mark.parametrize("question, quote, notice", [
    ("For k-fold cross validation, which k is best, 5 or 10?", "- k-fold cross validation (what's a good k value?)",
     "The passages found give neither 5 nor 10."),
    ("Should alpha be 0.05 or 0.01?", "The value is between 0 and 1.", "The passages found give neither 0.05 nor 0.01."),
    ("Should alpha be 0.05 or 0.01?", "Most teams use 0.05 for alpha.", None),
    ("Is 5 or 10 folds better?", "Use 5-fold cross validation.", None),
    ("Is 5 or 10 folds better?", "Use 50 folds or 2.5 repeats.", "The passages found give neither 5 nor 10."),
])
def test_a_question_offering_figures_to_choose_from_needs_one_of_them(question, quote, notice):
    from rag.pipeline.refusal import near_miss
    from rag.types import Citation

    assert near_miss(question, [Citation("/cv.md", "Validation", 0, len(quote), quote, 1)], []) == notice


@pytest.mark.parametrize("question, quoted, missing", [
    # a release date is a time, not any figure
    ("When is the book with the answers coming out?", ["The answers will be published in the book.",
                                                       "You will be asked at least one design question."], True),
    ("When is the book with the answers coming out?", ["The book comes out in March."], False),
    ("When is the book with the answers coming out?", ["It is due next year."], False),
    ("When will the new edition be released?", ["Expect it within 6 months."], False),
    ("What date do applications close?", ["You may apply online."], True),
    # "when" that opens a clause, or asks about anything but a release or deadline, is not checked
    ("When I sketch a model-release pipeline, which boxes should I tick?", ["Draw the registry."], False),
    ("when the book first came out, how many questions had solutions?", ["Few had solutions."], False),
    ("When should I start preparing?", ["As early as you can."], False),
])
def test_a_question_asking_when_something_is_out_or_due_needs_a_date(question, quoted, missing):
    from rag.pipeline.figures import missing_date

    assert missing_date(question, quoted) is missing


def test_a_near_miss_about_another_name_is_refused_with_the_reason(fake_settings, fake_embedder, tmp_path):
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import doc, write

    write(tmp_path / "docs" / "pay.md", doc("Offers", "## Signing bonus\n\nA signing bonus is paid once, when you join."))
    write(tmp_path / "docs" / "amazon.md", doc("Amazon loop", "## Rounds\n\nAmazon asks about leadership in every round."))
    ingest([tmp_path / "docs"], fake_settings, embedder=fake_embedder)
    engine = Engine(fake_settings, embedder=fake_embedder)
    a = fake_settings.answer.model_copy(update={"min_evidence": -1.0, "max_sentences": 1})
    r = fake_settings.retrieval.model_copy(update={"top_k": 1, "rerank": "none", "mode": "bm25"})
    answer = engine.ask("When is the signing bonus paid at Amazon?", retrieval=r, answer=a)
    assert answer.contexts[0].chunk.source.endswith("pay.md")  # keyword search: the bonus passage wins
    assert answer.refused and answer.notice == "The passages found do not mention Amazon."
    named = engine.ask("What does Amazon ask about in every round?", retrieval=r, answer=a)
    assert not named.refused and "leadership" in named.answer


@pytest.mark.parametrize("question, refused", [
    ("How many rounds of general coding interviews are usual for an ML engineer?", False),
    ("How many rounds of general coding interviews are usual for a data scientist?", True),
])
def test_a_documents_opening_says_which_role_its_passages_are_about(question, refused, fake_settings, fake_embedder,
                                                                     tmp_path):
    """A guide names its reader once, in its opening ("As an ML engineer, you are …"); its later
    sentences answer a one-role question about that role without naming it again."""
    guide = ("# General coding interview\n\nAs an ML engineer, you are first expected to know algorithms and data "
             "structures well.\n\nThere are usually one or two rounds of general coding interviews, much like "
             "software engineer loops.\n")
    answer = _ask_over({"coding.md": guide}, question, fake_settings, fake_embedder, tmp_path)
    assert answer.refused is refused
    if refused:
        assert answer.notice == "The passages found are not about the data scientist role."
    else:
        assert "one or two rounds" in answer.answer and "As an ML engineer" not in answer.answer


@pytest.mark.parametrize("question, refused", [
    ("What are Meta's coding rounds like for an ML engineer?", True),
    ("What are Meta's coding rounds like, whether I'm going for SWE or ML engineer?", False),
    ("Which let you run your code: Google's loop, or Facebook's data engineering screen?", False),
])
def test_a_role_offered_as_one_option_is_not_the_one_role_asked_about(question, refused, fake_settings, fake_embedder,
                                                                       tmp_path):
    """The passages must be about the one role a question names, unless it names that role as one
    of the options it asks about: a software engineer's write-up answers "… SWE or ML engineer?"."""
    loops = ("# My SWE loops\n\nEach coding round at Meta, Google and Facebook was two problems in 35 minutes, "
             "and you could not run your code.\n")
    answer = _ask_over({"loops.md": loops}, question, fake_settings, fake_embedder, tmp_path)
    assert answer.refused is refused
    assert (answer.notice or "").startswith("The passages found are not about") is refused



def _ask_over(docs: dict[str, str], question: str, settings, embedder, tmp_path):
    """Ask `question` over `docs` (name -> text), reading the one passage keyword search ranks first,
    with the similarity floor off: only the refusal checks can refuse."""
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import write

    for name, text in docs.items():
        write(tmp_path / "docs" / name, text)
    ingest([tmp_path / "docs"], settings, embedder=embedder)
    a = settings.answer.model_copy(update={"min_evidence": -1.0, "max_sentences": 1})
    r = settings.retrieval.model_copy(update={"top_k": 1, "rerank": "none", "mode": "bm25"})
    return Engine(settings, embedder=embedder).ask(question, retrieval=r, answer=a)


ECHO = "The passages found name this topic but say nothing more about it."


@pytest.mark.parametrize("question, quote, notice", [
    ("In the Eisenhower Matrix, what should I do with urgent tasks that are not important?",
     "- Eisenhower Matrix (urgent/important)", ECHO),
    ("What do the letters of the STAR method stand for?", "- STAR method [TBD]", ECHO),
    ("What do the letters of the STAR method stand for?", "STAR stands for Situation, Task, Action, Result.", None),
    # a short answer in words of its own is an answer, and so is a sentence that adds the one word asked for
    ("Which language should I learn first?", "Python", None),
    ("What does Amazon ask about in every round?", "Amazon asks about leadership in every round.", None),
])
def test_quotes_that_only_repeat_the_question_answer_nothing(question, quote, notice):
    from rag.pipeline.refusal import near_miss
    from rag.types import Citation

    assert near_miss(question, [Citation("/n.md", "Notes", 0, len(quote), quote, 1)], []) == notice
