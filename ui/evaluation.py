"""The Evaluation page: results of `career-rag eval` and `career-rag bench`, if present."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from ui import state
from ui.components import md_escape

LABEL_KEYS = ("name", "preset", "setting", "config", "label")


def read_json(path: Path):
    """(data, None) | (None, None) when missing | (None, error)."""
    if not path.is_file():
        return None, None
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, ValueError) as exc:
        return None, f"cannot read {path}: {exc}"


def metric_rows(summary: dict) -> list[dict]:
    rows = []
    for name, m in summary.items():
        if isinstance(m, dict) and isinstance(m.get("value"), (int, float)) and not isinstance(m.get("value"), bool):
            rows.append({"metric": name, "value": float(m["value"]), "ci_low": _num(m.get("ci_low")),
                         "ci_high": _num(m.get("ci_high")), "n": m.get("n")})
    return rows


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def grid_frame(grid) -> pd.DataFrame:
    if isinstance(grid, dict):  # tolerate {"rows": [...]} or {"grid": [...]}
        grid = grid.get("rows") or grid.get("grid") or grid.get("results") or []
    rows = [r for r in grid if isinstance(r, dict)] if isinstance(grid, list) else []
    return pd.json_normalize(rows) if rows else pd.DataFrame()


def grid_label(df: pd.DataFrame) -> pd.Series:
    for key in LABEL_KEYS:
        if key in df.columns:
            return df[key].astype(str)
    text_cols = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if text_cols:
        return df[text_cols].astype(str).agg(" · ".join, axis=1)
    return pd.Series([f"row {i + 1}" for i in range(len(df))], index=df.index)


def show_summary(summary: dict, path: Path) -> None:
    st.subheader("Answer quality (`career-rag eval`)")
    ds = summary.get("dataset") if isinstance(summary.get("dataset"), dict) else {}
    bits = [f"{ds['questions']} questions" if "questions" in ds else None,
            f"{ds['answerable']} answerable" if "answerable" in ds else None,
            f"{summary['seconds']} s" if "seconds" in summary else None]
    st.caption(md_escape(" · ".join([state.display_path(path)] + [b for b in bits if b])))
    rows = metric_rows(summary)
    if rows:
        df = pd.DataFrame(rows)
        st.dataframe(df, hide_index=True, width="stretch", column_config={
            "value": st.column_config.NumberColumn("value", format="%.3f"),
            "ci_low": st.column_config.NumberColumn("95% CI low", format="%.3f"),
            "ci_high": st.column_config.NumberColumn("95% CI high", format="%.3f"),
        })
        unit = df[(df["value"] >= 0) & (df["value"] <= 1)]
        if not unit.empty:
            st.bar_chart(unit, x="metric", y="value", horizontal=True, height=max(200, 28 * len(unit)))
    else:
        st.info("The summary has no metrics.")
    skipped = summary.get("skipped")
    if isinstance(skipped, dict) and skipped:
        with st.expander(f"Metrics not computed ({len(skipped)})", icon=":material/info:"):
            st.markdown("\n".join(f"- **{md_escape(str(k))}**: {md_escape(str(v))}" for k, v in skipped.items()))
    if isinstance(summary.get("settings"), dict):
        with st.expander("Settings used", icon=":material/tune:"):
            st.json(summary["settings"], expanded=1)


def _is_interval(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 2 and all(_num(x) is not None for x in v)


def show_grid(grid, path: Path) -> None:
    st.subheader("Retrieval benchmark (`career-rag bench`)")
    st.caption(md_escape(state.display_path(path)))
    df = grid_frame(grid)
    if df.empty:
        st.info("The benchmark grid has no rows.")
        return
    label = grid_label(df)
    for flag, text in (("best", "Best"), ("cheapest_within_ci", "Cheapest within the best's CI")):
        if flag in df.columns:
            hits = [str(x) for x, b in zip(label, df[flag]) if b is True]
            if hits:
                st.markdown(f"**{text}:** " + md_escape(", ".join(hits)))
    intervals = [c for c in df.columns if df[c].map(_is_interval).any()]
    show_ci = bool(intervals) and st.toggle("Show 95% confidence intervals", key="bench_ci")
    table = df.copy()
    for c in intervals:
        table[c] = table[c].map(lambda v: f"{v[0]:.3f}–{v[1]:.3f}" if _is_interval(v) else "")
    st.dataframe(table, hide_index=True, width="stretch",
                 column_order=[c for c in table.columns if show_ci or c not in intervals])
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    if not numeric:
        return
    unit = [c for c in numeric if df[c].dropna().between(0, 1).all()]
    preferred = [c for c in ("hit@5", "mrr", "ndcg@10") if c in numeric] + unit + numeric
    metric = st.selectbox("Chart metric", numeric, index=numeric.index(preferred[0]), key="bench_metric")
    chart = pd.DataFrame({"setting": label, "value": df[metric]}).dropna()  # plain field names for Vega
    if not chart.empty:
        import altair as alt

        bars = alt.Chart(chart).mark_bar().encode(
            x=alt.X("value:Q", title=metric),
            y=alt.Y("setting:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360, labelOverlap=False)),
            tooltip=["setting", alt.Tooltip("value:Q", title=metric, format=".3f")],
        ).properties(height=max(160, 30 * len(chart)))
        st.altair_chart(bars, width="stretch")


def render() -> None:
    cfg = state.config()
    st.title("Evaluation")
    with st.expander("Result files", icon=":material/folder_open:"):
        eval_path = Path(st.text_input("Evaluation summary", str(cfg.eval_summary), key="eval_path"))
        bench_path = Path(st.text_input("Benchmark grid", str(cfg.bench_grid), key="bench_path"))
    summary, err_s = read_json(eval_path)
    grid, err_g = read_json(bench_path)
    for err in (err_s, err_g):
        if err:
            st.error(md_escape(err), icon=":material/error:")
    if summary is None and grid is None:
        if not (err_s or err_g):
            st.info("No evaluation results yet.", icon=":material/query_stats:")
        st.markdown("Measure answer quality on the evaluation set, and compare retrieval settings:")
        st.code("career-rag eval --out results/eval\ncareer-rag bench --quick --out results/bench", language="bash")
        st.caption(md_escape(f"This page reads {eval_path} and {bench_path} (relative to {Path.cwd()})."))
        return
    if isinstance(summary, dict):
        show_summary(summary, eval_path)
    elif summary is not None:
        st.error("The evaluation summary is not a JSON object.")
    if grid is not None:
        show_grid(grid, bench_path)
