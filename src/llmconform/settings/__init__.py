"""Run settings: the one frozen settings object (`RunSettings`) and the config file parser."""

from llmconform.settings.run import DEFAULTS, RunSettings

__all__ = ["DEFAULTS", "RunSettings"]
