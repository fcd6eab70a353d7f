"""HAR 1.2 captures: browser devtools ("Save all as HAR"), mitmproxy's ``savehar``,
Charles, Fiddler and recording proxies.

A HAR file is one JSON document, ``{"log": {"version", "creator", "entries": [...]}}``,
which the reader yields as one record; each entry is one HTTP exchange: ``request``
(``method``, ``url``, ``headers``, ``postData``), ``response`` (``status``, ``headers``,
``content``) and ``startedDateTime``. This format explodes the document into one call per
provider POST, in the order the requests were sent (``startedDateTime``): mitmproxy saves
an exchange when its response ends, so calls made at once come in the order they ended.

What is read:

- **Which entries are calls**: POSTs whose URL path ends like a provider endpoint
  (``/chat/completions``, ``/responses``, ``/v1/messages``; Azure's
  ``/openai/deployments/NAME/chat/completions``), whatever the host, since captures go
  through proxies and mocks. A provider's refusal (status 400 or more, which it did not
  process) and a POST to the providers' other endpoints (embeddings, moderation, token
  counting, legacy completions, batches) are skipped calls, counted with why; every other
  entry (page loads, GETs, any other site's POSTs) is no call and yields nothing: a HAR
  records a whole session, not a log of prompts.
- **The body**: ``postData.text``, exactly the bytes sent; ``"encoding": "base64"`` (some
  writers' extension for bodies that are not text) is decoded and a gzip body unpacked;
  when a writer split the body into ``postData.params``, the parameters are joined back.
  A provider POST whose body is absent, cut short (``bodySize`` larger than the text) or
  not a JSON object is one :class:`LoadError` at its JSON path; the other entries are read.
- **The usage**: from ``response.content.text`` (decoded from base64 and gunzipped when
  needed); a streamed response's events are merged (OpenAI's last chunk, sent when the
  request set ``stream_options.include_usage``; Responses' ``response.completed``;
  Anthropic's ``message_start`` and ``message_delta``). A response still compressed with
  brotli, or missing, gives no usage; the call is still read.
- **The time**: ``startedDateTime``.

Headers are never read: they hold the API keys (``authorization``, ``x-api-key``).

References: the HAR 1.2 specification (http://www.softwareishard.com/blog/har-12-spec/);
mitmproxy's writer, repo mitmproxy/mitmproxy@mitmproxy/addons/savehar.py (``postData``
``text``, base64 ``encoding`` for response bodies that are not text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._reading import calls_of_own_records
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord


class HarFormat(InputFormat):
    """HAR 1.2: one call per provider POST of the capture."""

    name = "har"
    title = "HAR 1.2 capture (browser devtools, mitmproxy, Charles, proxies)"
    carries = ("exact request bodies and responses of every provider POST; no session "
               "or end user beyond the body's own fields")

    def recognize(self, value: Any) -> Recognition:
        log = value.get("log") if isinstance(value, Mapping) else None
        if not isinstance(log, Mapping) or not isinstance(log.get("entries"), list):
            return not_recognized("no 'log.entries' list (a HAR 1.2 document)")
        return RECOGNIZED

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        # Imported here: telling a file's format needs only recognize().
        from promptcache.load.formats._har_entries import document_calls

        return calls_of_own_records(self, "a HAR capture", records, document_calls)
