"""``OutputCapture``: the first bytes of each stream are kept, the rest counted, none lost to a race."""

from __future__ import annotations

import os

from autograder.sandbox.capture import OutputCapture


def _stream(data: bytes):  # type: ignore[no-untyped-def]
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    return os.fdopen(read_end, "rb", buffering=0)


def test_the_first_bytes_are_kept_and_the_rest_counted() -> None:
    capture = OutputCapture(limit=10)
    threads = [capture.drain("stdout", _stream(b"0123456789abcdef")), capture.drain("stderr", _stream(b"oops\n"))]
    for thread in threads:
        thread.join(timeout=5)
    output = capture.snapshot()
    assert (output.stdout, output.stdout_dropped) == ("0123456789", 6)
    assert (output.stderr, output.stderr_dropped) == ("oops\n", 0)


def test_settle_waits_for_what_is_in_the_pipe() -> None:
    for _ in range(50):  # the race it guards against is a read in flight when the snapshot is taken
        capture = OutputCapture(limit=1 << 16)
        read_end, write_end = os.pipe()
        capture.drain("stdout", os.fdopen(read_end, "rb", buffering=0))
        os.write(write_end, b"printed while loading\n")
        capture.settle()
        assert capture.snapshot().stdout == "printed while loading\n"
        os.close(write_end)


def test_undecodable_bytes_are_replaced() -> None:
    capture = OutputCapture(limit=100)
    capture.drain("stdout", _stream(b"caf\xe9\n")).join(timeout=5)
    assert capture.snapshot().stdout == "caf\ufffd\n"
