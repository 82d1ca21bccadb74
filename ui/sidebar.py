"""Sidebar: retrieval and answer settings for this session, and the index in use."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rag.roles import ROLES
from rag.text.frontmatter import KINDS
from ui import state
from ui.components import md_escape

# The settings' choices (RetrievalSettings.mode, AnswerSettings.backend) in display order.
MODES = ("hybrid", "dense", "bm25")
MODE_HELP = {"hybrid": "Hybrid", "dense": "Dense", "bm25": "BM25"}
BACKENDS = ("extractive", "ollama", "openai", "llamacpp")
BACKEND_LABELS = {
    "extractive": "Extractive (no LLM)",
    "ollama": "Ollama",
    "openai": "OpenAI-compatible server",
    "llamacpp": "llama.cpp (local GGUF)",
}
DEFAULT_URLS = {"ollama": "http://127.0.0.1:11434", "openai": "http://127.0.0.1:8080/v1"}


def _init(settings) -> None:
    """Seed widget state from the settings once per session."""
    ss = st.session_state
    if ss.get("_sidebar_seeded"):
        return
    r, a = settings.retrieval, settings.answer
    ss["retriever"] = r.mode
    ss["top_k"] = int(r.top_k)
    ss["roles"] = [x for x in r.roles if x in ROLES]
    ss["kinds"] = [x for x in r.kinds if x in KINDS]
    ss["rerank"] = r.rerank != "none"
    ss["backend"] = a.backend
    ss["llm_url"] = a.base_url or ""
    ss["llm_model"] = a.model or ""
    ss["gguf_path"] = str(a.gguf_path or "")
    ss["_sidebar_seeded"] = True


def render(cfg, eng) -> None:
    if cfg.settings is not None:
        _init(cfg.settings)
    sb = st.sidebar
    sb.subheader("Retrieval", divider="gray")
    sb.radio("Retriever", MODES, key="retriever", horizontal=True, format_func=MODE_HELP.get,
             help="Dense: MiniLM vectors in Chroma. BM25: keywords. Hybrid: both, fused by rank.")
    sb.slider("Passages to answer from (top-k)", 1, 20, key="top_k")
    sb.multiselect("Roles", ROLES, key="roles", placeholder="All roles",
                   help="Only search documents tagged with one of these roles.")
    sb.multiselect("Document kinds", KINDS, key="kinds", placeholder="All kinds")
    sb.checkbox("Rerank passages", key="rerank",
                help="Re-order the candidates with the reranking model (settings: retrieval.rerank), mixed with "
                     "how well their best sentence matches the question.")

    sb.subheader("Answer", divider="gray")
    backend = sb.selectbox("Answer backend", BACKENDS, key="backend", format_func=BACKEND_LABELS.get,
                           help="Extractive quotes the best sentences and needs no model. "
                                "LLM backends write an answer that is then checked against its citations.")
    if backend in ("ollama", "openai"):
        sb.text_input("Server URL", key="llm_url", placeholder=DEFAULT_URLS[backend])
        sb.text_input("Model", key="llm_model", placeholder="llama3.2" if backend == "ollama" else "local-model")
    elif backend == "llamacpp":
        sb.text_input("GGUF file", key="gguf_path", placeholder="/path/to/model.gguf")
    if backend != "extractive":
        sb.caption("If the LLM is unreachable, the extractive answer is shown with a notice.")

    sb.subheader("Index", divider="gray")
    sb.caption(f"`{cfg.index_dir}`" if "`" not in str(cfg.index_dir) else md_escape(str(cfg.index_dir)))
    info = state.stats(cfg, eng)
    if info:
        sb.markdown(
            f"**{info['docs']}** documents · **{info['chunks']}** chunks · {state.human_size(info['size'])}"
        )
        if cfg.settings is not None:
            sb.caption(md_escape(f"Embedding model: {cfg.settings.embedding.model}"))
    elif state.index_exists(cfg):
        sb.caption("The index could not be opened.")
    else:
        sb.caption("No index at this path yet.")


def _rerank(configured: str, on: bool) -> str:
    """The checkbox keeps a configured reranker; it only switches reranking on/off."""
    if not on:
        return "none"
    return configured if configured != "none" else "default"


def request_settings(settings):
    """RetrievalSettings and AnswerSettings for one question, from the sidebar."""
    ss = st.session_state
    r = settings.retrieval.model_copy(update={
        "mode": ss.get("retriever") or settings.retrieval.mode,
        "top_k": int(ss.get("top_k") or settings.retrieval.top_k),
        "roles": [x for x in ss.get("roles", []) if x in ROLES],
        "kinds": [x for x in ss.get("kinds", []) if x in KINDS],
        "rerank": _rerank(settings.retrieval.rerank, ss.get("rerank", settings.retrieval.rerank != "none")),
    })
    backend = ss.get("backend") or settings.answer.backend
    update: dict = {"backend": backend}
    if backend in ("ollama", "openai"):
        update["base_url"] = (ss.get("llm_url") or "").strip() or settings.answer.base_url or DEFAULT_URLS[backend]
        update["model"] = (ss.get("llm_model") or "").strip() or settings.answer.model
    elif backend == "llamacpp":
        path = (ss.get("gguf_path") or "").strip()
        update["gguf_path"] = Path(path).expanduser() if path else settings.answer.gguf_path
    return r, settings.answer.model_copy(update=update)
