"""Status badges: flat two-part SVGs and shields.io endpoint JSON, one per profile (pure).

`render_badges` gives `badge.svg` (the run's verdict) and `badge-<profile>.svg`;
`render_shields` gives the same as shields.io "endpoint" documents (`shields.json`,
`shields-<profile>.json`). Profile names come from report files, which anyone can edit, so
they are reduced to a safe file-name slug and every text is XML-escaped.
"""

from __future__ import annotations

import json
import re
from html import escape

from llmconform.model import ProfileVerdict, RunReport
from llmconform.report._common import (
    PROFILE_WORDS,
    catalog_digest,
    clip,
    display_safe,
    target_text,
    verdict_label,
    xml_safe,
)

__all__ = ["badge_svg", "file_slugs", "render_badges", "render_shields"]

_TEXT_LIMIT = 60  # characters per badge half; a badge is a glance, not a report
_LABEL_COLOUR = "#555"

# (hex for our SVG, named colour for shields.io) per verdict.
_PROFILE_COLOURS: dict[ProfileVerdict, tuple[str, str]] = {
    ProfileVerdict.CERTIFIED: ("#2ea44f", "brightgreen"),
    ProfileVerdict.NOT_CERTIFIED: ("#d73a49", "red"),
    ProfileVerdict.INCONCLUSIVE: ("#dfb317", "yellow"),
    ProfileVerdict.NOT_TESTED: ("#9f9f9f", "lightgrey"),
}

# Rough Verdana 11px advance widths: good enough to size a badge without font metrics.
_NARROW = frozenset("fijlrtI!|.,:;'()[]{} ")
_WIDE = frozenset("mwMW@%")


def _text_width(text: str) -> int:
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 3.8
        elif ch in _WIDE:
            width += 10.0
        elif ch.isupper() or ch.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


def _clean(text: str, limit: int = _TEXT_LIMIT) -> str:
    # One visible line, and only characters XML 1.0 can carry (U+FFFE is not one of them).
    return xml_safe(clip(display_safe(text), limit))


def badge_svg(label: str, message: str, colour: str, *, tooltip: str = "") -> str:
    """A flat badge: grey `label` on the left, `message` on `colour` on the right."""
    label, message = _clean(label), _clean(message)
    lw, mw = _text_width(label) + 12, _text_width(message) + 12
    total = lw + mw
    alt = escape(f"{label}: {message}", quote=True)
    tip = escape(_clean(tooltip, 400) if tooltip else f"{label}: {message}", quote=True)
    text = 'fill="#fff" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{alt}">\n'
        f"  <title>{tip}</title>\n"
        f'  <linearGradient id="shine" x2="0" y2="100%">'
        f'<stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        f'<stop offset="1" stop-opacity=".1"/></linearGradient>\n'
        f'  <clipPath id="round"><rect width="{total}" height="20" rx="3" fill="#fff"/>'
        f"</clipPath>\n"
        f'  <g clip-path="url(#round)">'
        f'<rect width="{lw}" height="20" fill="{_LABEL_COLOUR}"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#shine)"/></g>\n'
        f'  <g {text} text-anchor="middle">\n'
        f'    <text x="{lw / 2:.1f}" y="14">{escape(label)}</text>\n'
        f'    <text x="{lw + mw / 2:.1f}" y="14">{escape(message)}</text>\n'
        f"  </g>\n"
        f"</svg>\n"
    )


def _run_colours(report: RunReport) -> tuple[str, str]:
    label = verdict_label(report)
    if label.startswith("NOT CONFORMANT"):
        return _PROFILE_COLOURS[ProfileVerdict.NOT_CERTIFIED]
    if label == "CONFORMANT":
        return _PROFILE_COLOURS[ProfileVerdict.CERTIFIED]
    if label == "NOT TESTED":
        return _PROFILE_COLOURS[ProfileVerdict.NOT_TESTED]
    return _PROFILE_COLOURS[ProfileVerdict.INCONCLUSIVE]  # warnings, incomplete


def _label(report: RunReport) -> str:
    return f"llmconform {report.info.edition}"


def _tooltip(report: RunReport, text: str) -> str:
    digest = catalog_digest(report.info)
    detail = f"edition {report.info.edition}, catalog {digest or 'digest not recorded'}"
    return f"{text} ({detail}; target {target_text(report.info.target)})"


def file_slugs(names: list[str]) -> dict[str, str]:
    """A distinct, path-safe slug per profile name (`[A-Za-z0-9._-]`, no leading dot).

    Names that collapse to the same slug get `-2`, `-3`, … so no file overwrites another.
    """
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for name in dict.fromkeys(names):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")[:64] or "profile"
        slug, n = base, 1
        while slug.lower() in used:  # case-insensitive file systems
            n += 1
            slug = f"{base}-{n}"
        used.add(slug.lower())
        slugs[name] = slug
    return slugs


def render_badges(report: RunReport) -> dict[str, str]:
    """File name -> SVG text: `badge.svg` for the run, `badge-<profile>.svg` per profile."""
    colour, _ = _run_colours(report)
    overall = verdict_label(report).lower()
    files = {
        "badge.svg": badge_svg(
            _label(report), overall, colour, tooltip=_tooltip(report, f"run: {overall}")
        )
    }
    slugs = file_slugs([p.name for p in report.profiles])
    for p in report.profiles:
        message = f"{p.name}: {PROFILE_WORDS[p.verdict]}"
        files[f"badge-{slugs[p.name]}.svg"] = badge_svg(
            _label(report),
            message,
            _PROFILE_COLOURS[p.verdict][0],
            tooltip=_tooltip(report, message),
        )
    return files


def _endpoint(label: str, message: str, colour: str) -> str:
    # The shields.io endpoint schema: only these keys (unknown keys are rejected).
    doc = {
        "schemaVersion": 1,
        "label": _clean(label),
        "message": _clean(message),
        "color": colour,
    }
    return json.dumps(doc, ensure_ascii=True, indent=2) + "\n"


def render_shields(report: RunReport) -> dict[str, str]:
    """File name -> shields.io endpoint JSON, for the run and for each profile."""
    _, colour = _run_colours(report)
    files = {"shields.json": _endpoint(_label(report), verdict_label(report).lower(), colour)}
    slugs = file_slugs([p.name for p in report.profiles])
    for p in report.profiles:
        message = f"{p.name}: {PROFILE_WORDS[p.verdict]}"
        files[f"shields-{slugs[p.name]}.json"] = _endpoint(
            _label(report), message, _PROFILE_COLOURS[p.verdict][1]
        )
    return files
