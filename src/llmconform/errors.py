"""One error tree for everything a user can get wrong or a target can break, and the exit code
of each, decided here and nowhere else.

Exit codes: 0 conformant (warnings allowed), 1 conformance failures, 2 usage error (a flag, a
config file, a report or cassette given to a command), 3 could not run or complete (target
unreachable, interrupted, deadline, the packaged data broken), 5 nothing was tested, 130 a second
interrupt before anything was saved. Internal control-flow exceptions (a check's `Unverifiable`,
the schema compiler's `Unsupported`) are not part of this tree: they never reach a user.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "CatalogError",
    "ConfigError",
    "EvidenceError",
    "ExitCode",
    "LlmconformError",
    "Misconfigured",
    "TargetFailure",
    "UsageError",
    "VerificationFailed",
]


class ExitCode(IntEnum):
    """The process exit codes of every command."""

    OK = 0
    FAILURES = 1
    USAGE = 2
    COULD_NOT_RUN = 3
    NOTHING_TESTED = 5  # as pytest's "no tests ran": a run that tested nothing is no pass
    INTERRUPTED = 130  # a second Ctrl-C: stopped before a report was written (128 + SIGINT)


class LlmconformError(Exception):
    """The base of every error a command reports as one line; `exit_code` ends the process."""

    exit_code: ExitCode = ExitCode.COULD_NOT_RUN


class UsageError(LlmconformError, ValueError):
    """The caller asked for something malformed: a flag, an expression, a path, a name."""

    exit_code = ExitCode.USAGE


class Misconfigured(UsageError):
    """The target refused the run's own setup (its key, its model, its base URL) on ordinary
    requests: the caller's mistake, not the server's failure, so the run stops unjudged."""


class ConfigError(UsageError):
    """A configuration file (or a value in it) is malformed; the message names the key."""


class CatalogError(LlmconformError, ValueError):
    """The conformance data (cases, requirements, fixture sets) is malformed."""

    exit_code = ExitCode.COULD_NOT_RUN


class EvidenceError(LlmconformError, ValueError):
    """A report, cassette or signature given to a command cannot be read as one."""

    exit_code = ExitCode.USAGE


class VerificationFailed(EvidenceError):
    """Evidence was read, and does not support what the report asserts (or its signature)."""

    exit_code = ExitCode.FAILURES


class TargetFailure(LlmconformError, RuntimeError):
    """The target could not be reached or started: the run cannot go on."""

    exit_code = ExitCode.COULD_NOT_RUN
