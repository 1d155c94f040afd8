"""llmconform: conformance tests and certification for LLM HTTP APIs.

The public surface is small: the CLI (`llmconform`), the pytest plugin
(`llmconform.pytest_plugin`) and the data model in `llmconform.model`.
"""

__version__ = "0.1.0"
EDITION = "2026.11"

__all__ = ["EDITION", "__version__"]
