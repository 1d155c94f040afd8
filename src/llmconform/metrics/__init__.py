"""Latency and accuracy statistics (pure functions over captures and counts)."""
