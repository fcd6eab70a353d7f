"""promptcache: audit LLM request logs for prompt-cache misses."""

# A literal, not importlib.metadata: reading installed metadata costs 50 ms at every start.
__version__ = "0.1.0"
