"""A model of the provider's prompt cache, replayed over the log."""
