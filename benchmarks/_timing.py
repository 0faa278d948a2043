"""The timer the benchmark scripts share (they import it as ``from _timing import best_of``)."""

import time


def best_of(fn, repeat=1, clock=time.perf_counter):
    """Result of the last call and the shortest time of ``repeat`` calls of ``fn``, in seconds.

    The minimum is the estimate least disturbed by other processes on a shared machine.
    """
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = clock()
        out = fn()
        best = min(best, clock() - t0)
    return out, best
