"""Command-line plumbing: the arguments, the plan a command resolves, ``show`` and the console's lines."""
