"""The cycle collector is paused during a draw and comes back as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from dualrandom.gcpause import gc_paused, paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_off_inside_and_on_after_even_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("the draw failed")
    assert gc.isenabled()


def test_nested_pauses_switch_it_back_on_only_at_the_end() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads() -> None:
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gc_paused():
            inside.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    inside.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread's pause still holds
    release.set()
    other.join(10)
    assert gc.isenabled()


def test_the_decorator_keeps_the_function_and_its_result() -> None:
    @paused
    def drawn(x: int) -> tuple[int, bool]:
        """Doc."""
        return x + 1, gc.isenabled()

    assert drawn(1) == (2, False)
    assert drawn.__doc__ == "Doc."
    assert gc.isenabled()
