"""One module per wire format: request helpers, stream reducers and terminal-event rules."""
