"""issuer.passcache: a read made once per worker pass, afresh outside one and in another
thread."""

from __future__ import annotations

import threading

from issuer import passcache


def test_a_read_is_made_once_per_pass_and_every_time_outside():
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    assert passcache.once("k", read) == 1 and passcache.once("k", read) == 2
    with passcache.scope():
        first = passcache.once("k", read)
        assert all(passcache.once("k", read) == first for _ in range(10))
        seen = []
        other = threading.Thread(target=lambda: seen.append(passcache.once("k", read)))
        other.start()
        other.join()
        assert seen == [first + 1]          # another thread is outside this pass
        assert passcache.once("other", read) == first + 2
    with passcache.scope():
        assert passcache.once("k", read) == first + 3   # a new pass reads afresh
