"""Claude 3 and later token counts, offline, from ctok's measured vocabularies.

``families`` is the table of tokenizer generations; ``encoding.ClaudeEncoding`` counts text
(normalize -> marked stream -> min-cost tiling over the family's pieces). Nothing is loaded
until the first count.
"""
