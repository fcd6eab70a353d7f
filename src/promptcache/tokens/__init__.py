"""Token counting: vocabularies, the memoized counter, and per-part renderers."""
