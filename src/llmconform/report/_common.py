"""Helpers shared by the renderers: verdict wording, per-API tallies, text sanitising.

Everything here is pure. Text that reached a report from a target (finding messages,
excerpts, reasons) is untrusted: it may carry terminal escape sequences, bidi overrides
or characters that XML 1.0 cannot represent, so renderers pass it through these helpers.
"""

from __future__ import annotations

import re
from collections import Counter

from llmconform.model import CaseResult, Outcome, ProfileVerdict, RunInfo, RunReport

# Display order of outcomes in tallies: the everyday ones first, the rare ones last.
OUTCOME_ORDER: tuple[Outcome, ...] = (
    Outcome.PASS,
    Outcome.WARN,
    Outcome.FAIL,
    Outcome.ERROR,
    Outcome.SKIP,
    Outcome.UNSUPPORTED,
)

# C0/C1 controls (ESC starts terminal escape sequences) and the invisible bidi/format
# characters that can make text display differently from what it is ("Trojan Source").
_UNSAFE_DISPLAY = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)
# Anything XML 1.0 (§2.2 Char) does not allow, lone surrogates included.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Drop characters that cannot appear in an XML 1.0 document (escaping is ElementTree's job)."""
    return _XML_ILLEGAL.sub("", text)


def display_safe(text: str, *, limit: int | None = None) -> str:
    r"""Make untrusted text safe to print on one terminal line.

    Line breaks and tabs become spaces; other controls and invisible format characters are
    shown as `\xNN`/`\uNNNN` so they are visible rather than acted on. With `limit`, the
    result is cut to that many characters and ends with an ellipsis.
    """
    flat = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    shown = _UNSAFE_DISPLAY.sub(_visible_escape, flat)
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - 1, 0)] + "…"
    return shown


def multiline_safe(text: str) -> str:
    r"""Like `display_safe`, but keeps line breaks (normalised to `\n`) and tabs."""
    flat = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE_DISPLAY.sub(_visible_escape, flat)


TARGET_LIMIT = 200  # characters of a target label or model id any rendering shows


def target_text(text: str) -> str:
    """A target label or model id as renderings show it: the target chose the model id, and
    a 3 MB one was printed whole to the terminal and made a 12 MB junit.xml."""
    return clip(text, TARGET_LIMIT)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _visible_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def case_counts(report: RunReport) -> dict[str, Counter[Outcome]]:
    """Outcome tallies of the cases, per API, in order of first appearance."""
    per_api: dict[str, Counter[Outcome]] = {}
    for case in report.cases:
        per_api.setdefault(case.api, Counter())[case.outcome] += 1
    return per_api


def verdict_label(report: RunReport) -> str:
    """The headline of a report: CONFORMANT, NOT CONFORMANT, INCOMPLETE, ….

    A MUST failure is definitive even in an incomplete run; otherwise an incomplete run (or
    one whose verdict is `error`) certifies nothing, whatever else it saw.
    """
    incomplete = not report.info.complete or report.verdict is Outcome.ERROR
    if report.verdict is Outcome.FAIL:
        return "NOT CONFORMANT (run incomplete)" if incomplete else "NOT CONFORMANT"
    if incomplete:
        return "INCOMPLETE"
    if report.verdict is Outcome.WARN:
        return "CONFORMANT WITH WARNINGS"
    if report.verdict is Outcome.SKIP:
        return "NOT TESTED"
    return "CONFORMANT"


def api_summaries(report: RunReport) -> list[str]:
    """One `chat: 31 cases — 29 pass, 1 warn, 1 fail, 0 error, 0 skip` entry per API.

    `unsupported` is only mentioned when it occurred.
    """
    parts = []
    for api, counts in case_counts(report).items():
        total = sum(counts.values())
        tally = [f"{counts[o]} {o.value}" for o in OUTCOME_ORDER if o is not Outcome.UNSUPPORTED]
        if counts[Outcome.UNSUPPORTED]:
            tally.append(f"{counts[Outcome.UNSUPPORTED]} unsupported")
        noun = "case" if total == 1 else "cases"
        parts.append(f"{display_safe(api)}: {total} {noun} — {', '.join(tally)}")
    return parts


def summary_line(report: RunReport) -> str:
    """The case tallies on one plain line; several APIs are joined with `; `."""
    return "; ".join(api_summaries(report)) or "no cases"


def skip_reason(case: CaseResult) -> str:
    """Why a skipped or unsupported case did not count, never empty."""
    if case.outcome is not Outcome.UNSUPPORTED:
        return case.reason or "skipped"
    # A spec-permitted "not supported" answer: its finding usually says what was answered.
    detail = case.reason or next(
        (f.message for f in case.findings if f.outcome is Outcome.UNSUPPORTED), ""
    )
    return f"unsupported: {detail}" if detail else "unsupported by the target"


# Human wording of the profile verdicts (no emoji: job summaries and logs read them as words).
PROFILE_WORDS: dict[ProfileVerdict, str] = {
    ProfileVerdict.CERTIFIED: "certified",
    ProfileVerdict.NOT_CERTIFIED: "not certified",
    ProfileVerdict.INCONCLUSIVE: "inconclusive",
    ProfileVerdict.NOT_TESTED: "not tested",
}


def catalog_digest(info: RunInfo) -> str:
    """The catalog digest the run used (`sha256:…`), or "" when the report does not record it.

    It identifies the exact requirement and case definitions behind an edition name, so every
    renderer shows it next to the edition.
    """
    digest = info.options.get("catalog_digest")
    return digest if isinstance(digest, str) else ""


def short_digest(digest: str) -> str:
    """`sha256:` and the first 12 hex digits, as `llmconform list` prints it."""
    return digest[:19]


def edition_text(info: RunInfo, *, short: bool = False) -> str:
    """`2026.11 (catalog sha256:…)`; the digest part says so when it was not recorded."""
    digest = catalog_digest(info)
    if not digest:
        return f"{info.edition} (catalog digest not recorded)"
    return f"{info.edition} (catalog {short_digest(digest) if short else digest})"


def nearest_rank(sorted_values: list[float], percent: int) -> float:
    """The nearest-rank percentile of ascending, non-empty values (`percent` in 1..100).

    The smallest value such that at least `percent`% of the values are less than or equal
    to it: the value of rank ceil(percent/100 * n). Integer arithmetic, so p50 of four
    values is exactly the second one.
    """
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, -(-percent * len(sorted_values) // 100))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def requirement_statements(report: RunReport) -> dict[str, str]:
    """Requirement id -> statement, for renderers that show a finding next to its rule."""
    return {rr.requirement.id: rr.requirement.statement for rr in report.requirements}


def expired_waivers(report: RunReport) -> list[str]:
    """One line per waiver the run found expired (recorded in its options) and so ignored."""
    lines = []
    for waiver in report.info.options.get("waivers") or []:
        if isinstance(waiver, dict) and waiver.get("status") == "expired":
            lines.append(
                f"waiver for {clip(str(waiver.get('requirement')), 60)} expired on "
                f"{clip(str(waiver.get('expires')), 20)}: ignored, the requirement is judged "
                "as if it had none"
            )
    return lines
