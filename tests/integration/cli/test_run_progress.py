"""The progress bar shows on a terminal and stays out of logs and pipes."""

from __future__ import annotations

import io

from rich.console import Console

from llmconform.pytest.conformance_run import Progress
from llmconform.run.progress import RichProgress, progress_for


def test_a_terminal_gets_a_live_bar() -> None:
    out = io.StringIO()
    progress = progress_for(Console(file=out, force_terminal=True, width=100))
    assert isinstance(progress, RichProgress)
    progress.start(3)
    progress.advance("chat.basic")
    progress.stop()
    assert "exchanging" in out.getvalue()


def test_a_pipe_gets_no_bar() -> None:
    out = io.StringIO()
    progress = progress_for(Console(file=out, force_terminal=False))
    assert type(progress) is Progress
    progress.start(3)
    progress.advance("chat.basic")
    progress.stop()
    assert out.getvalue() == ""
