"""The real app in a real browser: `streamlit run ui/app.py` driven by Debian's chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, ROOT
from tests.ui_support import DOCS, build_index

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MESSAGES = '[data-testid="stChatMessage"]'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed at {CHROMIUM} (run scripts/browser-deps.sh)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not become healthy in {timeout}s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, minilm):
    root = tmp_path_factory.mktemp("ui-browser")
    index_dir = build_index(root, minilm, DOCS)
    port = free_port()
    log = root / "streamlit.log"
    env = {**os.environ, "CAREER_RAG_UPLOADS": str(root / "uploads")}
    cmd = [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--", "--index", str(index_dir)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            dialogs: list[str] = []
            pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            yield pg, dialogs
        finally:
            browser.close()


def ask(page, question: str, n_before: int):
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('{MESSAGES}').length >= {n_before + 2}", timeout=120_000
    )
    answer = page.locator(MESSAGES).nth(n_before + 1)
    answer.get_by_test_id("stExpander").first.wait_for(timeout=120_000)
    return answer


def test_chat_in_a_real_browser(server, page):
    page, dialogs = page
    page.goto(server, timeout=120_000)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=180_000)  # the model loads on first run
    assert page.get_by_role("button", name="What does a data engineer interview test?").is_visible()

    answer = ask(page, "What does a data engineer interview test?", 0)
    text = answer.inner_text()
    assert "[1]" in text and "SQL" in text
    assert "Sources" in text and "Data Engineer Interview Guide" in text
    assert page.locator(MESSAGES).first.inner_text().strip().endswith("What does a data engineer interview test?")

    source = answer.get_by_test_id("stExpander").first
    source.locator("summary").click()
    mark = source.locator("mark").first
    mark.wait_for(state="visible", timeout=30_000)
    assert "data engineer interview tests SQL" in mark.inner_text()
    assert "de.md" in source.inner_text()
    page.wait_for_timeout(500)  # let the expander animation settle
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-chat.png"))

    # A hostile document is cited: its markup must stay text.
    hostile = ask(page, "What does a security engineer interview check?", 2)
    hostile.get_by_test_id("stExpander").first.locator("summary").click()
    hostile.locator("mark").first.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(1000)
    body = hostile.inner_text()
    assert "<script>alert(1)</script>" in body or "(javascript:alert(1))" in body
    assert page.locator('a[href^="javascript"]').count() == 0
    assert hostile.locator("script, img, iframe").count() == 0
    assert dialogs == [], f"a document ran script: {dialogs}"


def test_chat_has_its_own_url(server, page):
    """A bookmarked /chat opens the chat (it used to say "Page not found"); `/` still works."""
    page, _ = page

    def active() -> str:  # the navigation entry marked as the current page (its text after the icon)
        return page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]').inner_text().split()[-1]

    page.goto(server + "/chat", timeout=120_000)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=180_000)
    page.get_by_role("button", name="What does a data engineer interview test?").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # a "Page not found" dialog would be up by now
    assert page.get_by_text("Page not found").count() == 0
    assert page.url == server + "/chat" and active() == "Chat"

    page.goto(server + "/", timeout=120_000)
    page.wait_for_url(server + "/chat", timeout=60_000)  # `/` opens the chat at its own address
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
    assert active() == "Chat" and page.get_by_text("Page not found").count() == 0

    page.goto(server + "/practice", timeout=120_000)
    page.get_by_role("heading", name="Practice").wait_for(timeout=60_000)
    assert active() == "Practice"

    page.goto(server + "/no-such-page", timeout=120_000)  # the check above can see the dialog
    page.get_by_text("Page not found").first.wait_for(timeout=60_000)
