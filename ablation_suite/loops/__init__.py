"""The trial loops of each design: cells (runner), searches, chained stages and ``seeds="auto"`` rounds, with
the search spaces and pruning they use. Every loop takes a ``Run`` and returns an ``Outcome``."""
