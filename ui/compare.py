"""The Compare page: roles side by side, every cell a cited sentence (or "not covered")."""

from __future__ import annotations

import streamlit as st

from rag.roles import ROLES
from rag.study.compare import NOT_COVERED, compare, role_label
from ui import components as C
from ui import state

DEFAULT_ROLES = ["ai engineer", "ml engineer", "data engineer"]
CACHE_KEY = "compare_cache"
MAX_ROLES = 5


def table_markdown(table, markers: dict[tuple, int]) -> str:
    """A markdown table of escaped cell text with [n] markers (numbers assigned here)."""
    head = "| | " + " | ".join(C.md_escape(role_label(r)) for r in table.roles) + " |"
    lines = [head, "|---" * (len(table.roles) + 1) + "|"]
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if not cell.covered:
                cells.append("*" + C.md_escape(NOT_COVERED) + "*")
                continue
            c = cell.citations[0]
            n = markers.setdefault((c.source, c.start, c.end), len(markers) + 1)
            cells.append(C.md_escape(" ".join(cell.text.split())) + " " + C.marker_md(n))
        lines.append(f"| **{C.md_escape(row.label)}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def source_views(eng, table, markers: dict[tuple, int]) -> list[C.SourceView]:
    cited = {(c.source, c.start, c.end): (c, row.label) for row in table.rows for cell in row.cells for c in cell.citations}
    views = C.SourceViews(eng.index)
    return [views.cited([cited[key][0]], n, section=cited[key][1])
            for key, n in sorted(markers.items(), key=lambda kv: kv[1])]


def cached_compare(eng, roles: list[str]):
    """One comparison per role list and index version, kept for the session."""
    cache = st.session_state.setdefault(CACHE_KEY, {})
    key = (tuple(roles), eng.index.get_meta("bm25_dir"))
    if key not in cache:
        with st.spinner("Reading the role guides and comparisons…"):
            cache[key] = compare(eng, roles)
    return cache[key]


def render() -> None:
    cfg = state.config()
    eng, reason = state.engine(cfg)
    st.title("Compare roles")
    if eng is None:
        C.empty_index(cfg, reason)
        return
    st.caption("Each cell is a sentence quoted from the indexed notes, with its source; "
               "cells the sources do not cover say so.")
    st.session_state.setdefault("compare_roles", list(DEFAULT_ROLES))
    roles = st.multiselect("Roles", ROLES, key="compare_roles", max_selections=MAX_ROLES, format_func=role_label,
                           placeholder="Pick two or more roles")
    if len(roles) < 2:
        st.info("Pick at least two roles to compare.", icon=":material/compare_arrows:")
        return
    table = cached_compare(eng, roles)
    markers: dict[tuple, int] = {}
    st.markdown(table_markdown(table, markers))
    if table.uncovered:
        st.caption(C.md_escape(f"{table.uncovered} of {len(table.rows) * len(table.roles)} cells are not covered "
                               "by the sources in this index."))
    if markers:
        st.markdown("**Sources**")
        for view in source_views(eng, table, markers):
            C.render_source(view)
