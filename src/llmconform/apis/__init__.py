"""One module per wire format: request helpers, stream reducers and terminal-event rules.

A format too large for one module is a few modules that share its name (`open_responses_*`).
"""
