"""Function tools for the reference server: validating `tools`/`tool_choice`, deciding calls.

The reference server honours `tool_choice` deterministically:

- `"none"` (or no tools): answer in text.
- `"required"`: call the declared functions the last user message names (in the order they
  are named), or the first declared function when it names none.
- a named function (`{"type": "function", "function": {"name": …}}`): call exactly that one.
- `"auto"` (the default with tools): call the functions the last user message names; answer
  in text when it names none, or when a tool result already follows that message (the
  client is reporting back, so the model answers instead of calling again).
- `allowed_tools`: the same rules, over the listed subset, in its `auto`/`required` mode.

`parallel_tool_calls: false` keeps only the first call. Arguments are the minimal value the
function's `parameters` schema admits (see `instances`), so they always validate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llmconform.reference import params
from llmconform.reference.errors import bad_request, echo, invalid_type, missing

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MODES = ("none", "auto", "required")


@dataclass(frozen=True)
class Function:
    """A declared function tool."""

    name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolPlan:
    """What the request asks of tools: the declared functions and how they may be used."""

    functions: tuple[Function, ...] = ()
    mode: str = "none"  # "none", "auto", "required"
    forced: str | None = None  # a function named by tool_choice
    allowed: tuple[str, ...] | None = None  # allowed_tools subset, else every function
    parallel: bool = True


def parse_tools(body: params.Body) -> ToolPlan:
    """Validate `tools`, `tool_choice` and `parallel_tool_calls`; 400 on the first bad one."""
    functions = tuple(_function(t, f"tools[{i}]") for i, t in enumerate(_tool_list(body)))
    names = [f.name for f in functions]
    if len(set(names)) != len(names):
        raise bad_request(
            "Invalid 'tools': function names must be unique.", param="tools", code="invalid_value"
        )
    parallel = params.boolean(body, "parallel_tool_calls")
    plan = ToolPlan(functions, "auto" if functions else "none", parallel=parallel is not False)
    choice = body.get("tool_choice")
    if choice is None:
        return plan
    if isinstance(choice, str):
        if choice not in _MODES:
            raise bad_request(
                f"Invalid value for 'tool_choice': {echo(choice)!r} is not one of "
                f"{', '.join(_MODES)}.",
                param="tool_choice",
                code="invalid_value",
            )
        mode = choice
        forced = None
        allowed = None
    elif isinstance(choice, dict):
        mode, forced, allowed = _choice_object(choice)
    else:
        raise invalid_type("tool_choice", "a string or an object", choice)
    if mode != "none" and not functions:
        raise bad_request(
            "'tool_choice' requires 'tools' to declare at least one function.",
            param="tool_choice",
            code="invalid_value",
        )
    for name in [forced] if forced else list(allowed or ()):
        if name not in names:
            raise bad_request(
                f"Invalid 'tool_choice': no declared function is named {echo(name)!r}.",
                param="tool_choice",
                code="invalid_value",
            )
    return ToolPlan(functions, mode, forced, allowed, plan.parallel)


def _tool_list(body: params.Body) -> list[Any]:
    return params.array(body, "tools") or []


def _function(tool: Any, where: str) -> Function:
    if not isinstance(tool, dict):
        raise invalid_type(where, "an object", tool)
    kind = tool.get("type")
    if kind is None:
        raise missing(f"{where}.type")
    if kind != "function":
        raise bad_request(
            f"Invalid value for '{where}.type': {echo(kind)!r} is not supported; use 'function'.",
            param=f"{where}.type",
            code="invalid_value",
        )
    fn = params.obj(tool, "function", param=f"{where}.function")
    if fn is None:
        raise missing(f"{where}.function")
    name = fn.get("name")
    if name is None:
        raise missing(f"{where}.function.name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad_request(
            f"Invalid '{where}.function.name': {echo(name)!r} must be 1-64 characters "
            "of a-z, A-Z, 0-9, underscores and dashes.",
            param=f"{where}.function.name",
            code="invalid_value",
        )
    params.string(fn, "description", param=f"{where}.function.description")
    strict = fn.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise invalid_type(f"{where}.function.strict", "a boolean", strict)
    schema = params.obj(fn, "parameters", param=f"{where}.function.parameters")
    return Function(name, schema if schema is not None else {"type": "object", "properties": {}})


def _choice_object(choice: params.Body) -> tuple[str, str | None, tuple[str, ...] | None]:
    kind = choice.get("type")
    if kind == "function":
        fn = params.obj(choice, "function", param="tool_choice.function")
        name = fn.get("name") if fn else None
        if not isinstance(name, str):
            raise missing("tool_choice.function.name")
        return "required", name, None
    if kind == "allowed_tools":
        spec = params.obj(choice, "allowed_tools", param="tool_choice.allowed_tools")
        if spec is None:
            raise missing("tool_choice.allowed_tools")
        mode = spec.get("mode")
        if mode not in ("auto", "required"):
            raise bad_request(
                "Invalid 'tool_choice.allowed_tools.mode': expected 'auto' or 'required'.",
                param="tool_choice.allowed_tools.mode",
                code="invalid_value",
            )
        names = []
        for i, tool in enumerate(params.array(spec, "tools") or []):
            fn = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise missing(f"tool_choice.allowed_tools.tools[{i}].function.name")
            names.append(fn["name"])
        return str(mode), None, tuple(names)
    raise bad_request(
        "Invalid 'tool_choice.type': expected 'function' or 'allowed_tools'.",
        param="tool_choice.type",
        code="invalid_value",
    )


def planned_calls(plan: ToolPlan, last_user_text: str, answered: bool) -> tuple[Function, ...]:
    """The functions to call, in order; empty means "answer in text".

    `answered` says a tool result follows the last user message: `auto` then answers.
    """
    if plan.mode == "none" or not plan.functions:
        return ()
    if plan.forced is not None:
        return tuple(f for f in plan.functions if f.name == plan.forced)[:1]
    usable = [f for f in plan.functions if plan.allowed is None or f.name in plan.allowed]
    named = _named_in(usable, last_user_text)
    if plan.mode == "auto" and (answered or not named):
        return ()
    calls = named or usable[:1]
    return tuple(calls if plan.parallel else calls[:1])


def _named_in(functions: list[Function], text: str) -> list[Function]:
    """Functions whose name appears in `text` as a whole word, in order of appearance."""
    found: list[tuple[int, Function]] = []
    for fn in functions:
        match = re.search(rf"(?<![A-Za-z0-9_-]){re.escape(fn.name)}(?![A-Za-z0-9_-])", text)
        if match:
            found.append((match.start(), fn))
    return [fn for _, fn in sorted(found, key=lambda item: item[0])]
