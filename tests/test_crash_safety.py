"""Crash safety: an ingest that UPDATES an index is SIGKILLed at chosen points.

A real child process (tests/crash_child.py, fake embedder) updates an index built from
the "old" corpus to the "new" one (documents changed, added, deleted, unchanged) and
kills itself with SIGKILL at the k-th hook point: each SQLite transaction (entered /
about to COMMIT / committed), each Chroma add and delete, the BM25 build and its
directory switch. The points come from a traced, uninterrupted run of the same update,
so a seed maps to the same point every time.

What is checked is what is left on disk, opened fresh by this process:

- the manifest is intact SQLite, no chunk id is duplicated anywhere;
- every document is in its old or its new state (content hash, chunk ids, offsets,
  texts and practice questions equal one of the two clean reference ingests);
- Chroma holds a vector for every committed chunk, and any other vector it holds is
  recorded in ``garbage`` for the next ingest to sweep (never an untracked leftover);
- dense, BM25 and hybrid retrieval work and only return committed chunks; the BM25
  index the manifest points to opens and holds old- or new-state chunks only;
- re-running ingest completes the update to exactly the new state: Chroma ids ==
  manifest chunk ids, BM25 ids == manifest chunk ids, nothing left in ``garbage``, no
  stray BM25 folders, and a further run has nothing to do.
"""

from __future__ import annotations

import random
import shutil
import signal

import pytest

from ingest.pipeline import ingest
from tests.conftest import doc, write
from tests.crash_util import (
    bm25_ids,
    chroma_contents,
    dense_finds_own_text,
    garbage_ids,
    manifest_state,
    read_trace,
    report_of,
    retrieve_all_modes,
    run_child,
    settings_for,
    sqlite_checks,
)
from tests.fakes import HashEmbedding

GROUP = 6  # chunks per embed/commit group in the child: several groups per run
SEEDS = [11, 23, 37, 41, 59]
_WORDS = (
    "pipeline warehouse schema airflow spark kafka partition window join index latency batch stream "
    "model feature label drift metric experiment cohort funnel ranking embedding vector prompt agent "
    "interview recruiter portfolio offer salary onsite screen loop rubric behavioural design tradeoff "
    "cache shard replica consistency throughput backfill lineage contract quality freshness"
).split()


def _body(name: str, version: str, sentences: int) -> str:
    rng = random.Random(f"{name}/{version}")
    lines = []
    for i in range(sentences):
        words = " ".join(rng.choice(_WORDS) for _ in range(9))
        lines.append(f"{name.capitalize()} {version} note {i} covers {words}.")
        if i % 12 == 11:
            lines.append(f"\n## {name} {version} part {i // 12}\n")
    return " ".join(lines)


def _questions(name: str, version: str) -> str:
    out = [f"# {name} question bank\n"]
    for i in range(4):
        out.append(
            f"### Q: How would you design the {name} {version} pipeline number {i}?\n\n*Round: data modeling*\n\n"
            f"Start from the sources of {version} data {i} and the freshness it needs. Then model it.\n\n"
            f"Key points:\n- sources {i}\n- freshness {version}\n- tests {i}\n"
        )
    return "\n".join(out)


def _write_old(root):
    for name in ("keep0", "keep1", "keep2", "mod0", "mod1", "mod2", "del0", "del1", "del2"):
        write(root / f"{name}.md", doc(name, _body(name, "old", 30 if name != "mod1" else 45)))
    write(root / "bank.md", doc("bank", _questions("bank", "old"), kind="question-bank"))


def _write_new(root):
    for name in ("mod0", "mod1", "mod2"):
        write(root / f"{name}.md", doc(name, _body(name, "new", 20 if name != "mod2" else 50)))
    write(root / "bank.md", doc("bank", _questions("bank", "new"), kind="question-bank"))
    for name in ("add0", "add1", "add2"):
        write(root / "sub" / f"{name}.md", doc(name, _body(name, "new", 30), roles=("ml engineer",)))
    for name in ("del0", "del1", "del2"):
        (root / f"{name}.md").unlink()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Old index, clean references for both states, and the trace of the update run."""
    base = tmp_path_factory.mktemp("crash")
    docs = base / "docs"
    _write_old(docs)
    old_index = base / "old-index"
    report_of(run_child(old_index, [docs], group=GROUP))
    old = manifest_state(settings_for(old_index))

    _write_new(docs)
    ref_index = base / "ref-new"
    report_of(run_child(ref_index, [docs], group=GROUP))
    new = manifest_state(settings_for(ref_index))

    traced = base / "traced"
    shutil.copytree(old_index, traced)
    trace_file = base / "trace.tsv"
    rep = report_of(run_child(traced, [docs], trace=trace_file, group=GROUP))
    assert len(rep["updated"]) == 4 and len(rep["added"]) == 3 and len(rep["deleted"]) == 3
    assert manifest_state(settings_for(traced)) == new, "the hooks must not change what ingest does"
    labels = [label for _, label, _, _ in read_trace(trace_file)]

    # The states really differ, and the update run goes through every kind of step.
    assert set(old) != set(new) and any(old[s] != new[s] for s in set(old) & set(new))
    for needed in ("chroma.add:after", "chroma.delete:before", "txn:announce_chunks:committed",
                   "txn:switch_documents:committed", "txn:delete_documents:committed",
                   "txn:forget_garbage:committed", "rebuild_bm25:before"):
        assert needed in labels, f"the update run never reached {needed}: {labels}"
    assert labels.count("chroma.add:after") >= 3, "several commit groups"
    return {"base": base, "docs": docs, "old_index": old_index, "old": old, "new": new, "labels": labels}


def _point(labels: list[str], label: str, nth: int = 1) -> int:
    """1-based number of the nth point with this label."""
    hits = [i for i, x in enumerate(labels, 1) if x == label]
    return hits[nth - 1]


def _last_sweep_commit(labels: list[str]) -> int:
    """After the garbage of the last sweep is cleared, the next run finds nothing to do."""
    return max(i for i, x in enumerate(labels, 1) if x == "txn:forget_garbage:committed")


def _crash(world, point: int, name: str):
    index_dir = world["base"] / name
    shutil.copytree(world["old_index"], index_dir)
    result = run_child(index_dir, [world["docs"]], crash_at=point, group=GROUP)
    assert result.returncode == -signal.SIGKILL, (
        f"the child should have died at point {point} ({world['labels'][point - 1]}): rc={result.returncode}\n"
        f"{result.stderr[-2000:]}"
    )
    return index_dir, settings_for(index_dir)


def _check_after_crash(world, index_dir, settings) -> dict:
    old, new = world["old"], world["new"]
    sqlite_checks(index_dir)
    state = manifest_state(settings)
    for source in set(old) | set(new):
        got = state.get(source)
        allowed = [old.get(source), new.get(source)]
        assert got in allowed, f"{source} is in neither its old nor its new state"
    assert set(state) <= set(old) | set(new)

    committed = {cid: text for s in state.values() for cid, _, _, text in s.chunks}
    vectors = chroma_contents(settings)
    missing = set(committed) - set(vectors)
    assert not missing, f"{len(missing)} committed chunks have no vector in Chroma"
    assert all(vectors[cid] == text for cid, text in committed.items())
    untracked = set(vectors) - set(committed) - garbage_ids(index_dir)
    assert not untracked, f"{len(untracked)} vectors are neither committed nor recorded as garbage"

    bm25 = bm25_ids(settings)
    assert bm25 is not None and len(bm25) == len(set(bm25))
    old_ids = {cid for s in old.values() for cid, *_ in s.chunks}
    new_ids = {cid for s in new.values() for cid, *_ in s.chunks}
    assert set(bm25) <= old_ids | new_ids, "BM25 holds chunks of neither state"

    for mode, contexts in retrieve_all_modes(settings, "pipeline warehouse schema interview").items():
        assert contexts, f"{mode} retrieval found nothing after the crash"
        assert all(c.chunk.chunk_id in committed for c in contexts)
    # Committed chunks are really searchable (one per document).
    sample = {}
    for s in state.values():
        cid, _, _, text = sorted(s.chunks)[0]
        sample[cid] = text
    assert not dense_finds_own_text(settings, sample), "committed chunks the dense index cannot find"
    return state


def _check_final(world, index_dir, settings, report) -> None:
    new = world["new"]
    sqlite_checks(index_dir)
    assert manifest_state(settings) == new, "re-running ingest must reach exactly the new state"
    committed = {cid for s in new.values() for cid, *_ in s.chunks}
    vectors = chroma_contents(settings)
    assert set(vectors) == committed, (
        f"Chroma has {len(set(vectors) - committed)} leftover and {len(committed - set(vectors))} missing vectors"
    )
    assert report.chunks_total == len(vectors) == len(committed)
    assert garbage_ids(index_dir) == set()
    bm25 = bm25_ids(settings)
    if bm25 is None or sorted(bm25) != sorted(committed):
        raise StaleBM25(
            f"BM25 must index exactly the committed chunks: {len(set(bm25 or []) - committed)} not committed, "
            f"{len(committed - set(bm25 or []))} committed chunks missing"
        )
    stray = sorted(p.name for p in index_dir.glob("bm25-*") if p.name != settings_bm25_dir(settings))
    if stray:
        raise StaleBM25(f"stray BM25 folders: {stray}")
    for mode, contexts in retrieve_all_modes(settings, "pipeline warehouse schema interview").items():
        assert contexts and all(c.chunk.chunk_id in committed for c in contexts), mode
    again = ingest([world["docs"]], settings, embedder=HashEmbedding())
    assert again.chunks_embedded == 0 and not (again.added or again.updated or again.deleted)


class StaleBM25(AssertionError):
    """The BM25 side index does not match the committed chunks after recovery."""


def settings_bm25_dir(settings) -> str | None:
    from rag.store.manifest import Index

    index = Index(settings)
    try:
        return index.get_meta("bm25_dir")
    finally:
        index.close()


def _crash_and_recover(world, point: int, name: str) -> None:
    index_dir, settings = _crash(world, point, name)
    _check_after_crash(world, index_dir, settings)
    report = ingest([world["docs"]], settings, embedder=HashEmbedding())
    _check_final(world, index_dir, settings, report)


@pytest.mark.parametrize("seed", SEEDS)
def test_sigkill_at_a_seeded_point_of_the_update(world, seed):
    """A random point (fixed per seed) anywhere in the update, BM25 switch included."""
    labels = world["labels"]
    point = random.Random(seed).randint(2, len(labels))
    _crash_and_recover(world, point, f"seed-{seed}")


@pytest.mark.parametrize(
    "label, nth",
    [
        ("chroma.add:after", 2),  # new vectors in Chroma, manifest not switched yet
        ("txn:switch_documents:before-commit", 2),  # killed inside the manifest switch transaction
        ("chroma.delete:after", 1),  # old vectors gone from Chroma, garbage rows not yet cleared
        ("txn:delete_documents:committed", 1),  # deleted docs gone from the manifest, vectors still there
    ],
)
def test_sigkill_at_each_critical_step(world, label, nth):
    point = _point(world["labels"], label, nth)
    _crash_and_recover(world, point, f"{label.replace(':', '-')}-{nth}")


@pytest.mark.parametrize("label", ["rebuild_bm25:before", "os.replace:before"])
def test_sigkill_between_last_commit_and_bm25_switch(world, label):
    labels = world["labels"]
    start = _point(labels, "rebuild_bm25:before")
    point = next((i for i, x in enumerate(labels, 1) if x == label and i >= start), None)
    if point is None:
        pytest.skip(f"the BM25 build no longer reaches {label}")
    if point <= _last_sweep_commit(labels):
        pytest.fail("the BM25 build should come after the last sweep")
    _crash_and_recover(world, point, f"bm25-{label.replace(':', '-')}")
