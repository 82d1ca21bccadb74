"""The Practice page: interview questions from the corpus, and feedback on your answer.

Questions come from the index (ingest extracts them); feedback is the deterministic
key-point check of rag/study/practice.py. Each attempt is recorded in the profile's progress
file (rag/study/progress.py), so "to revisit" survives restarts.
"""

from __future__ import annotations

import streamlit as st

from rag.study.feedback import feedback
from rag.study.practice import next_question, practice_questions, rounds_for, roles_with_questions
from rag.study.progress import DEFAULT_PROFILE, Progress
from rag.text.shown import heading
from ui import components as C
from ui import state

STATE_KEY = "practice"
ANY_ROUND = "any round"
GENERAL = "general"


def session() -> dict:
    return st.session_state.setdefault(STATE_KEY, {"qid": None, "feedback": None, "log": [], "recorded": set()})


def _questions(eng, role: str, rnd: str):
    if rnd == GENERAL:
        return [q for q in practice_questions(eng.index, role) if q.round is None]
    return practice_questions(eng.index, role, None if rnd == ANY_ROUND else rnd)


def _request_next(current: str) -> None:
    """Button callback: forget the question shown; the next run picks another one."""
    ss = session()
    ss["qid"], ss["feedback"], ss["skip"] = None, None, current
    st.session_state["practice_answer"] = ""


def render_feedback(views: C.SourceViews, fb) -> None:
    n, total = len(fb.covered), len(fb.points)
    msg = f"You covered {n} of {total} key points."
    (st.success if n == total else st.warning if n else st.error)(msg, icon=":material/fact_check:")
    marker = 0
    for title, results, icon in (("Covered", fb.covered, ":material/check_circle:"),
                                 ("Missed — read up", fb.missed, ":material/cancel:")):
        if not results:
            continue
        st.markdown(f"**{title}**")
        for r in results:
            st.markdown((":material/check_circle: " if r.covered else ":material/cancel: ") + C.md_escape(r.point.text))
            if r.covered and r.evidence:
                st.caption("You said: " + C.md_escape(r.evidence))
            for cited in (r.read_up if not r.covered else [r.point]):
                marker += 1
                C.render_source(views.cited([cited], marker))


def render_log(progress) -> None:
    ss = session()
    if ss["log"]:
        st.subheader("This session")
        st.dataframe(
            [{"question": e["question"], "covered": f"{e['covered']}/{e['points']}", "round": e["round"]}
             for e in reversed(ss["log"])],
            hide_index=True, width="stretch", key="practice_log",
        )
    revisit = [h for h in progress.history() if h["revisit"]][:10]
    if revisit:
        with st.expander(f"To revisit ({len(revisit)}) — profile {C.md_escape(progress.profile)}",
                         icon=":material/history:"):
            st.dataframe(
                [{"question": h["question"], "attempts": h["attempts"],
                  "last": "-" if h["last_coverage"] is None else f"{h['last_coverage']:.0%}",
                  "missed": "; ".join(h.get("missed") or [])}
                 for h in revisit],
                hide_index=True, width="stretch", key="practice_revisit",
            )


def render() -> None:
    cfg = state.config()
    eng, reason = state.engine(cfg)
    st.title("Practice")
    if eng is None:
        C.empty_index(cfg, reason)
        return
    roles = roles_with_questions(eng.index)
    if not roles:
        st.info("This index has no practice questions. Question banks and interview notes carry them "
                "(`### Q: ...?` headings, or a question line followed by its answer).", icon=":material/quiz:")
        return
    st.caption("Questions come from the indexed notes; each key point cites the passage it comes from.")
    ss = st.session_state
    if ss.get("practice_role") not in roles:
        ss["practice_role"] = "data engineer" if "data engineer" in roles else roles[0]
    a, b, c = st.columns([2, 2, 1])
    role = a.selectbox("Role", roles, key="practice_role")
    rounds = [ANY_ROUND] + rounds_for(eng.index, role)
    if ss.get("practice_round") not in rounds:
        ss["practice_round"] = ANY_ROUND
    rnd = b.selectbox("Round", rounds, key="practice_round")
    ss.setdefault("practice_profile", DEFAULT_PROFILE)
    profile = c.text_input("Profile", key="practice_profile", help="Progress is kept per profile, on this machine.")
    progress = Progress(profile)
    try:
        _render_question(eng, role, rnd, progress)
        render_log(progress)
    finally:
        progress.close()


def _render_question(eng, role: str, rnd: str, progress) -> None:
    ss = session()
    questions = _questions(eng, role, rnd)
    if not questions:
        st.info("No questions for this role and round.")
        return
    by_id = {q.id: q for q in questions}
    if ss["qid"] not in by_id:
        skip = {ss.pop("skip", None)} - {None}
        ss["qid"], ss["feedback"] = next_question(questions, progress.summary(), skip=skip).id, None
        st.session_state["practice_answer"] = ""  # the text area is created below, so this is allowed
    q = by_id[ss["qid"]]
    views = C.SourceViews(eng.index)  # each document read once for this page's passages
    if q.id not in ss["recorded"]:
        progress.record_seen(q, role)
        ss["recorded"].add(q.id)

    with st.container(border=True):
        st.markdown("#### " + C.md_escape(q.question))
        bits = [q.round or GENERAL, heading(q.title)] + ([heading(q.header_path.split(" > ")[-1])] if q.header_path else [])
        st.caption(C.md_escape(" · ".join(bits) + f" · {len(q.key_points)} key points"))
        if st.toggle("Show the key points", key="practice_show_points"):
            for i, p in enumerate(q.key_points, 1):
                st.markdown(f"{i}\\. " + C.md_escape(p.text) + " " + C.marker_md(i))
            for i, p in enumerate(q.key_points, 1):
                C.render_source(views.cited([p], i, section=q.header_path))
    answer = st.text_area("Your answer", key="practice_answer", height=160,
                          placeholder="Answer as you would in the interview…")
    left, right = st.columns(2)
    check = left.button("Check my answer", key="practice_check", type="primary", icon=":material/fact_check:",
                        width="stretch")
    right.button("Next question", key="practice_next", icon=":material/skip_next:", width="stretch",
                 on_click=_request_next, args=(q.id,))
    if check:
        if not answer.strip():
            st.warning("Type an answer first.", icon=":material/edit:")
        else:
            with st.spinner("Comparing your answer with the key points…"):
                fb = feedback(eng, q, answer)
            progress.record_attempt(fb, role)
            ss["feedback"] = fb
            ss["log"].append({"qid": q.id, "question": q.question, "round": q.round or GENERAL,
                              "covered": len(fb.covered), "points": len(fb.points)})
    fb = ss.get("feedback")
    if fb is not None and fb.question.id == q.id:
        render_feedback(views, fb)
