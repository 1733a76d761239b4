"""Fixtures of the pure chat tests: the sample chats folder (tests/chat/data/chats), read once."""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.chat.files import ChatContent, load_folder
from portal.chat.scenario import Scenario

SAMPLE_CHATS = Path(__file__).parent / "data" / "chats"


@pytest.fixture(scope="session")
def sample_chats() -> ChatContent:
    loaded = load_folder(SAMPLE_CHATS)
    assert loaded.problems == []
    return loaded


@pytest.fixture
def carrier(sample_chats: ChatContent) -> Scenario:
    """The sample scenario of a buyer who asks for a carrier the shop does not use."""
    scenario = sample_chats.scenario("carrier-promise")
    assert scenario is not None
    return scenario
