"""Sanitising helpers shared by the renderers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from llmconform.report._common import display_safe, xml_safe


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("a\x00b\x08c\x0bd\x0ce\x1ff", "abcdef"),
        ("tab\tnl\ncr\r", "tab\tnl\ncr\r"),
        ("\ud800x\udfff", "x"),
        ("\ufffe\uffff\ufffd", "\ufffd"),
        ("\U0001f600 é \u2028", "\U0001f600 é \u2028"),
        ("\x7f\x85", "\x7f\x85"),  # allowed by XML 1.0, if discouraged
    ],
)
def test_xml_safe(raw: str, kept: str) -> None:
    assert xml_safe(raw) == kept
    ET.fromstring(f"<a>{xml_safe(raw)}</a>".encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain [b]text[/b]", "plain [b]text[/b]"),
        ("a\r\nb\nc\rd\te", "a b c d e"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),
        ("left\u202eright\u200b\u2066", "left\\u202eright\\u200b\\u2066"),
        ("lone \udcff", "lone \\udcff"),
    ],
)
def test_display_safe(raw: str, shown: str) -> None:
    assert display_safe(raw) == shown


def test_display_safe_limit() -> None:
    assert display_safe("abcdef", limit=4) == "abc…"
    assert display_safe("abcd", limit=4) == "abcd"
