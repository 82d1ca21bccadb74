"""What a quoted sentence brings from its document: the list it leads into, read past a label
line, and its best items (fake scorers, no model)."""

from __future__ import annotations

import pytest

from tests.fakes import DistinctKeywordScorer


@pytest.mark.parametrize("between, brought", [("\n\n", True), ("\n", True), ("\n\nAside paragraph here.\n\n", False)])
def test_a_quoted_sentence_that_leads_into_a_list_brings_its_items(fake_settings, between, brought):
    """"... there's a key difference in scope." over a list: the items are the detail, though each
    names one side only and scores far below the sentence (here, where the chunk ends after the
    first item, as a chunk boundary may)."""
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## AI vs ML engineer\n\nThe titles are used interchangeably. But where companies tell them apart, "
            f"there is a key difference in scope.{between}- An ML engineer owns one model's lifecycle, data to deployment.\n"
            "- An AI engineer works at the level of the whole product system.\n")
    end = text.index("- An AI")
    chunk = ChunkRecord("c1", "/r.md", 0, 0, end, None, "AI vs ML engineer", "Roles", [], "note", text[:end])
    scorer = DistinctKeywordScorer({"key difference": 0.9, "ML engineer owns": 0.45, "Aside": 0.44})
    ev = Evidence("How do AI and ML engineer roles differ?", [Context(1, chunk, 1.0)], {"/r.md": text}.get,
                  lambda q: [1.0] + [0.0] * (len(scorer.weights) + 1))
    quoted = [c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations]
    assert quoted[0].endswith("there is a key difference in scope.")
    assert ("- An ML engineer owns one model's lifecycle, data to deployment." in quoted) is brought


@pytest.mark.parametrize("between, sims, brought", [
    ("\n\nExample questions:\n", (0.45, 0.4, 0.35), ["owns", "works at"]),  # under a label line
    ("\n\n**Examples:**\n\n", (0.45, 0.4, 0.35), ["owns", "works at"]),
    ("\nExamples:\n", (0.22, 0.4, 0.35), ["works at", "runs the"]),  # the best two, in document order
    ("\nExamples:\n", (0.25, 0.15, 0.1), ["owns"]),  # below the support floor, within LED_IN_SLACK of it
    ("\n\nThe titles overlap a lot at small companies.\n\n", (0.45, 0.4, 0.35), []),  # a paragraph is no label
    # the lead that ends the sentence's paragraph leads the sentence into the list too; two sentences do not
    (" Here are the sides you might see:\n\n", (0.45, 0.4, 0.35), ["owns", "works at"]),
    (" The titles overlap a lot. Examples:\n\n", (0.45, 0.4, 0.35), []),
])
def test_the_list_a_quoted_sentence_leads_into_gives_its_best_items(fake_settings, between, sims, brought):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## AI vs ML engineer\n\nThe titles are used interchangeably. But where companies tell them apart, "
            f"there is a key difference in scope.{between}- One owns a single model's lifecycle.\n"
            "- One works at the level of the whole product system.\n- One runs the pipelines both read from.\n")
    chunk = ChunkRecord("c1", "/r.md", 0, 0, len(text), None, "AI vs ML engineer", "Roles", [], "note", text)
    weights = {"key difference": 0.9, "overlap a lot": 0.1}
    weights.update(zip(("owns", "works at", "runs the"), sims))
    scorer = DistinctKeywordScorer(weights)
    ev = Evidence("How do AI and ML engineer roles differ?", [Context(1, chunk, 1.0)], {"/r.md": text}.get,
                  lambda q: [1.0] + [0.0] * (len(scorer.weights) + 1))
    composed = ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer)
    quoted = [c.text for c in composed.citations]
    assert quoted[0].endswith("there is a key difference in scope.")
    assert [k for q in quoted[1:] for k in weights if k in q] == brought
    assert all(text[c.start : c.end] == c.text for c in composed.citations)


@pytest.mark.parametrize("first_item", [
    "1. **System design**:\n\tOne owns a single model's lifecycle.",  # its text on the next line
    "1. **System design**: One owns a single model's lifecycle.",
])
def test_a_lists_first_item_ending_in_a_colon_is_an_item_not_the_lists_label(fake_settings, first_item):
    """"This stage is divided into 3 parts." over "1. **System Design**:" and its text: the numbered
    line is the list's first item, and the list is the sentence's detail."""
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## Hiring\n\nThe last round is a meeting with the team you would join. It is divided into "
            f"three parts.\n{first_item}\n2. **Pair programming**: One works at the level of the whole product.\n")
    chunk = ChunkRecord("c1", "/r.md", 0, 0, len(text), None, "Hiring", "Hiring", [], "note", text)
    scorer = DistinctKeywordScorer({"meeting with the team": 0.9, "owns": 0.28, "works at": 0.26})
    ev = Evidence("What happens in the final team interview?", [Context(1, chunk, 1.0)], {"/r.md": text}.get,
                  lambda q: [1.0] + [0.0] * (len(scorer.weights) + 1))
    composed = ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer)
    quoted = [c.text for c in composed.citations]
    assert quoted[0].startswith("The last round is a meeting")
    assert [k for q in quoted[1:] for k in ("owns", "works at") if k in q] == ["owns", "works at"]
    assert all(text[c.start : c.end] == c.text for c in composed.citations)
