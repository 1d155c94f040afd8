"""List-valued `LLMCONFORM_*` variables: commas, spaces or both separate the items."""

from __future__ import annotations

import pytest

from llmconform.settings.config_file import split_list


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("chat-core,chat-streaming", ["chat-core", "chat-streaming"]),
        ("chat-core chat-streaming", ["chat-core", "chat-streaming"]),
        (" chat-core , chat-streaming,", ["chat-core", "chat-streaming"]),
        ("n\ttools\njson_schema", ["n", "tools", "json_schema"]),
        ("one", ["one"]),
        (" , ", []),
    ],
)
def test_split_list(text: str, items: list[str]) -> None:
    assert split_list(text) == items
