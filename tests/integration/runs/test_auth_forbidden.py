"""The 403 case: a key that authenticates but lacks permission."""

from __future__ import annotations

from llmconform.model import Outcome
from llmconform.reference.app import create_app

from support import TEST_KEY, run_against

RESTRICTED = "sk-restricted-for-tests-0123456789"


def outcome(app: object, restricted: str | None) -> tuple[Outcome, list[str]]:
    report = run_against(
        app, keyword="auth.forbidden", restricted_key=restricted, apis=frozenset({"openai"})
    )
    case = next(c for c in report.cases if c.case_id == "auth.forbidden")
    return case.outcome, [f.requirement for f in case.findings]


def test_reference_refuses_the_restricted_key_with_403() -> None:
    app = create_app(api_key=TEST_KEY, restricted_key=RESTRICTED)
    assert outcome(app, RESTRICTED) == (Outcome.PASS, [])


def test_a_server_that_serves_the_restricted_key_fails() -> None:
    # The "restricted" key is a full key on this server: the request is served.
    app = create_app(api_key=RESTRICTED)
    result, reqs = outcome(app, RESTRICTED)
    assert result is Outcome.FAIL and "AUTH-002" in reqs


def test_a_401_for_a_valid_but_unprivileged_key_warns() -> None:
    app = create_app(api_key=TEST_KEY)  # knows nothing of the restricted key: 401
    result, reqs = outcome(app, RESTRICTED)
    assert result is Outcome.WARN and reqs == ["AUTH-003"]


def test_without_a_restricted_key_the_case_is_skipped() -> None:
    report = run_against(
        create_app(api_key=TEST_KEY), keyword="auth.forbidden", apis=frozenset({"openai"})
    )
    case = next(c for c in report.cases if c.case_id == "auth.forbidden")
    assert case.outcome is Outcome.SKIP and "restricted_key" in case.reason


def test_a_configured_key_does_not_claim_that_the_server_requires_one() -> None:
    # The server accepts any key (mock servers do): without an explicit `auth` claim the
    # missing/invalid-key cases do not run, so a key passed for routing cannot fail AUTH-001.
    app = create_app(api_key=None)
    core = frozenset({"chat", "streaming", "stream_usage", "models"})
    report = run_against(app, keyword="auth.invalid_key", capabilities=core)
    [case] = [c for c in report.cases if c.case_id == "auth.invalid_key"]
    assert case.outcome is Outcome.SKIP and "auth" in case.reason
    claimed = run_against(app, keyword="auth.invalid_key", capabilities=core | {"auth"})
    [case] = [c for c in claimed.cases if c.case_id == "auth.invalid_key"]
    assert case.outcome is Outcome.FAIL and "AUTH-001" in [f.requirement for f in case.findings]
