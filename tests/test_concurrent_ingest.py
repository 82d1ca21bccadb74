"""Two ingests on one index at once, as two real processes (tests/crash_child.py).

The first one stops inside the index lock (at its first SQLite transaction) until the
test lets it go, so the second one surely runs into the lock, whatever the machine's
load; after that it is slowed down at every hook point (SQLite transaction, Chroma
add/delete, BM25 build). Each child logs its hook points with timestamps: the
index-touching points of the two must never interleave, and the final index must be
exactly right.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import doc, write
from tests.crash_child import EXIT_LOCKED
from tests.crash_util import (
    bm25_ids,
    chroma_contents,
    garbage_ids,
    manifest_state,
    read_trace,
    report_of,
    retrieve_all_modes,
    run_child,
    settings_for,
    sqlite_checks,
    start_child,
)

SLOW = 0.15  # seconds per hook point in the first ingest


def _corpus(root: Path, tag: str, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        body = " ".join(f"{tag.capitalize()} topic {i} sentence {j} about {tag} interviews and pipelines." for j in range(40))
        paths.append(write(root / f"{tag}{i}.md", doc(f"{tag} {i}", body)))
    return paths


def _index_points(trace: Path) -> list[tuple[str, float]]:
    """(label, time) of the points that touch the index (not start-up / done)."""
    if not trace.exists():
        return []
    return [(label, t) for _, label, _, t in read_trace(trace) if label not in ("start", "done")]


def _wait_for(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _check_index(index_dir: Path, expected_files: list[Path]) -> dict:
    settings = settings_for(index_dir)
    sqlite_checks(index_dir)
    state = manifest_state(settings)
    assert sorted(state) == sorted(str(p.resolve()) for p in expected_files)
    committed = {cid for s in state.values() for cid, *_ in s.chunks}
    assert set(chroma_contents(settings)) == committed, "Chroma must hold exactly the committed chunks"
    assert sorted(bm25_ids(settings) or []) == sorted(committed), "BM25 must index exactly the committed chunks"
    assert garbage_ids(index_dir) == set()
    for mode, contexts in retrieve_all_modes(settings, "interviews pipelines").items():
        assert contexts and all(c.chunk.chunk_id in committed for c in contexts), mode
    return state


def _start_holder(tmp_path: Path, folder: Path):
    """The first ingest: returns once it holds the lock, stopped until the release file exists."""
    trace = tmp_path / "a.trace"
    release = tmp_path / "release-a"
    proc = start_child(tmp_path / "index", [folder], trace=trace, slow=SLOW, group=4, hold=release)
    _wait_for(lambda: _index_points(trace) or proc.poll() is not None, 60, "the first ingest to take the lock")
    assert proc.poll() is None, f"the first ingest ended early: {proc.communicate()[1][-2000:]}"
    return proc, trace, release


def _started(trace: Path) -> bool:
    return trace.exists() and any(label == "start" for _, label, _, _ in read_trace(trace))


def test_second_ingest_gives_up_with_a_clear_message(tmp_path):
    a = _corpus(tmp_path / "a", "alpha", 5)
    b = _corpus(tmp_path / "b", "beta", 2)
    holder, a_trace, release = _start_holder(tmp_path, tmp_path / "a")
    b_trace = tmp_path / "b.trace"
    t0 = time.monotonic()
    second = run_child(tmp_path / "index", [tmp_path / "b"], trace=b_trace, lock_timeout=0.5)
    waited = time.monotonic() - t0
    release.touch()
    out, err = holder.communicate(timeout=120)
    assert holder.returncode == 0, err[-2000:]

    assert second.returncode == EXIT_LOCKED, f"rc={second.returncode}\n{second.stderr[-2000:]}"
    message = second.stderr.strip()
    assert "another ingest is running on" in message and str((tmp_path / "index").resolve()) in message
    assert "waited 0.5s. Try again when it finishes." in message, message
    assert waited < 60
    assert _index_points(b_trace) == [], "the refused ingest must not touch the index"
    _check_index(tmp_path / "index", a)
    assert not {str(p.resolve()) for p in b} & set(manifest_state(settings_for(tmp_path / "index")))


def test_second_ingest_waits_then_runs_after_the_first(tmp_path):
    a = _corpus(tmp_path / "a", "alpha", 5)
    b = _corpus(tmp_path / "b", "beta", 3)
    holder, a_trace, release = _start_holder(tmp_path, tmp_path / "a")
    b_trace = tmp_path / "b.trace"
    # The second one also ingests the first one's folder: it must see that work as done.
    second = start_child(tmp_path / "index", [tmp_path / "a", tmp_path / "b"], trace=b_trace, lock_timeout=120)
    _wait_for(lambda: _started(b_trace), 60, "the second ingest to start")
    time.sleep(1.0)  # it is now waiting for the lock
    assert second.poll() is None and _index_points(b_trace) == [], "the second ingest did not wait"
    release.touch()
    out_a, err_a = holder.communicate(timeout=120)
    out_b, err_b = second.communicate(timeout=120)
    rep_a = report_of(_completed(holder, out_a, err_a))
    rep_b = report_of(_completed(second, out_b, err_b))

    a_points, b_points = _index_points(a_trace), _index_points(b_trace)
    assert a_points and b_points
    assert b_points[0][1] > a_points[-1][1], "the two ingests interleaved their index writes"
    assert len(rep_a["added"]) == 5
    assert rep_b["unchanged"] == 5 and len(rep_b["added"]) == 3 and not rep_b["updated"]
    _check_index(tmp_path / "index", a + b)


def test_killed_holder_releases_the_lock_and_the_waiter_finishes(tmp_path):
    a = _corpus(tmp_path / "a", "alpha", 5)
    b = _corpus(tmp_path / "b", "beta", 2)
    holder, a_trace, release = _start_holder(tmp_path, tmp_path / "a")
    b_trace = tmp_path / "b.trace"
    waiter = start_child(tmp_path / "index", [tmp_path / "b"], trace=b_trace, lock_timeout=120)
    _wait_for(lambda: _started(b_trace), 60, "the second ingest to start")
    release.touch()
    # Kill the holder once it has committed some (not all) of its work.
    _wait_for(lambda: sum(label == "txn:switch_documents:committed" for label, _ in _index_points(a_trace)) >= 1,
              60, "the first ingest to commit a group")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert holder.returncode == -signal.SIGKILL
    assert not any(label == "done" for _, label, _, _ in read_trace(a_trace)), "killed too late to test anything"
    out, err = waiter.communicate(timeout=120)
    report_of(_completed(waiter, out, err))
    b_first = _index_points(b_trace)[0][1]
    a_last = _index_points(a_trace)[-1][1]
    assert b_first > a_last, "the waiter touched the index while the holder was alive"
    # The waiter's run leaves a consistent index: b in full, a partly or not at all.
    state = manifest_state(settings_for(tmp_path / "index"))
    assert {str(p.resolve()) for p in b} <= set(state) <= {str(p.resolve()) for p in a + b}
    assert len(set(state) & {str(p.resolve()) for p in a}) < len(a), "the holder was killed before finishing"
    # Re-running the interrupted ingest finishes its work.
    report_of(run_child(tmp_path / "index", [tmp_path / "a"]))
    _check_index(tmp_path / "index", a + b)


def _completed(proc, out, err):
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
