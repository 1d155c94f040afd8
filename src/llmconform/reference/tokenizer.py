"""The reference server's tokenizer: whitespace-prefixed words.

A token is a run of non-whitespace together with the whitespace before it (`\\s*\\S+`); a
run of whitespace at the very end of a text is one more token. The rule is lossless
(`"".join(tokenize(t)) == t` for every `t`), so streamed deltas always concatenate back to
the non-streamed content, and it is simple enough for a test to count tokens by hand:
`"Hello, big world"` is `["Hello,", " big", " world"]`.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*\S+|\s+")


def tokenize(text: str) -> list[str]:
    """Split `text` into tokens whose concatenation is `text`."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """How many tokens `text` has."""
    return len(tokenize(text))
