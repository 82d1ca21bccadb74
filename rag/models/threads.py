"""How many inference threads a model gets, and how one-text-per-call models use them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def resolve_threads(threads: int) -> int:
    """0 means one per available core; counted without importing torch (the ONNX path never loads it)."""
    return threads or max(1, len(os.sched_getaffinity(0)))


@lru_cache(maxsize=8)
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="onnx")


# A forked child inherits the pools but not their threads: it would wait on them forever.
os.register_at_fork(after_in_child=_pool.cache_clear)


def side_by_side(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """fn over items, `workers` at a time, results in order.

    The INT8 rerankers run one text per onnxruntime call (their scores must not depend on
    the rest of a batch). Such small calls barely use a second intra-op thread: 12 passages
    took 250-430 ms with one session on 2 threads, and 235-280 ms as two single-thread calls
    side by side (onnxruntime releases the GIL; InferenceSession.run is thread-safe)."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(i) for i in items]
    return list(_pool(workers).map(fn, items))
