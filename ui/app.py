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
from ui.components import error_line, md_escape  # noqa: E402

log = logging.getLogger("ui.app")

st.set_page_config(page_title="career-rag · study chat", page_icon=":material/school:", layout="wide")
st.set_option("client.toolbarMode", "viewer")  # no deploy / developer menu in a study tool
st.set_option("client.showErrorDetails", "type")  # never a traceback in the browser

VIEWS = Path(__file__).resolve().parent / "views"
CHAT = st.Page(VIEWS / "chat.py", title="Chat", icon=":material/forum:", url_path="chat")


def _open_chat() -> None:
    st.switch_page(CHAT)


# Streamlit serves the default page at `/` (never at its url_path), so the chat is an
# ordinary page at /chat (bookmarkable) and the default is a hidden page sending `/` there.
HOME = st.Page(_open_chat, title="Chat", url_path="home", default=True, visibility="hidden")
pages = [
    HOME,
    CHAT,
    st.Page(VIEWS / "practice.py", title="Practice", icon=":material/quiz:", url_path="practice"),
    st.Page(VIEWS / "compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(VIEWS / "corpus.py", title="Corpus", icon=":material/library_books:", url_path="corpus"),
    st.Page(VIEWS / "evaluation.py", title="Evaluation", icon=":material/query_stats:", url_path="evaluation"),
]
page = st.navigation(pages)
if page is HOME:
    page.run()  # st.switch_page: this run stops here

try:
    cfg = state.config()
    engine, _ = state.engine(cfg)
    sidebar.render(cfg, engine)
    page.run()
except Exception as exc:  # noqa: BLE001 - the page boundary; st.rerun/st.stop/st.switch_page are BaseExceptions and pass
    log.exception("the %s page failed", page.title)
    st.error(md_escape(f"Something went wrong on this page ({error_line(exc)}). The details are in the server log."),
             icon=":material/error:")
