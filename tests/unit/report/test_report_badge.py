"""SVG badges and shields.io endpoint files: well-formed, coloured by verdict, escaped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from llmconform.model import Outcome, ProfileVerdict, RunReport
from llmconform.report import render_badges, render_shields
from llmconform.report.badge import badge_svg, file_slugs

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def _fills(root: ET.Element) -> list[str]:
    return [r.get("fill", "") for r in root.iter(f"{SVG}rect")]


def test_one_badge_for_the_run_and_one_per_profile(sample: RunReport) -> None:
    badges = render_badges(sample)
    assert list(badges) == [
        "badge.svg",
        "badge-chat-core.svg",
        "badge-chat-streaming.svg",
        "badge-errors-and-auth.svg",
        "badge-embeddings.svg",
    ]
    root = _parse(badges["badge-chat-streaming.svg"])
    assert _texts(root) == ["llmconform 2026.11", "chat-streaming: certified"]
    assert root.get("aria-label") == "llmconform 2026.11: chat-streaming: certified"
    title = root.findtext(f"{SVG}title") or ""
    assert "sha256:" + "0123456789abcdef" * 4 in title  # the digest goes with the edition
    assert _texts(_parse(badges["badge.svg"])) == ["llmconform 2026.11", "not conformant"]


@pytest.mark.parametrize(
    ("verdict", "colour"),
    [
        (ProfileVerdict.CERTIFIED, "#2ea44f"),
        (ProfileVerdict.NOT_CERTIFIED, "#d73a49"),
        (ProfileVerdict.INCONCLUSIVE, "#dfb317"),
        (ProfileVerdict.NOT_TESTED, "#9f9f9f"),
    ],
)
def test_profile_badge_colour(build: Any, verdict: ProfileVerdict, colour: str) -> None:
    badges = render_badges(build.report(profiles=(build.profile("p", verdict),)))
    assert colour in _fills(_parse(badges["badge-p.svg"]))


@pytest.mark.parametrize(
    ("verdict", "complete", "colour", "named", "message"),
    [
        (Outcome.PASS, True, "#2ea44f", "brightgreen", "conformant"),
        (Outcome.WARN, True, "#dfb317", "yellow", "conformant with warnings"),
        (Outcome.FAIL, True, "#d73a49", "red", "not conformant"),
        (Outcome.PASS, False, "#dfb317", "yellow", "incomplete"),
        (Outcome.SKIP, True, "#9f9f9f", "lightgrey", "not tested"),
    ],
)
def test_overall_badge_follows_the_run_verdict(
    build: Any, verdict: Outcome, complete: bool, colour: str, named: str, message: str
) -> None:
    report = build.report(verdict=verdict, complete=complete)
    root = _parse(render_badges(report)["badge.svg"])
    assert colour in _fills(root) and _texts(root)[1] == message
    doc = json.loads(render_shields(report)["shields.json"])
    assert (doc["color"], doc["message"]) == (named, message)


def test_width_follows_the_text(build: Any) -> None:
    short = _parse(badge_svg("a", "b", "#000"))
    long = _parse(badge_svg("a", "b" * 30, "#000"))
    assert int(long.get("width", "0")) > int(short.get("width", "0")) + 100
    rects = [r for r in long.iter(f"{SVG}rect") if r.get("fill") in ("#555", "#000")]
    label, message = (int(r.get("width", "0")) for r in rects)
    assert label + message == int(long.get("width", "0"))


def test_hostile_names_are_escaped_and_clipped(build: Any) -> None:
    name = 'x"><script>alert(1)</script>&\x00\ufffe\udcff\u202e' + "y" * 200
    badges = render_badges(build.report(target="<t>&", profiles=(build.profile(name),)))
    assert len(badges) == 2
    for svg in badges.values():
        root = _parse(svg)
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        assert all(len(t) <= 60 for t in _texts(root))
    profile_svg = next(v for k, v in badges.items() if k != "badge.svg")
    message = _texts(_parse(profile_svg))[1]
    assert message.startswith('x"><script>alert(1)</script>&\\x00\\udcff\\u202e')
    assert message.endswith("…")


def test_shields_endpoint_documents(sample: RunReport) -> None:
    files = render_shields(sample)
    assert list(files) == [
        "shields.json",
        "shields-chat-core.json",
        "shields-chat-streaming.json",
        "shields-errors-and-auth.json",
        "shields-embeddings.json",
    ]
    expected = {
        "shields-chat-core.json": ("chat-core: not certified", "red"),
        "shields-chat-streaming.json": ("chat-streaming: certified", "brightgreen"),
        "shields-errors-and-auth.json": ("errors-and-auth: inconclusive", "yellow"),
        "shields-embeddings.json": ("embeddings: not tested", "lightgrey"),
        "shields.json": ("not conformant", "red"),
    }
    for name, text in files.items():
        doc = json.loads(text)
        # The shields.io endpoint schema: exactly these keys, schemaVersion 1, strings.
        assert set(doc) == {"schemaVersion", "label", "message", "color"}
        assert doc["schemaVersion"] == 1
        assert doc["label"] == "llmconform 2026.11"
        assert (doc["message"], doc["color"]) == expected[name]
        assert text.isascii() and text.endswith("}\n")


def test_file_slugs_are_safe_and_distinct() -> None:
    slugs = file_slugs(["chat-core", "../x", "a/b", "a_b", "A_B", "", ".env", "é"])
    assert slugs == {
        "chat-core": "chat-core",
        "../x": "_x",
        "a/b": "a_b",
        "a_b": "a_b-2",
        "A_B": "A_B-3",
        "": "profile",
        ".env": "env",
        "é": "_",
    }
