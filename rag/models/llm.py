"""LLM backends (llama-index integrations) for users who have a model server or a GGUF."""

from __future__ import annotations

import json
import logging

from rag.settings import AnswerSettings

log = logging.getLogger(__name__)


class LLMUnavailable(RuntimeError):
    """The configured LLM could not be reached or failed; the message is user-facing."""


class LLMStoppedMidAnswer(LLMUnavailable):
    """The LLM started streaming and then failed (its server died or broke the stream)."""


def _client_errors() -> tuple[type[BaseException], ...]:
    """The errors an LLM client raises when its server is unreachable, slow or broken."""
    import httpx
    import openai

    found: list[type[BaseException]] = [httpx.HTTPError, openai.APIError, ConnectionError, TimeoutError,
                                        json.JSONDecodeError]
    try:
        import ollama

        found.append(ollama.ResponseError)
    except ImportError:
        pass
    return tuple(found)


def failure_types() -> tuple[type[BaseException], ...]:
    """What an answer catches to fall back to the extractive answer; anything else is a bug."""
    return (LLMUnavailable, *_client_errors())


def is_timeout(exc: BaseException) -> bool:
    import httpx
    import openai

    return isinstance(exc, (httpx.TimeoutException, openai.APITimeoutError, TimeoutError))




def build_llm(cfg: AnswerSettings):
    backend = cfg.backend
    if backend == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(
            model=cfg.model or "llama3.2",
            base_url=cfg.base_url or "http://127.0.0.1:11434",
            request_timeout=cfg.timeout_s,
            temperature=0.0,
        )
    if backend == "openai":
        from llama_index.llms.openai_like import OpenAILike

        if not cfg.base_url:
            raise LLMUnavailable("the openai backend needs a base URL (answer.base_url / --llm-url), e.g. http://127.0.0.1:8080/v1")
        return OpenAILike(
            model=cfg.model or "local-model",
            api_base=cfg.base_url,
            api_key=cfg.api_key or "not-needed",
            is_chat_model=True,
            context_window=8192,
            timeout=cfg.timeout_s,
            max_retries=0,
            temperature=0.0,
            max_tokens=400,
        )
    if backend == "llamacpp":
        if not cfg.gguf_path or not cfg.gguf_path.exists():
            raise LLMUnavailable(f"the llamacpp backend needs an existing GGUF file (answer.gguf_path), got {cfg.gguf_path}")
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError:
            raise LLMUnavailable(
                "the llamacpp backend needs llama-cpp-python and llama-index-llms-llama-cpp "
                "(pip install 'career-rag[llamacpp]')"
            ) from None
        return LlamaCPP(model_path=str(cfg.gguf_path), temperature=0.0, max_new_tokens=400, context_window=4096, verbose=False)
    raise ValueError(f"{backend!r} is not an LLM backend")


def describe_failure(cfg: AnswerSettings, exc: Exception) -> str:
    where = cfg.base_url or cfg.gguf_path or "the default address"
    kind = type(exc).__name__
    if isinstance(exc, LLMStoppedMidAnswer):
        return f"The {cfg.backend} LLM at {where} stopped mid-answer ({str(exc)[:160]})."
    if is_timeout(exc):
        return f"The {cfg.backend} LLM at {where} did not answer within {cfg.timeout_s:.0f}s."
    import httpx
    import openai

    if isinstance(exc, (httpx.ConnectError, openai.APIConnectionError, ConnectionError)):
        return f"The {cfg.backend} LLM at {where} is unreachable ({kind})."
    return f"The {cfg.backend} LLM at {where} failed ({kind}: {str(exc)[:160]})."
