"""Chat streams without include_usage: no usage-only chunk.

OpenAI streams the chunk with `choices: []` and the usage only when the request set
`stream_options.include_usage`; streaming code written from the SDK's own examples reads
`chunk.choices[0]` on every chunk and raises on an unrequested usage-only chunk. (An empty
`choices` without usage, such as Azure's prompt-filter chunk, is not judged here.)
"""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, check


@check("stream.no_unrequested_usage", "STREAM-USAGE-003")
def no_unrequested_usage(ctx: CheckContext) -> Iterator[Issue]:
    """Without include_usage, no chunk is a usage-only chunk (empty choices with usage)."""
    ex = ctx.primary
    request = ex.request_json if isinstance(ex.request_json, dict) else {}
    options = request.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        raise Unverifiable("the request asked for the usage chunk")
    for i, chunk in enumerate(ex.chunk_objects):
        if chunk.get("choices") == [] and chunk.get("usage") is not None:
            yield Issue(
                "STREAM-USAGE-003",
                f"chunk {i} carries usage with empty choices, but the request did not set "
                "stream_options.include_usage",
                f"chunk[{i}]",
                ex.index,
            )
            return
