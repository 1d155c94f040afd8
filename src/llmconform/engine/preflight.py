"""Tell a misconfigured run from a failing server, from the run's own first answers (pure).

A wrong or missing key, a model the target does not serve, or a base URL without its `/v1`
makes every ordinary request fail; judged, that reads as a non-conformant server (dozens of
MUST failures, exit 1) when the caller's setup is wrong. These functions decide it from the
answers to the run's *own* requests only: the `GET /models` probe and the ordinary requests
(the configured key, the run's model). The auth and error cases send a deliberately invalid
key or an unknown model on purpose; their 401s and 404s are the server's to get right and are
never read here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from llmconform.model import Capture, Request

__all__ = ["Preflight", "key_refused", "listed_models", "models_problem", "wrong_base_url"]

_KEY_STATUSES = frozenset({401, 403})
_SHOWN_MODELS = 8
_MODEL_ID_CHARS = 80


def key_refused(status: int, has_key: bool, key_env: str) -> str:
    """The line for a target that refused the run's own credentials with `status`."""
    if not has_key:
        return (
            f"the target refused the run's requests with {status} and no key is set: "
            f"set {key_env} (or name the variable holding the key with --api-key-env)"
        )
    return (
        f"the target refused the run's own requests with {status}: the key in {key_env} "
        "is not accepted; check its value and that it belongs to this server"
    )


def wrong_base_url(base_url: str, what: str) -> str:
    """The line for a target whose ordinary paths are all 404: a base URL without `/v1`."""
    base = base_url.rstrip("/")
    hint = (
        f"did you mean --target {base}/v1?"
        if not base.endswith("/v1")
        else "check the path of --target"
    )
    return f"{what} answered 404: does the base URL end in /v1? {hint}"


def listed_models(capture: Capture) -> list[str] | None:
    """The model ids a `GET /models` answer lists, or None when it lists none readably."""
    if capture.status != 200 or capture.truncated or capture.error:
        return None
    try:
        data = json.loads(capture.body)["data"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(data, list):
        return None
    ids = [m.get("id") for m in data if isinstance(m, dict)]
    return [i for i in ids if isinstance(i, str)] or None


def models_problem(model: str, ids: list[str]) -> str:
    """The line for a run whose model the target does not list (and refused with 404)."""
    shown = ", ".join(i[:_MODEL_ID_CHARS] for i in ids[:_SHOWN_MODELS])
    more = f" and {len(ids) - _SHOWN_MODELS} more" if len(ids) > _SHOWN_MODELS else ""
    return (
        f"the model {model[:_MODEL_ID_CHARS]!r} is not served: GET /models lists {shown}{more}; "
        "pass one of them with --model"
    )


def _is_models(request: Request) -> bool:
    return request.method == "GET" and request.path.strip("/") == "models"


@dataclass
class Preflight:
    """Watches a run's answers as they arrive; returns a line once the setup is refused.

    Called with every capture (the probe's too), in arrival order; it needs the probe's
    answer (without one, the model lookup's `GET /models` already worked and nothing is
    decided). Decides on: a 401/403 to an ordinary request (the run's own key and model)
    before any was served, when the probe was refused too (a key that served `GET /models`
    and is refused elsewhere is the server's failure); a 404 to the first ordinary chat
    request when the probe was 404 as well (no `/v1`) or listed models without the run's.
    Anything else is the server's to be judged on; after the first decision nothing more is
    read.
    """

    model: str
    has_key: bool
    key_env: str
    base_url: str
    expect_probe: bool = True
    _models: Capture | None = field(default=None, repr=False)
    _chat: Capture | None = field(default=None, repr=False)
    _refused: Capture | None = field(default=None, repr=False)  # an ordinary 401/403
    _served: bool = False  # an ordinary request got an answer other than 401/403
    _done: bool = False

    def _ordinary(self, request: Request) -> bool:
        body = request.json
        return (
            request.auth == "default"
            and request.content is None
            and isinstance(body, dict)
            and body.get("model") == self.model
        )

    def __call__(self, capture: Capture) -> str | None:
        """A line saying what is wrong on the caller's side, or None (judge normally)."""
        request = capture.request
        if self._done or capture.status is None or request.auth != "default":
            return None
        if _is_models(request):
            self._models = capture
        elif self._ordinary(request):
            if capture.status in _KEY_STATUSES and not self._served:
                self._refused = self._refused or capture
            else:
                self._served = True
            if self._chat is None and request.path.strip("/") == "chat/completions":
                self._chat = capture
        return self._decide()

    def _decide(self) -> str | None:
        if not self.expect_probe:
            self._done = True  # the lookup's GET /models already worked: nothing to add
            return None
        models = self._models
        if models is None:
            return None  # wait for the probe
        refused = self._refused
        if refused is not None and refused.status is not None:
            self._done = True
            # The same key served GET /models: the server refuses it elsewhere (say, in an
            # x-api-key header), which is its failure to be judged, not the caller's setup.
            if models.status == 200:
                return None
            return key_refused(refused.status, self.has_key, self.key_env)
        chat = self._chat
        if chat is None:
            return None  # wait for the first ordinary chat answer
        self._done = True
        if chat.status != 404:
            return None
        if models.status == 404:
            return wrong_base_url(self.base_url, "both GET /models and POST /chat/completions")
        ids = listed_models(models)
        if ids and self.model not in ids:
            return models_problem(self.model, ids)
        return None
