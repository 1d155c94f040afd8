"""Configuration of one reference server instance, fixed when the app is created."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "llmconform-reference"
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
# A fixed creation time keeps `/v1/models` byte-for-byte reproducible (2025-01-01T00:00:00Z).
MODEL_CREATED = 1735689600
MODEL_OWNER = "llmconform"
SYSTEM_FINGERPRINT = "fp_llmconform"
# The context window the reference claims: prompt plus the requested completion must fit.
CONTEXT_WINDOW_TOKENS = 32_768


@dataclass(frozen=True)
class Settings:
    """What a reference server serves and how fast it pretends to think.

    The API key is kept out of `repr` so that it never lands in logs or tracebacks.
    """

    models: tuple[str, ...] = (DEFAULT_MODEL,)
    ttft_delay_s: float = 0.0
    token_delay_s: float = 0.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    api_key: str | None = None
    # Keys that authenticate but may only list models: generation answers 403 to them.
    restricted_key: str | None = None

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return (
            f"Settings(models={self.models!r}, ttft_delay_s={self.ttft_delay_s}, "
            f"token_delay_s={self.token_delay_s}, max_body_bytes={self.max_body_bytes}, "
            f"api_key=<{key}>)"
        )
