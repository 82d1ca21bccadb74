"""Names in a question (rag.pipeline.names): which words name something, whether the quotes or
their documents say them, and a lower-case question read with the names its documents write.
Fake embedder where a question is asked; the rest is pure."""

from __future__ import annotations

import pytest

from rag.pipeline.names import handles, handles_of, question_names, unmentioned_names, with_names_cased
from rag.pipeline.refusal import missing_specifics
from rag.text.lexical import proper_names
from tests.test_refusal import _ask_over

NAMED = ["Offers at Netflix pay well, and Netflix keeps no levels.",
         "# Design Reviews\n\nDesign the API first. Most candidates at Stripe practise on LeetCode or HackerRank, as at Stripe.",
         "Read the [guide](https://netflix.example.com/jobs) and `import stripe` first. Prep on LeetCode and HackerRank.",
         "The House Robber problem and the House Robber variant are classics.",
         "You can code in Python or python3; python is the usual choice. However, check first.",
         "Ask early. However late it is, ask."]


def test_names_are_the_words_running_text_writes_capitalised():
    # not "Design" or "However" (heading, sentence start), "House"/"Robber" (a title), "Python" (also "python"),
    # nor what only URLs and code spans write ("netflix.example.com", "stripe")
    assert proper_names(NAMED) == {"Netflix", "Stripe", "LeetCode", "HackerRank"}


@pytest.mark.parametrize("question, cased, names", [
    ("what does netflix's loop look like?", "what does Netflix's loop look like?", ["Netflix"]),
    ("is leetcode or hackerrank better for stripe?", "is LeetCode or HackerRank better for Stripe?",
     ["LeetCode", "HackerRank", "Stripe"]),
    ("What does netflix's loop look like?", "What does netflix's loop look like?", []),  # the asker's own casing
    ("how should i stripe the data?", "how should i stripe the data?", []),  # a verb, whatever the documents name
])
def test_a_question_typed_in_lower_case_is_read_with_its_names(question, cased, names):
    assert with_names_cased(question, proper_names(NAMED)) == cased
    assert question_names(cased) == names  # what the name rules then check


@pytest.mark.parametrize("question, names", [
    ("What does Netflix's interview loop look like, round by round?", ["Netflix"]),
    ("Is LeetCode Premium worth it?", ["LeetCode Premium"]),
    ("GitHub or a portfolio site: which matters?", ["GitHub"]),  # CamelCase names count even first
    ("The bot answers wrongly. Where should I look first?", []),  # so does every sentence's first word
    ("I failed at Stripe. Is a GitHub portfolio enough?", ["Stripe", "GitHub"]),
    ("Should I learn SQL? Which AI engineer skills matter?", []),  # clause openers, acronyms, roles
    ("Why couldn't the gTech process finish?", []),  # no name inside a word
])
def test_question_names(question, names):
    assert question_names(question) == names


@pytest.mark.parametrize("question, quoted, missing, none_named", [
    ("What signing bonus does Amazon give?", ["Signing bonuses are negotiable."], ["Amazon"], True),
    ("What signing bonus does Amazon give?", ["Amazon interview guide\nPay\nSigning bonuses vary."], [], False),
    ("Is LeetCode Premium worth it?", ["Practise on LeetCode daily."], ["LeetCode Premium"], True),
    ("Is LeetCode Premium worth it?", ["A LeetCode list of the questions (except the Premium ones)."], ["LeetCode Premium"], True),
    ("Is LeetCode Premium worth it?", ["LeetCode's Premium plan unlocks company tags."], [], False),
    ("What does Netflix's loop look like?", ["Netflixs onsite has five rounds."], [], False),
    ("How do Google and Meta loops differ?", ["Google asks graph problems."], ["Meta"], False),
    ("How do I negotiate?", ["Always negotiate."], [], False),
    ("Will Acme pull my PhD offer if it expires Friday?", ["Offers are rarely pulled."], ["Acme"], True),
    # a name's first words in the title or heading path, the rest in the quote (not the other way round)
    ("When was the Goldman Sachs Superday?", [("Internship Interview At Goldman Sachs", "The Superday was on Tuesday.")],
     [], False),
    ("Is LeetCode Premium worth it?", [("Practice questions", "A LeetCode list (except the Premium ones).")],
     ["LeetCode Premium"], True),
    ("Is LeetCode Premium worth it?", [("Premium plans", "Solve it on LeetCode.")], ["LeetCode Premium"], True),
])
def test_answers_must_name_what_the_question_names(question, quoted, missing, none_named):
    assert unmentioned_names(question, quoted) == (missing, none_named)


@pytest.mark.parametrize("times, refused", [(5, False), (2, True)])
def test_a_document_that_names_a_company_throughout_is_about_it(times, refused, fake_settings, fake_embedder, tmp_path):
    """A company's handbook says "we": its page on the second interview never names the company,
    though the rest of the handbook does. A document that names it only in passing is not about it."""
    named = "".join(f"Acme team {i} works in public.\n\n" for i in range(times))
    handbook = (f"# Hiring process\n\n## Our team\n\n{named}## Second interview\n\n"
                "The second interview is usually 45-60 minutes with the hiring manager.\n")
    answer = _ask_over({"hiring.md": handbook}, "At Acme, how long is the second interview with the hiring manager?",
                       fake_settings, fake_embedder, tmp_path)
    assert answer.refused is refused
    if refused:
        assert answer.notice == "The passages found do not mention Acme."
    else:
        assert "45-60 minutes" in answer.answer and answer.notice is None


@pytest.mark.parametrize("question, name, forms", [
    ("What was Kent C. Dodds' first pull request?", "Kent", {"kentcdodds", "kentdodds"}),
    ("Do Lil Chen and Helen Tran agree?", "Lil Chen", {"lilchen"}),
    ("Do Lil Chen and Helen Tran agree?", "Tran", {"helentran"}),
    ("What does Joe say?", "Joe", set()),  # one word is no handle
    ("Is Bo Li right?", "Bo Li", set()),  # nor is a joined form shorter than HANDLE_CHARS ("boli")
])
def test_a_name_may_be_written_as_one_word(question, name, forms):
    """A personal blog names its author in "kentcdodds.com" or "@_lilchen" (a blind set, round 36)."""
    assert handles_of(name, handles(question)) == forms


@pytest.mark.parametrize("vocab, missing", [({"kentcdodds", "com", "first", "pull"}, []),
                                            ({"kent", "first", "pull"}, []), ({"first", "pull"}, ["Kent"])])
def test_a_name_the_corpus_writes_only_as_a_handle_is_not_missing(vocab, missing):
    assert missing_specifics("What was Kent C. Dodds' first pull request?", frozenset(vocab)) == missing


POST = ("# Starting out\n\n{intro}\n\n## The fix\n\nMy first pull request fixed a typo in a code comment and was merged "
        "within hours.\n{outro}")
DODDS = "What was Kent C. Dodds' first pull request?"
NOT_SAID = "The passages found do not mention Kent."


@pytest.mark.parametrize("intro, outro, question, notice", [
    # the author named by a byline or by his site in the opening; a name said only once later is not
    ("By Kent Dodds", "", DODDS, None),
    ("Part two; part one is [on my site](https://kentcdodds.com/blog/one) with the story so far.", "", DODDS, None),
    ("A short story about starting out in open source, long before I wrote any course.",
     "\n## Thanks\n\nKent Dodds read a draft.\n", DODDS, NOT_SAID),
    ("A short story about starting out in open source, long before I wrote any course.",
     "".join(f"\n[talk {i}](https://kentcdodds.com/talks/{i})\n" for i in range(5)), DODDS, None),  # throughout
    ("I collated this from posts by Google, Amazon, Apple and Netflix engineers over the years.", "",
     "What was Netflix's first pull request?", "The passages found do not mention Netflix."),  # listed, not introduced
])
def test_a_document_introduced_as_someones_is_about_them(intro, outro, question, notice, fake_settings, fake_embedder,
                                                        tmp_path):
    """A byline or the opening paragraph says whose story it is ("By Utsab Saha" heads a post whose
    sentences say "I"), as does a handle said throughout; a name said once further on does not, and
    names listed together introduce what a page collates."""
    answer = _ask_over({"post.md": POST.format(intro=intro, outro=outro)}, question, fake_settings, fake_embedder,
                       tmp_path)
    assert answer.notice == notice
    assert answer.refused is (notice is not None)
    if notice is None:
        assert "fixed a typo in a code comment" in answer.answer
