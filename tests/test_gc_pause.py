"""The collector's pause around big reads and imports nests and restores what it found."""
from __future__ import annotations

import gc

from portal.content.gc_pause import cyclic_gc_paused
from portal.exams.bank import load_bank
from tests.exams.examples import docs_example_text


def test_the_pause_nests_and_gives_the_collector_back_only_when_it_was_on() -> None:
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_reading_a_bank_even_a_broken_one_gives_the_collector_back() -> None:
    bank, problems = load_bank(docs_example_text().encode(), "demo.yaml")
    assert bank is not None and problems == [] and gc.isenabled()
    bank, problems = load_bank(b"key: [unclosed", "broken.yaml")
    assert bank is None and problems and gc.isenabled()
