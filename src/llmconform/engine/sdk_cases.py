"""SDK cases as data (pure): the features an SDK case can exercise, which SDK each drives,
and whether that SDK is installed here. Running them is the transport's (`sdk_runner`).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from llmconform.model import JSON, Case
from llmconform.registry import Registry

__all__ = [
    "CLIENTS",
    "FEATURES",
    "SDK_TAG",
    "Feature",
    "FeatureFn",
    "absent_reason",
    "load_sdk",
    "missing_sdk",
    "sdk_feature",
    "sdk_of",
]

SDK_TAG = "sdk"
CLIENTS = {"openai": "AsyncOpenAI", "anthropic": "AsyncAnthropic"}

FeatureFn = Callable[[Any, Mapping[str, str]], Awaitable[JSON]]


@dataclass(frozen=True)
class Feature:
    """One SDK feature a case exercises: which SDK, the call (for messages), and the code."""

    name: str
    sdk: str
    call: str
    run: FeatureFn
    exchanges: int = 1  # requests the feature sends one after another (for scheduling)


def _feature(fn: FeatureFn, name: str, sdk: str, call: str, exchanges: int = 1) -> Feature:
    return Feature(name, sdk, call, fn, exchanges)


FEATURES: Registry[Feature] = Registry(
    "SDK feature", ("llmconform.transport.sdk_features",), _feature
)


def sdk_feature(
    name: str, sdk: str, call: str, exchanges: int = 1
) -> Callable[[FeatureFn], FeatureFn]:
    """Define an SDK feature; a case names it with `scenario: NAME` and `tags: [sdk]`.

    `exchanges`: how many requests it sends in sequence, so that the executor starts the
    longer ones first instead of leaving them to finish alone at the end of a run.
    """
    if sdk not in CLIENTS:
        raise ValueError(f"SDK feature {name!r}: unknown SDK {sdk!r}")
    return FEATURES.define(name, sdk, call, exchanges)


def load_sdk(name: str) -> Any | None:
    """The installed SDK module, or None when it is absent (or something else has its name)."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    return module if hasattr(module, CLIENTS[name]) else None


def sdk_of(case: Case) -> str | None:
    """The SDK an SDK case drives (`openai`, `anthropic`), or None for any other case."""
    if SDK_TAG not in case.tags:
        return None
    feature = FEATURES.get(case.scenario or "")
    return feature.sdk if feature is not None else None


def missing_sdk(case: Case) -> str | None:
    """The SDK an SDK case needs when it is not installed here, or None.

    Checked before the exchanges, like an undeclared capability: the case is skipped and its
    requirements stay untested, so `sdk-compatibility` reads "not tested" rather than
    "inconclusive" on a machine without the SDKs.
    """
    sdk = sdk_of(case)
    return sdk if sdk is not None and load_sdk(sdk) is None else None


def absent_reason(sdk: str) -> str:
    """Why an SDK case did not run when its SDK is missing."""
    return (
        f"the {sdk} Python SDK is not installed, so its SDK compatibility cases were not "
        'tested; `pip install "llmconform[sdk]"` adds the SDKs'
    )
