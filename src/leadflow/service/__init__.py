"""Use cases: one function over one transaction each; route handlers and the CLI call these."""
