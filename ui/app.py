"""career-rag study chat: `streamlit run ui/app.py -- --index DIR` (or `career-rag ui`).

The index comes from `-- --index DIR`, else the usual settings (career-rag.toml,
CAREER_RAG_INDEX__DIR=...). Other flags: --uploads DIR, --eval FILE, --bench FILE.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts ui/ on the path, not the project
    sys.path.insert(0, str(ROOT))

import rag  # noqa: E402,F401 - offline environment first
import streamlit as st  # noqa: E402

from ui import sidebar, state  # noqa: E402
from ui.components import md_escape  # noqa: E402

st.set_page_config(page_title="career-rag · study chat", page_icon=":material/school:", layout="wide")
st.set_option("client.toolbarMode", "viewer")  # no deploy / developer menu in a study tool
st.set_option("client.showErrorDetails", "type")  # never a traceback in the browser

VIEWS = Path(__file__).resolve().parent / "views"
pages = [
    st.Page(VIEWS / "chat.py", title="Chat", icon=":material/forum:", url_path="chat", default=True),
    st.Page(VIEWS / "practice.py", title="Practice", icon=":material/quiz:", url_path="practice"),
    st.Page(VIEWS / "compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(VIEWS / "corpus.py", title="Corpus", icon=":material/library_books:", url_path="corpus"),
    st.Page(VIEWS / "evaluation.py", title="Evaluation", icon=":material/query_stats:", url_path="evaluation"),
]
page = st.navigation(pages)

cfg = state.config()
engine, _ = state.engine(cfg)
sidebar.render(cfg, engine)
try:
    page.run()
except Exception as exc:  # st.rerun/st.stop are BaseExceptions and pass through
    logging.getLogger("career_rag.ui").exception("page failed")
    st.error(md_escape(f"Something went wrong: {type(exc).__name__}: {exc}"), icon=":material/error:")
