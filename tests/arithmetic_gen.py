"""The seeded generator of `fixtures/accuracy/arithmetic.yaml` (run once; the data is committed).

`python tests/accuracy/arithmetic_gen.py > src/llmconform/fixtures/accuracy/arithmetic.yaml`
regenerates the file byte for byte; a test holds the committed items to this generator.
"""

from __future__ import annotations

import random
import sys
from typing import Any

SEED = 20250611
COUNT = 60
TIMES = "\u00d7"  # the multiplication sign, as the prompts print it
SUFFIX = " Reply with the result as an integer only."


def _one(rng: random.Random, form: int) -> tuple[str, int, tuple[int, ...]]:
    if form == 0:
        a, b = rng.randint(100, 999), rng.randint(100, 999)
        return f"{a} + {b}", a + b, (a, b)
    if form == 1:
        a, b = rng.randint(10, 500), rng.randint(10, 900)
        return f"{a} - {b}", a - b, (a, b)
    if form == 2:
        a, b = rng.randint(12, 99), rng.randint(12, 99)
        return f"{a} {TIMES} {b}", a * b, (a, b)
    if form == 3:
        b, q = rng.randint(3, 19), rng.randint(12, 99)
        return f"{b * q} ÷ {b}", q, (b * q, b)
    if form == 4:
        a, b, c = rng.randint(10, 60), rng.randint(10, 60), rng.randint(3, 12)
        return f"({a} + {b}) {TIMES} {c}", (a + b) * c, (a, b, c)
    a, b, c = rng.randint(11, 40), rng.randint(11, 40), rng.randint(50, 900)
    return f"{a} {TIMES} {b} - {c}", a * b - c, (a, b, c)


def generate(seed: int = SEED, count: int = COUNT) -> list[dict[str, Any]]:
    """The items: six forms in turn; an answer never equals an operand (so echoing fails)."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    while len(items) < count:
        expr, answer, operands = _one(rng, len(items) % 6)
        if answer in operands:
            continue
        n = len(items) + 1
        items.append(
            {"id": f"arith-{n:03d}", "prompt": f"What is {expr}?{SUFFIX}", "answer": answer}
        )
    return items


HEADER = f"""\
# Arithmetic: exact integer answers. Generated once by tests/accuracy/arithmetic_gen.py with
# random.Random({SEED}): {COUNT} items, six expression forms in turn (a + b, a - b,
# a {TIMES} b, exact division, (a + b) {TIMES} c, a {TIMES} b - c). A test holds this file to
# the generator.
kind: integer
description: Single-step and two-step integer arithmetic, answered with the integer only.
threshold: 0.85
normalisation:
  - the reply is the assistant message content (no content counts as a wrong answer)
  - commas are removed and a Unicode minus sign is read as '-'
  - "the last number in the reply is the answer; a decimal part of zeros is allowed (42.0 = 42)"
  - exact match with the expected integer
items:
"""


def render(items: list[dict[str, Any]]) -> str:
    """The YAML text of the set (written by hand so that the layout is stable)."""
    lines = [HEADER.rstrip("\n")]
    for item in items:
        lines.append(f"  - id: {item['id']}")
        lines.append(f'    prompt: "{item["prompt"]}"')
        lines.append(f"    answer: {item['answer']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(generate()))
