"""The HTML report: one self-contained page drawn from the JSON report's data (so a saved
report renders the same as a fresh audit)."""
