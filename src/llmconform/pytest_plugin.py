"""The name `-p llmconform.pytest_plugin` and the pytest11 entry point load.

The plugin lives in `llmconform.pytest.plugin`; pytest finds hooks by attribute name, so
re-exporting them here keeps the published name working.
"""

from llmconform.pytest.plugin import pytest_addoption, pytest_configure

__all__ = ["pytest_addoption", "pytest_configure"]
