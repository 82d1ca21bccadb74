"""The Corpus page: what is indexed, and uploading new documents into it."""

from __future__ import annotations

import logging
import math

import streamlit as st

from rag.text.shown import heading
from ui import state
from ui.components import empty_index, error_line, md_escape
from ui.uploads import ALLOWED, save_upload

log = logging.getLogger(__name__)

REPORT_KEY = "upload_report"
ICONS = {"saved": ":material/check_circle:", "renamed": ":material/drive_file_rename_outline:",
         "duplicate": ":material/content_copy:", "rejected": ":material/block:"}


def doc_rows(eng) -> list[dict]:
    return [
        {"title": heading(d.title), "roles": ", ".join(d.roles), "kind": d.kind, "chunks": d.n_chunks,
         "updated": d.updated, "file": state.display_path(d.source)}
        for d in eng.index.docs().values()
    ]


def ingest_uploads(cfg, eng) -> dict:
    """Index the uploads folder incrementally, with a progress bar."""
    from ingest.pipeline import ingest

    bar = st.progress(0.0, text="Reading the uploaded files…")
    labels = {"embed": "Embedding passages", "bm25": "Rebuilding the keyword index"}

    def progress(phase: str, done: int, total: int) -> None:
        frac = 1.0 if not total else min(1.0, done / total)
        bar.progress(frac, text=f"{labels.get(phase, phase)}: {done}/{total}")

    report = ingest([cfg.uploads_dir], cfg.settings, progress=progress,
                    embedder=eng.embedder if eng is not None else None)
    bar.progress(1.0, text="Indexed.")
    return report.as_dict()


def handle_upload(files, cfg, eng) -> None:
    max_bytes = int(cfg.settings.ingest.max_file_mb * 1e6)
    results = [save_upload(f.name, f.getvalue(), cfg.uploads_dir, max_bytes) for f in files]
    report = {"files": [(r.status, r.message) for r in results], "ingest": None, "error": None}
    if any(r.status in ("saved", "renamed") for r in results):
        try:
            report["ingest"] = ingest_uploads(cfg, eng)
        except state.ingest_errors() as exc:  # IngestLockedError, IndexMismatchError, a full disk...
            log.exception("indexing the uploads in %s failed", cfg.uploads_dir)
            report["error"] = error_line(exc)
        if eng is None:
            state.forget_engine(cfg)  # the index was just created: open it on the next run
    st.session_state[REPORT_KEY] = report
    st.rerun()  # refresh the table and the sidebar counts


def show_report(report: dict) -> None:
    for status, message in report["files"]:
        text = md_escape(message)
        if status == "rejected":
            st.error(text, icon=ICONS[status])
        elif status in ("renamed", "duplicate"):
            st.warning(text, icon=ICONS[status])
        else:
            st.success(text, icon=ICONS[status])
    if report.get("error"):
        st.error(md_escape("Indexing failed: " + report["error"]), icon=":material/error:")
    rep = report.get("ingest")
    if rep:
        summary = (f"Indexed the uploads folder in {rep['seconds']:.1f} s: {len(rep['added'])} added, "
                   f"{len(rep['updated'])} updated, {rep['unchanged']} unchanged, {len(rep['deleted'])} removed; "
                   f"{rep['chunks_embedded']} passages embedded, {rep['chunks_total']} in the index.")
        st.info(md_escape(summary), icon=":material/database:")
        for skip in rep["skipped"]:
            st.warning(md_escape(f"Skipped {state.display_path(skip['path'])}: {skip['reason']}"),
                       icon=":material/block:")
        for warned in rep.get("warnings", []):
            st.warning(md_escape(f"{state.display_path(warned['path'])}: {warned['warning']}"), icon=":material/warning:")


def render() -> None:
    cfg = state.config()
    eng, reason = state.engine(cfg)
    st.title("Corpus")
    if cfg.settings is None:
        empty_index(cfg, reason)
        return
    if eng is None:
        empty_index(cfg, reason)
        if reason:
            return
    else:
        rows = doc_rows(eng)
        info = state.stats(cfg, eng) or {}
        a, b, c = st.columns(3)
        a.metric("Documents", len(rows))
        b.metric("Chunks", info.get("chunks", sum(r["chunks"] for r in rows)))
        c.metric("Index size", state.human_size(info.get("size", 0)))
        needle = st.text_input("Filter", key="corpus_filter", placeholder="title, role, kind or file",
                               label_visibility="collapsed")
        if needle.strip():
            n = needle.strip().lower()
            rows = [r for r in rows if any(n in str(v).lower() for v in r.values())]
        st.dataframe(
            rows, hide_index=True, width="stretch",
            column_config={
                "title": st.column_config.TextColumn("Title", width="large"),
                "roles": st.column_config.TextColumn("Roles"),
                "kind": st.column_config.TextColumn("Kind"),
                "chunks": st.column_config.NumberColumn("Chunks", width="small"),
                "updated": st.column_config.TextColumn("Updated", width="small"),
                "file": st.column_config.TextColumn("File", width="medium"),
            },
        )

    st.subheader("Add documents")
    limit = cfg.settings.ingest.max_file_mb
    st.caption(md_escape(
        f"Markdown, text, HTML or PDF, up to {limit:g} MB each. Files are saved in "
        f"{state.display_path(cfg.uploads_dir)} and indexed incrementally; a name that is "
        "already taken gets a numeric suffix."
    ))
    report = st.session_state.pop(REPORT_KEY, None)
    if report:
        show_report(report)
    with st.form("upload_form", clear_on_submit=True, border=True):
        files = st.file_uploader(
            "Documents", accept_multiple_files=True, key="uploads",
            max_upload_size=max(1, math.ceil(limit)), help="Accepted: " + ", ".join(ALLOWED),
        )
        submitted = st.form_submit_button("Upload and index", icon=":material/upload:", type="primary")
    if submitted:
        if not files:
            st.warning("Choose at least one file first.", icon=":material/info:")
        else:
            handle_upload(files, cfg, eng)
