"""The Chat page: questions in, cited answers out, one history per browser session."""

from __future__ import annotations

import logging
import queue
import threading

import streamlit as st

from rag.text.shown import heading
from ui import components as C
from ui import sidebar, state

STARTERS = (
    "What does a data engineer interview test?",
    "How do AI and ML engineer roles differ?",
    "How should I prepare for an ML engineer interview?",
    "What SQL questions come up in data analyst interviews?",
)
HISTORY_KEY = "messages"
log = logging.getLogger(__name__)


def messages() -> list[dict]:
    return st.session_state.setdefault(HISTORY_KEY, [])


def history() -> list[str]:
    """Previous questions, as the engine resolved them (for follow-ups)."""
    out = []
    for m in messages():
        ans = m.get("answer")
        if m["role"] == "assistant" and ans is not None:
            out.append(ans.resolved_question or ans.question)
    return out


def build_message(ans, request: dict, engine) -> dict:
    # The document texts the engine read for this answer are not read again.
    views = C.SourceViews(engine.index, ans.doc_texts)
    top = ans.contexts[: request["top_k"]]
    return {
        "role": "assistant",
        "answer": ans,
        "request": request,
        "sources": C.nearest_sources(ans) if ans.refused else C.cited_sources(ans, views),
        "retrieved": [
            {"rank": c.rank, "title": heading(c.chunk.title), "section": heading(c.chunk.header_path), "kind": c.chunk.kind,
             "roles": ", ".join(c.chunk.roles), "score": round(float(c.score), 4), "cited": c.used,
             "file": state.display_path(c.chunk.source)}
            for c in top
        ],
    }


def render_assistant(msg: dict) -> None:
    if msg.get("error"):
        st.error(C.md_escape(msg["error"]), icon=":material/error:")
        return
    ans, req = msg["answer"], msg["request"]
    if ans.notice:
        # (refusal reasons and partial-coverage notes quote the user's question: escaped like documents)
        st.warning(C.md_escape(ans.notice), icon=":material/info:")
    if ans.resolved_question:
        st.caption("Read as: " + C.md_escape(ans.resolved_question))
    if ans.refused:
        st.info(
            "**Not answered.** The sources in this index do not cover that question, so "
            "career-rag will not guess. The nearest passages it found are below.",
            icon=":material/block:",
        )
        if msg["sources"]:
            st.markdown("**Nearest sources**")
    else:
        st.markdown(C.answer_markdown(ans.answer))
        if ans.unsupported:
            items = "\n".join(f"- {C.md_escape(s)}" for s in ans.unsupported)
            st.warning("**Not supported by the cited sources** — check these sentences:\n\n" + items,
                       icon=":material/report:")
        if msg["sources"]:
            st.markdown("**Sources**")
    for view in msg["sources"]:
        C.render_source(view)
    if msg["retrieved"]:
        with st.expander(f"Retrieved passages ({len(msg['retrieved'])})", icon=":material/manage_search:"):
            st.dataframe(msg["retrieved"], hide_index=True, width="stretch")
    roles = ", ".join(req["roles"]) or "all roles"
    kinds = ", ".join(req["kinds"]) or "all kinds"
    ms = sum(ans.timings_ms.values())
    rerank = "" if req.get("rerank", "none") == "none" else " · reranked"
    st.caption(C.md_escape(f"{req['mode']} · top-{req['top_k']} · {roles} · {kinds}{rerank} · {ans.backend} · {ms:.0f} ms"))


def render_message(msg: dict) -> None:
    avatar = ":material/person:" if msg["role"] == "user" else ":material/school:"
    with st.chat_message(msg["role"], avatar=avatar):
        if msg["role"] == "user":
            st.markdown(C.md_escape(msg["content"]))
        else:
            render_assistant(msg)


def _ask_streaming(engine, question: str, **kwargs):
    """Run engine.ask in a worker thread and stream its tokens with st.write_stream."""
    tokens: queue.Queue = queue.Queue()
    result: dict = {}

    def work():
        try:
            result["answer"] = engine.ask(question, on_token=tokens.put, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed back to the script thread, which re-raises it
            result["error"] = exc
        finally:
            tokens.put(None)

    def stream():
        while (tok := tokens.get()) is not None:
            yield C.stream_escape(tok)

    worker = threading.Thread(target=work, name="career-rag-answer", daemon=True)
    worker.start()
    box = st.empty()
    with box.container(), st.spinner("Generating a cited answer…"):
        st.write_stream(stream())
    worker.join()
    box.empty()  # replaced by the verified answer
    if "error" in result:
        raise result["error"]
    return result["answer"]


def _ask(engine, question: str, backend: str, kwargs: dict):
    if backend == "extractive":
        with st.spinner("Searching the sources…"):
            return engine.ask(question, **kwargs)
    return _ask_streaming(engine, question, **kwargs)


def _failed(reason: str, request: dict) -> dict:
    return {"role": "assistant", "error": f"Could not answer: {reason.splitlines()[0]}", "request": request}


def answer(question: str, engine, cfg) -> dict:
    """Ask with this session's sidebar settings (no engine is rebuilt for them)."""
    retrieval, answer_cfg = sidebar.request_settings(cfg.settings)
    request = {"mode": retrieval.mode, "top_k": retrieval.top_k, "roles": list(retrieval.roles),
               "kinds": list(retrieval.kinds), "rerank": retrieval.rerank, "backend": answer_cfg.backend}
    kwargs = {"history": history(), "retrieval": retrieval, "answer": answer_cfg}
    try:
        ans = _ask(engine, question, answer_cfg.backend, kwargs)
    except state.broken_engine_errors() as exc:
        # LLM failures are handled inside ask(); this is the index or its vector store (e.g.
        # rebuilt by the CLI under a running app). Reopen this configuration's engine, once.
        log.exception("answering failed; reopening the index in %s", cfg.index_dir)
        state.forget_engine(cfg, broken=engine)
        engine, reason = state.engine(cfg)
        if engine is None:
            return _failed(reason or C.error_line(exc), request)
        try:
            ans = _ask(engine, question, answer_cfg.backend, kwargs)
        except state.broken_engine_errors() as again:
            log.exception("answering failed again after reopening the index in %s", cfg.index_dir)
            return _failed(C.error_line(again), request)
    return build_message(ans, request, engine)


def render() -> None:
    cfg = state.config()
    eng, reason = state.engine(cfg)
    head, tail = st.columns([5, 1], vertical_alignment="bottom")
    head.title("Study chat")
    if eng is None:
        C.empty_index(cfg, reason)
        return
    msgs = messages()
    if msgs and tail.button("New chat", icon=":material/refresh:", key="new_chat"):
        msgs.clear()
        st.rerun()
    head.caption("Answers come only from the indexed study notes; every sentence cites its passage.")

    for msg in msgs:
        render_message(msg)

    starters = st.empty()
    prompt = st.chat_input("Ask about a tech career, an interview, a prep plan…", key="question")
    if not msgs and not prompt:
        with starters.container():
            st.markdown("##### Try one of these")
            cols = st.columns(2)
            for i, q in enumerate(STARTERS):
                if cols[i % 2].button(q, key=f"starter-{i}", width="stretch", icon=":material/lightbulb:"):
                    prompt = q
    if prompt and prompt.strip():
        starters.empty()
        user = {"role": "user", "content": prompt.strip()}
        msgs.append(user)
        render_message(user)
        with st.chat_message("assistant", avatar=":material/school:"):
            reply = answer(prompt.strip(), eng, cfg)
            render_assistant(reply)
        msgs.append(reply)
