"""`python -m llmconform` runs the CLI."""

from llmconform.cli.main import main

main()
