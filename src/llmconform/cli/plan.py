"""`llmconform plan` (and `run --dry-run`): the requests and token limits a run would spend.

Nothing is sent; the plan is counted from the packaged catalog and the run's options.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from llmconform.cli.common import (
    fail,
    packaged_catalog,
)
from llmconform.cli.completion import complete_capabilities, complete_cases, complete_profiles
from llmconform.engine import budget as budgets
from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES, CORE_CAPABILITIES
from llmconform.engine.select import known_profiles
from llmconform.settings import DEFAULTS

__all__ = ["budget_json", "plan_command", "show_plan", "target_kind"]


def target_kind(target: str) -> str:
    """The kind of a `--target` value, without opening it."""
    if target in ("", "reference"):
        return "reference"
    for prefix in ("replay", "asgi"):
        if target.startswith(prefix + ":"):
            return prefix
    return "http"


def _requests_cell(t: budgets.Totals) -> str:
    text = f"{t.requests:,}"
    if t.upper_bound_cases:
        text = f"≤ {text}"
    if t.uncounted_cases:
        text += f" + {t.uncounted_cases} uncounted"
    return text


def _tokens_cell(t: budgets.Totals) -> str:
    text = f"{t.max_tokens:,}"
    return f"{text} + {t.unbounded} unbounded" if t.unbounded else text


def budget_json(plan: budgets.RunBudget) -> dict[str, Any]:
    """The plan as JSON-ready data (for `--json`)."""
    from dataclasses import asdict

    return {
        "total": asdict(plan.total),
        "profiles": {name: asdict(t) for name, t in sorted(plan.per_profile.items())},
        "cases": [asdict(c) for c in plan.cases],
        "skipped": [{"case": cid, "reason": why} for cid, why in plan.skipped],
        "notes": list(plan.notes),
    }


def show_plan(
    plan: budgets.RunBudget, console: Console, *, as_json: bool = False, cases: bool = False
) -> None:
    """Print a plan: a table per profile and the total (or JSON), then the notes."""
    if as_json:
        console.print_json(json.dumps(budget_json(plan), ensure_ascii=False))
        return
    table = Table(title="What this run would spend (nothing is sent)", title_justify="left")
    for column in ("profile", "cases", "requests", "max output tokens", "~prompt tokens"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    for name, t in sorted(plan.per_profile.items()):
        table.add_row(
            escape(name),
            str(t.cases),
            _requests_cell(t),
            _tokens_cell(t),
            f"~{t.prompt_tokens_estimate:,}",
        )
    t = plan.total
    table.add_section()
    table.add_row(
        "[bold]total[/]",
        str(t.cases),
        _requests_cell(t),
        _tokens_cell(t),
        f"~{t.prompt_tokens_estimate:,}",
    )
    console.print(table)
    if cases:
        detail = Table("case", "requests", "max output tokens", "note")
        for c in plan.cases:
            n = (
                "?"
                if c.requests is None
                else (f"≤ {c.requests}" if c.upper_bound else str(c.requests))
            )
            tokens = f"{c.max_tokens:,}" + (f" + {c.unbounded} unbounded" if c.unbounded else "")
            detail.add_row(escape(c.case_id), n, tokens, escape(c.note))
        console.print(detail)
    if plan.skipped:
        console.print(
            f"{len(plan.skipped)} selected case(s) will be skipped (undeclared capabilities)."
        )
    notes = list(plan.notes)
    if t.unbounded:
        notes.append(
            "unbounded: a request without max_tokens / max_completion_tokens / max_output_tokens"
        )
    if t.upper_bound_cases:
        notes.append(
            "≤: scenario cases are counted at their maximum; they stop early on bad answers"
        )
    if t.uncounted_cases:
        notes.append("uncounted: SDK cases (the SDK builds their requests); see --cases")
    for note in notes:
        console.print(f"[dim]- {escape(note)}[/]")


@click.command("plan", short_help="Count the requests and tokens a run would spend.")
@click.option(
    "--target", default="reference", show_default=True, help="As for `run` (only its kind matters)."
)
@click.option(
    "--api", "apis", multiple=True, type=click.Choice([*API_FAMILIES, "all"]), help="As for `run`."
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="NAME",
    help="As for `run`.",
    shell_complete=complete_profiles,
)
@click.option(
    "--capability",
    "capabilities",
    multiple=True,
    metavar="NAME",
    help="As for `run`.",
    shell_complete=complete_capabilities,
)
@click.option(
    "-k", "--filter", "keyword", default=None, help="As for `run`.", shell_complete=complete_cases
)
@click.option(
    "--requests",
    "n_requests",
    type=click.IntRange(1, 100_000),
    default=DEFAULTS.requests,
    show_default=True,
)
@click.option("--warmup", type=click.IntRange(0, 1000), default=DEFAULTS.warmup, show_default=True)
@click.option(
    "--property-examples",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Examples per property case [default: the case's].",
)
@click.option("--cases", "show_cases", is_flag=True, help="Also list every case.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan_command(
    target: str,
    apis: tuple[str, ...],
    profiles: tuple[str, ...],
    capabilities: tuple[str, ...],
    keyword: str | None,
    n_requests: int,
    warmup: int,
    property_examples: int | None,
    show_cases: bool,
    as_json: bool,
) -> None:
    """Count the requests and token limits a run would spend, per profile, before spending them."""
    catalog = packaged_catalog()
    unknown = sorted(set(capabilities) - ALL_CAPABILITIES)
    if unknown:
        fail(
            f"unknown capability {', '.join(unknown)}; known: {', '.join(sorted(ALL_CAPABILITIES))}"
        )
    bad = [p for p in profiles if p not in known_profiles(catalog)]
    if bad:
        fail(f"unknown profile {', '.join(bad)}; known: {', '.join(known_profiles(catalog))}")
    try:
        plan = budgets.plan_run(
            catalog,
            target_kind=target_kind(target),
            apis=(frozenset(API_FAMILIES) if "all" in apis else frozenset(apis)) or None,
            profiles=tuple(dict.fromkeys(profiles)),
            capabilities=CORE_CAPABILITIES | frozenset(capabilities) if capabilities else None,
            keyword=keyword,
            requests=n_requests,
            warmup=warmup,
            property_examples=property_examples,
        )
    except budgets.BudgetError as exc:
        fail(str(exc))
    show_plan(plan, Console(), as_json=as_json, cases=show_cases)
