"""side_by_side: one-text-per-call model runs spread over the cores, results in order."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from rag.models.threads import resolve_threads, side_by_side


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_results_keep_the_order_of_the_items(workers):
    items = [5, 1, 4, 2, 3]
    assert side_by_side(lambda x: x * 10, items, workers) == [50, 10, 40, 20, 30]


def test_one_worker_runs_in_the_calling_thread():
    seen = side_by_side(lambda _: threading.get_ident(), range(3), 1)
    assert set(seen) == {threading.get_ident()}


def test_two_workers_run_two_calls_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def call(_):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    side_by_side(call, range(6), 2)
    assert peak[0] == 2


def test_an_error_in_a_call_reaches_the_caller():
    def call(x):
        if x == 2:
            raise ValueError("bad item")
        return x

    with pytest.raises(ValueError, match="bad item"):
        side_by_side(call, range(4), 2)


def test_a_forked_child_gets_its_own_workers():
    side_by_side(abs, [-1, -2, -3, -4], 2)
    time.sleep(0.2)  # the parent's workers are idle: a child would count on them
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the calls run (an alarm ends a hang)
        signal.alarm(5)
        os._exit(0 if side_by_side(abs, [-3, -4], 2) == [3, 4] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_zero_threads_means_one_per_core():
    assert resolve_threads(0) >= 1 and resolve_threads(3) == 3
