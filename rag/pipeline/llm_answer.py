"""The LLM answer stage: numbered, quoted passages in; a streamed answer out, then checked.

Whatever the LLM writes is verified sentence by sentence against the passages it cites
(rag.pipeline.verify); an answer that echoes the system prompt is refused as a failure.
"""

from __future__ import annotations

import re

from rag.errors import first_line
from rag.models.llm import LLMStoppedMidAnswer, LLMUnavailable, is_timeout
from rag.pipeline.candidates import SentenceScorer
from rag.pipeline.verify import verify
from rag.prompts import REFUSAL, SYSTEM, build_messages
from rag.types import Citation, Context

_WORDS = re.compile(r"[a-z0-9]+")
_SHINGLE = 7


def _shingles(text: str, n: int = _SHINGLE) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


_SYSTEM_SHINGLES = _shingles(SYSTEM.replace(REFUSAL, " | "))  # the refusal is an answer, not a leak


def echoes_system_prompt(text: str) -> bool:
    """Whether an LLM answer hands back a run of its system prompt (7+ words in a row)."""
    return bool(_shingles(text) & _SYSTEM_SHINGLES)


class LLMAnswerer:
    def __init__(self, scorer: SentenceScorer):
        self.scorer = scorer

    def answer(self, llm, question: str, contexts: list[Context], doc_texts: dict[str, str],
               on_token=None) -> tuple[str, list[Citation]]:
        """The verified answer and its citations; LLMUnavailable (or the client's own
        connection/timeout error) when the LLM cannot give one."""
        from llama_index.core.llms import ChatMessage

        messages = [ChatMessage(role=m["role"], content=m["content"]) for m in build_messages(question, contexts)]
        parts: list[str] = []
        try:
            for chunk in llm.stream_chat(messages):
                delta = chunk.delta or ""
                parts.append(delta)
                if on_token and delta:
                    on_token(delta)
        except Exception as exc:  # noqa: BLE001 - whatever the client raised, a broken stream is reported as one
            if any(parts) and not is_timeout(exc):
                raise LLMStoppedMidAnswer(f"{type(exc).__name__}: {first_line(exc)}") from exc
            raise
        text = "".join(parts).strip()
        if not text:
            raise LLMUnavailable("the LLM returned an empty answer")
        if echoes_system_prompt(text):
            raise LLMUnavailable("the LLM repeated its instructions instead of answering")
        return verify(text, contexts, doc_texts, self.scorer)
