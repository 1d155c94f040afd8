"""`python -m llmconform` runs the CLI."""

from llmconform.cli import main

main()
