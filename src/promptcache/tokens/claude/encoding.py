"""A Claude tokenizer family as an encoding: text in, token ids out."""

from __future__ import annotations

from promptcache.tokens.claude.families import ClaudeFamily, family_named
from promptcache.tokens.claude.normalize import normalize
from promptcache.tokens.claude.stream import marked_stream
from promptcache.tokens.claude.tiling import Tiler
from promptcache.tokens.claude.vocabulary import vocabulary


class ClaudeEncoding:
    """Counts text as the Claude family ``name`` does inside a message.

    ``len(encode_ordinary(text))`` is what ``text`` adds to a one-message request beyond the
    family's frame (``frame_tokens``), including what content-final newlines cost beyond the
    frame's own. The ids are stable for a vocabulary file (a piece's index; byte tokens after
    the pieces) but the boundaries between them are one min-cost tiling among possibly
    several: only their number is measured.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.family: ClaudeFamily = family_named(name)
        self._tiler = Tiler(vocabulary(name))

    @property
    def frame_tokens(self) -> int:
        """What a one-message request costs beyond its text."""
        return self.family.frame_tokens

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of ``text`` as message content."""
        family = self.family
        normalized = normalize(text, fold_curly_quotes=family.folds_curly_quotes)
        content = normalized.rstrip("\n")
        stream = marked_stream(content, raw_leading_space=text.startswith(" "),
                               frame_word_start=family.frame_ends_in_word_start,
                               all_caps_from=family.all_caps_marker_from)
        ids = self._tiler.tile(stream)
        ids += self._tiler.newline_tail(len(normalized) - len(content))
        return ids

    def count(self, text: str) -> int:
        """Number of tokens of ``text`` as message content."""
        return len(self.encode_ordinary(text))
