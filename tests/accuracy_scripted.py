"""A scripted Chat Completions target that knows the fixture answers.

It recognises each accuracy item by the messages it receives and answers right or wrong as a
test decides (`right(set_name, k)`), so a run's accuracy is known exactly in advance. It can
also answer chosen items with an HTTP error (`status(set_name, k)`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from llmconform.catalog.accuracy_sets import (
    NO_TOOL,
    AccuracySet,
    item_request,
    load_set,
    request_key,
    set_names,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Right = Callable[[str, int], bool]
Status = Callable[[str, int], int]

# Hand-written replies that satisfy every constraint of each instruction item.
INSTRUCTION_ANSWERS = {
    "inst-001": "The ocean is vast, deep and endlessly blue.",
    "inst-002": "COFFEE WAKES ME UP EVERY MORNING.",
    "inst-003": "The night train finally pulled into the station.",
    "inst-004": "- apple\n- banana\n- cherry",
    "inst-005": "Winter brings cold mornings and long dark evenings.",
    "inst-006": "Music lifts the mood and brings people together.",
    "inst-007": "Yes, exercise strengthens the heart and improves mood.",
    "inst-008": "My cat has fur as soft as velvet.",
    "inst-009": "hello there, nice to see you",
    "inst-010": "* Paris\n* Rome\n* Madrid\n* Vienna",
    "inst-011": "Tall quiet trees whisper softly",
    "inst-012": "Riding a bicycle downhill feels like pure freedom.",
    "inst-013": "PREPARE WELL AND ARRIVE EARLY.",
    "inst-014": "A bridge is a structure that carries a road over an obstacle such as a valley.",
    "inst-015": "The moon glows softly above the quiet town on clear winter nights.",
    "inst-016": "Soft rain taps the window glass,\nand washes the dusty street.",
    "inst-017": "Honestly, pizza is the perfect food for any occasion.",
    "inst-018": "A tall peak crowned with snow.",
    "inst-019": "- Keep a schedule\n- Avoid screens late\n- Limit caffeine\n"
    "- Keep the room cool\n- Exercise daily",
    "inst-020": "The golden sun rose slowly across the sky.",
    "inst-021": "true friends stay close and help each other through everything",
    "inst-022": "STAY COOL, DRINK MORE.",
    "inst-023": "At night the city hums with traffic and neon signs.",
    "inst-024": "Blue",
    "inst-025": "Tomorrow a brand new adventure begins.",
    "inst-026": "- Python\n- Rust\n- Go\nFavourite: Python",
    "inst-027": "The wind howls through empty streets",
    "inst-028": "Warm toast with butter and a cup of tea.",
    "inst-029": "Start the work you keep postponing today.",
    "inst-030": "A library is a quiet place where people borrow reading material.",
    "inst-031": "LOUD WILD THUNDER",
    "inst-032": "First, boil water and pour it over the tea leaves.",
    "inst-033": "- Mars\n- Venus",
    "inst-034": "A good garden rewards patience and care.",
    "inst-035": "sunny walks and books",
    "inst-036": "Goodbye, see you soon.",
}
# Breaks every instruction item: three lines, mixed case, commas, over a hundred words.
WRONG_INSTRUCTION = "Sorry, Here Is A Reply,\n" + " ".join(["filler"] * 100) + "\nthe end line"


def instance(schema: Mapping[str, Any], expect: Any = None) -> Any:
    """A value valid against the small schemas of the sets, holding `expect` where given."""
    if expect is not None and schema.get("type") != "object":
        return expect
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        wanted = expect or {}
        return {k: instance(s, wanted.get(k)) for k, s in schema["properties"].items()}
    scalars: dict[str | None, Any] = {
        "string": "x",
        "integer": 1,
        "number": 1.5,
        "boolean": True,
        "array": [],
    }
    return scalars[kind]


def message_for(aset: AccuracySet, item: Mapping[str, Any], right: bool) -> dict[str, Any]:
    """The assistant message a right (or wrong) model would send for this item."""
    if aset.kind == "integer":
        return {"content": f"The answer is {item['answer'] if right else item['answer'] + 1}."}
    if aset.kind == "label":
        labels = list(aset.extra["labels"])
        label = item["label"] if right else labels[(labels.index(item["label"]) + 1) % 3]
        return {"content": label.capitalize()}
    if aset.kind == "json_schema":
        value = instance(item["schema"], item["expect"]) if right else {}
        return {"content": json.dumps(value)}
    if aset.kind == "tool_choice":
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in aset.extra["tools"]}
        wanted = item["expect"]
        if right == (wanted == NO_TOOL):  # no call: right for "none", wrong otherwise
            return {"content": "Here is my answer in text."}
        name = wanted if right else next(iter(tools))
        args = json.dumps(instance(tools[name]))
        call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}
        return {"content": None, "tool_calls": [call]}
    text = INSTRUCTION_ANSWERS[item["id"]] if right else WRONG_INSTRUCTION
    return {"content": text}


def _index() -> dict[str, tuple[AccuracySet, int]]:
    out: dict[str, tuple[AccuracySet, int]] = {}
    for name in set_names():
        aset = load_set(name)
        for k, item in enumerate(aset.items):
            out[request_key(item_request(aset, item, {}))] = (aset, k)
    return out


def scripted_app(right: Right, status: Status = lambda name, k: 200) -> Any:
    """An ASGI app answering the accuracy items right or wrong as `right` says."""
    index = _index()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload: dict[str, Any]
        code, payload = 404, {"error": {"message": "not found", "type": "invalid_request_error"}}
        if scope["path"] == "/v1/models":
            code, payload = 200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]}
        elif scope["path"] == "/v1/chat/completions":
            request = json.loads(body)
            aset, k = index[request_key(request)]
            code = status(aset.name, k)
            message = message_for(aset, aset.items[k], right(aset.name, k))
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            payload = {
                "id": f"chatcmpl-{aset.name}-{k}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": request.get("model", "scripted"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", **message},
                        "finish_reason": finish,
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
            if code != 200:
                payload = {"error": {"message": "scripted failure", "type": "server_error"}}
        data = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    return app
