"""One module per CLI command: gather -> judge -> render, returning an exit code."""
