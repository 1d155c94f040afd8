"""Unit tests of llmconform's pure core; `core_helpers` (next to this file) builds captures."""
