"""promptcache: audit LLM request logs for prompt-cache misses."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("promptcache")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
