"""Request bodies into provider-ordered segments: one module per provider API."""
