"""A learner's practice history: one small SQLite file per profile, kept locally.

Default file: ``~/.career-rag/progress-<profile>.sqlite3``; the folder can be moved with
``$CAREER_RAG_PROGRESS_DIR`` (or a ``directory`` argument / ``--progress-dir``). It records
every question shown ("seen") and every attempt with the key points it covered and
missed, so ``history()`` can say what to revisit. Nothing here needs the index.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

PROGRESS_ENV = "CAREER_RAG_PROGRESS_DIR"
DEFAULT_PROFILE = "default"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    qid TEXT NOT NULL,
    question TEXT NOT NULL,
    source TEXT NOT NULL,
    role TEXT,
    round TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    qid TEXT NOT NULL,
    question TEXT NOT NULL,
    source TEXT NOT NULL,
    role TEXT,
    round TEXT,
    answer TEXT NOT NULL,
    n_points INTEGER NOT NULL,
    covered TEXT NOT NULL,        -- JSON list of key point texts
    missed TEXT NOT NULL          -- JSON list of key point texts
);
CREATE INDEX IF NOT EXISTS seen_by_q ON seen(qid);
CREATE INDEX IF NOT EXISTS attempts_by_q ON attempts(qid);
"""


def profile_name(profile: str | None) -> str:
    """A profile name safe to put in a file name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", (profile or "").strip()).strip("._")[:64]
    return name or DEFAULT_PROFILE


def progress_path(profile: str | None = None, directory: str | Path | None = None) -> Path:
    folder = Path(directory or os.environ.get(PROGRESS_ENV) or Path.home() / ".career-rag").expanduser()
    return folder / f"progress-{profile_name(profile)}.sqlite3"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Progress:
    """Open (creating if needed) one profile's history. Safe to share between threads."""

    def __init__(self, profile: str | None = None, directory: str | Path | None = None):
        self.profile = profile_name(profile)
        self.path = progress_path(self.profile, directory)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db.executescript(_SCHEMA)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def record_seen(self, question, role: str | None = None) -> None:
        with self._lock, self.db:
            self.db.execute(
                "INSERT INTO seen(at, qid, question, source, role, round) VALUES (?,?,?,?,?,?)",
                (_now(), question.id, question.question, question.source, role, question.round),
            )

    def record_attempt(self, fb, role: str | None = None) -> None:
        q = fb.question
        with self._lock, self.db:
            self.db.execute(
                "INSERT INTO attempts(at, qid, question, source, role, round, answer, n_points, covered, missed) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (_now(), q.id, q.question, q.source, role, q.round, fb.answer, len(fb.points),
                 json.dumps([p.point.text for p in fb.covered]), json.dumps([p.point.text for p in fb.missed])),
            )

    def last_seen(self, role: str | None = None) -> str | None:
        """The id of the question shown last (to this role, if given)."""
        query, args = "SELECT qid FROM seen", ()
        if role:
            query, args = query + " WHERE role = ?", (role,)
        with self._lock:
            row = self.db.execute(query + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return row[0] if row else None

    def attempts(self, limit: int | None = None) -> list[dict]:
        """Attempts, newest first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT id, at, qid, question, source, role, round, answer, n_points, covered, missed "
                "FROM attempts ORDER BY id DESC" + (" LIMIT ?" if limit else ""), (limit,) if limit else ()
            ).fetchall()
        return [
            {"id": r[0], "at": r[1], "qid": r[2], "question": r[3], "source": r[4], "role": r[5], "round": r[6],
             "answer": r[7], "n_points": r[8], "covered": json.loads(r[9]), "missed": json.loads(r[10]),
             "coverage": (len(json.loads(r[9])) / r[8]) if r[8] else 0.0}
            for r in rows
        ]

    def summary(self) -> dict[str, dict]:
        """Per question id: times seen, attempts, last/best coverage, last missed points."""
        out: dict[str, dict] = {}
        with self._lock:
            seen = self.db.execute(
                "SELECT qid, question, source, role, round, count(*), max(id), max(at) FROM seen GROUP BY qid"
            ).fetchall()
        for qid, question, source, role, rnd, n, last_id, at in seen:
            out[qid] = {"qid": qid, "question": question, "source": source, "role": role, "round": rnd, "seen": n,
                        "attempts": 0, "last_coverage": None, "best_coverage": None, "missed": [],
                        "last_event": last_id, "last_at": at}
        for a in reversed(self.attempts()):  # oldest first, so the last one wins
            s = out.setdefault(a["qid"], {"qid": a["qid"], "question": a["question"], "source": a["source"],
                                          "role": a["role"], "round": a["round"], "seen": 0, "attempts": 0,
                                          "best_coverage": None, "last_event": 0})
            s["attempts"] += 1
            s["last_coverage"] = a["coverage"]
            s["best_coverage"] = max(s["best_coverage"] or 0.0, a["coverage"])
            s["missed"] = a["missed"]
            s["last_at"] = a["at"]
        return out

    def history(self) -> list[dict]:
        """Every question practised, those to revisit first (least covered, then oldest)."""
        rows = list(self.summary().values())
        for r in rows:
            r["revisit"] = r["attempts"] == 0 or (r["last_coverage"] or 0.0) < 1.0
        rows.sort(key=lambda r: (not r["revisit"], r["last_coverage"] if r["last_coverage"] is not None else -1.0,
                                 r["last_at"] or "", r["qid"]))
        return rows


def history(profile: str | None = None, directory: str | Path | None = None) -> list[dict]:
    """What a learner has practised, to-revisit first. An unknown profile has none."""
    path = progress_path(profile, directory)
    if not path.exists():
        return []
    with Progress(profile, directory) as p:
        return p.history()
