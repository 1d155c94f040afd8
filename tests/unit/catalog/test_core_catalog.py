"""catalog: loading conformance YAML, validation errors that name the file and entry, digest."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from llmconform.catalog.loader import conformance_dir, load_catalog
from llmconform.checks import known_checks
from llmconform.engine.evaluate import (
    RATE_REQUIREMENT,
    REUSE_REQUIREMENT,
    TRANSPORT_REQUIREMENT,
)
from llmconform.errors import CatalogError
from llmconform.model import Level

GOOD = """\
area: demo
api: openai-chat
requirements:
  - id: DEMO-001
    level: MUST
    statement: The answer is polite.
    profiles: [demo]
  - id: DEMO-002
    level: SHOULD
    statement: The answer is short.
cases:
  - id: demo.basic
    title: A basic demo
    requires: [chat]
    steps:
      - path: /chat/completions
        json: {model: "${model}", messages: [{role: user, content: hi}]}
    checks: [demo.polite, {demo.short: {limit: 3}}]
"""
KNOWN = {"demo.polite": ("DEMO-001",), "demo.short": ("DEMO-002",)}


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def load(tmp_path: Path, text: str, name: str = "demo.yaml") -> None:
    load_catalog(write(tmp_path, name, text), KNOWN)


def test_a_good_file_loads_requirements_and_cases(tmp_path: Path) -> None:
    cat = load_catalog(write(tmp_path, "sub/demo.yaml", GOOD), KNOWN)
    assert list(cat.requirements) == ["DEMO-001", "DEMO-002"]
    req = cat.requirements["DEMO-001"]
    assert (req.level, req.area, req.profiles) == (Level.MUST, "demo", ("demo",))
    case = cat.cases["demo.basic"]
    assert case.api == "openai-chat"  # the file's default api
    assert case.source == "sub/demo.yaml"
    assert case.requires == ("chat",)
    assert [c.name for c in case.checks] == ["demo.polite", "demo.short"]
    assert case.checks[1].args == (("limit", 3),)
    assert case.steps[0]["json"]["model"] == "${model}"  # substitution happens when planning


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no conformance files"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        (
            "    level: SHOULD\n",
            "    level: SHOULD\n    severity: high\n",
            "unknown key(s) ['severity']",
        ),
        (
            "    title: A basic demo\n",
            "    title: A basic demo\n    timeout: 3\n",
            "unknown key(s) ['timeout']",
        ),
        ("area: demo\n", "area: demo\nversion: 2\n", "unknown key(s) ['version']"),
        (
            "    level: SHOULD\n",
            "    level: RECOMMENDED\n",
            "requirements[1]: level must be MUST, SHOULD or MAY",
        ),
        ("    level: MUST\n", "    level: must\n", "requirements[0]: level must be"),
        ("  - id: DEMO-002\n", "  - id: DEMO-001\n", "duplicate requirement id DEMO-001"),
        (
            "    steps:\n      - path: /chat/completions\n"
            '        json: {model: "${model}", messages: [{role: user, content: hi}]}\n',
            "",
            "cases[0] (demo.basic): needs a non-empty 'steps' list or a 'scenario'",
        ),
        ("  - id: demo.basic\n", "  - title: no id\n", "cases[0]: 'id' is required"),
        ("    checks: [", "    checks: [{a: 1, b: 2}, ", "a check must be a name or"),
        (
            "    requires: [chat]\n",
            "    requires: chat\n",
            "cases[0].requires: expected a list of strings",
        ),
        ("area: demo\n", "area: [demo]\n", "'area' must be a string"),
    ],
)
def test_malformed_entries_name_the_file_and_entry(
    tmp_path: Path, old: str, new: str, needle: str
) -> None:
    assert old in GOOD
    with pytest.raises(CatalogError) as err:
        load(tmp_path, GOOD.replace(old, new, 1))
    assert "demo.yaml" in str(err.value)
    assert needle in str(err.value)


def test_a_scenario_case_needs_no_steps(tmp_path: Path) -> None:
    text = GOOD.replace("    steps:\n", "    scenario: demo_flow\n    steps:\n")
    steps_block = (
        "    steps:\n      - path: /chat/completions\n"
        '        json: {model: "${model}", messages: [{role: user, content: hi}]}\n'
    )
    cat = load_catalog(write(tmp_path, "demo.yaml", text.replace(steps_block, "")), KNOWN)
    assert cat.cases["demo.basic"].scenario == "demo_flow"
    assert cat.cases["demo.basic"].steps == ()


def test_duplicate_case_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    other = "area: other\ncases:\n" + GOOD.split("cases:\n", 1)[1]
    write(tmp_path, "b.yaml", other)
    with pytest.raises(CatalogError, match=r"b\.yaml: duplicate case id demo\.basic"):
        load_catalog(tmp_path, KNOWN)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    write(tmp_path, "broken.yaml", "area: x\nrequirements: [\n  - id: {\n")
    with pytest.raises(CatalogError, match=r"^broken\.yaml: not valid YAML"):
        load_catalog(tmp_path, KNOWN)


def test_a_top_level_list_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=re.escape("demo.yaml: expected a mapping, got list")):
        load(tmp_path, "- id: x\n")


def test_an_unknown_check_is_rejected_only_when_checks_are_known(tmp_path: Path) -> None:
    text = GOOD.replace("demo.polite,", "demo.typo,")
    root = write(tmp_path, "demo.yaml", text)
    load_catalog(root)  # without known_checks nothing is cross-checked
    with pytest.raises(
        CatalogError, match=re.escape("case demo.basic names unknown check 'demo.typo'")
    ):
        load_catalog(root, KNOWN)


def test_a_check_reporting_on_an_undeclared_requirement_is_rejected(tmp_path: Path) -> None:
    known = {**KNOWN, "demo.short": ("DEMO-002", "DEMO-404")}
    with pytest.raises(CatalogError, match=r"'demo.short' reports on undeclared .*DEMO-404"):
        load_catalog(write(tmp_path, "demo.yaml", GOOD), known)


def test_a_case_without_checks_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace("    checks: [demo.polite, {demo.short: {limit: 3}}]\n", "")
    with pytest.raises(CatalogError, match=re.escape("case demo.basic applies no check")):
        load(tmp_path, text)


def test_digest_is_stable_and_tracks_levels_and_cases(tmp_path: Path) -> None:
    root = write(tmp_path / "a", "demo.yaml", GOOD)
    first = load_catalog(root).digest()
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64
    assert load_catalog(root).digest() == first
    # Prose that does not change what is tested leaves the fingerprint alone.
    reworded = GOOD.replace("title: A basic demo", "title: Another title")
    assert load_catalog(write(tmp_path / "b", "demo.yaml", reworded)).digest() == first
    changes = [
        GOOD.replace("    level: SHOULD\n", "    level: MAY\n"),
        GOOD.replace("content: hi", "content: hello"),
        GOOD.replace("{limit: 3}", "{limit: 4}"),
        GOOD.replace("requires: [chat]", "requires: [chat, n]"),
    ]
    digests = {
        load_catalog(write(tmp_path / f"c{i}", "demo.yaml", t)).digest()
        for i, t in enumerate(changes)
    }
    assert first not in digests
    assert len(digests) == len(changes)


# The packaged OpenAI files (other API folders were being written concurrently when these tests
# were; the same assertions hold for them once they settle).
OPENAI_DIR = conformance_dir() / "openai"


def test_the_packaged_openai_catalog_loads_with_the_registered_checks() -> None:
    cat = load_catalog(OPENAI_DIR, known_checks())
    assert len(cat.cases) >= 30
    assert {"chat.basic", "stream.basic", "error.malformed_json"} <= set(cat.cases)
    assert cat.requirements["STREAM-003"].level is Level.MUST


def test_every_openai_requirement_is_covered_by_a_case() -> None:
    # An orphan requirement could never be tested: every run would report it as skipped.
    checks = known_checks()
    cat = load_catalog(OPENAI_DIR, checks)
    covered = {r for case in cat.cases.values() for ref in case.checks for r in checks[ref.name]}
    covered.add(TRANSPORT_REQUIREMENT)  # the engine holds every exchange to it
    covered.add(RATE_REQUIREMENT)  # and every 429 it meets
    covered.add(REUSE_REQUIREMENT)  # and every reused connection found closed
    assert sorted(set(cat.requirements) - covered) == []


def test_a_profile_can_be_scoped_to_apis(tmp_path: Path) -> None:
    scoped = GOOD.replace(
        "api: openai-chat\n", "api: openai-chat\nprofiles:\n  demo: {apis: [openai-chat]}\n", 1
    )
    cat = load_catalog(write(tmp_path, "demo.yaml", scoped), KNOWN)
    assert cat.profile_apis == {"demo": frozenset({"openai-chat"})}
    unscoped = load_catalog(write(tmp_path / "u", "demo.yaml", GOOD), KNOWN)
    assert unscoped.profile_apis == {} and unscoped.digest() != cat.digest()


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        ("profiles:\n  nobody: {apis: [openai-chat]}\n", "no requirement names that profile"),
        ("profiles:\n  demo: {apis: [openai-chatt]}\n", "unknown API(s) ['openai-chatt']"),
        ("profiles:\n  demo: {apis: []}\n", "at least one API"),
        ("profiles:\n  demo: {api: [openai-chat]}\n", "unknown key(s) ['api']"),
        ("profiles: [demo]\n", "'profiles' must map"),
    ],
)
def test_a_bad_profile_scope_is_rejected(tmp_path: Path, block: str, needle: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(needle)):
        load(tmp_path, GOOD.replace("api: openai-chat\n", "api: openai-chat\n" + block, 1))


def test_a_profile_is_scoped_in_one_file_only(tmp_path: Path) -> None:
    scoped = GOOD.replace(
        "api: openai-chat\n", "api: openai-chat\nprofiles:\n  demo: {apis: [openai-chat]}\n", 1
    )
    write(tmp_path, "a.yaml", scoped)
    other = "area: other\nprofiles:\n  demo: {apis: [openai-chat]}\n"
    with pytest.raises(CatalogError, match="scoped in another file too"):
        load_catalog(write(tmp_path, "b.yaml", other), KNOWN)
