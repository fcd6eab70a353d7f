"""Find secrets and personal data in prompt text, and replace them.

Reports quote prompt text (snippets, the values at a divergence, names in messages), and logs
are full of things that must never be copied into a CI log or a code-scanning alert: API
keys, tokens in headers, private keys, card numbers, and the email addresses and phone
numbers of the people being served. Everything a report quotes passes through here.

Two tools:

- :func:`redact_slice` replaces every secret overlapping a slice of a text, looking at the
  text around the slice, so a key cut in half by a snippet's edge is still recognized;
- :func:`secrets_in` lists the secrets of whole texts, and :func:`scrub` removes any
  fragment of them from text that was cut from those texts elsewhere (a rule's snippet of
  the part of a system prompt that changed may hold the tail of a card number whose head
  stayed the same).

Patterns favour catching a secret over keeping a look-alike readable, except where a
look-alike is common in prompts: digit runs must be Luhn-valid with a card network's first
digit (timestamps and order ids stay), "sk-" needs a digit in 20 characters (``sk-learn``
stays), provider prefixes need a long random run after them (``xai-sdk``, ``npm_config_cache``
stay), hex ids and UUIDs are never touched (Twilio's "AC"/"SK" ids are upper-case prefixes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

REDACTED = "[redacted]"
"""What a secret is replaced with."""

FRAGMENT_CHARS = 8
"""A piece of a known secret this long or longer is removed by :func:`scrub`."""

DIGIT_GROUP_CHARS = 4
"""A group of a card or phone number this long (separated by spaces or dashes) is removed by
:func:`scrub` on its own."""

_LOOKAROUND_CHARS = 256
"""How far :func:`redact_slice` reads past a slice's edges to see a secret whole."""
_PEM_LOOKBACK_CHARS = 16_384
"""How far back it looks for the start of a private key block (a 4096-bit key is ~3.2 KB)."""

_Check = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    check: _Check | None = None
    """A test the matched secret must also pass (a digit, a digit count)."""
    token_start: bool = False
    """The match must not be glued to a letter, digit, '_' or '-' before it ("task-..." is
    no "sk-" key), for prefixes that could end a word; distinctive prefixes ("sk-ant-",
    "ghp_") count anywhere. Checked here: a look-behind would cost the regex engine its fast
    search for the literal prefix."""
    in_names: bool = False
    """With ``token_start``: the match may still follow '_' or '-', as the last word of a
    variable's name ("DB_PASSWORD=...", "TWILIO_AUTH_TOKEN=...")."""
    lowered: bool = False
    """The regex is written in lower case and runs on the lower-cased text: a case-blind
    regex is several times slower."""
    hints: tuple[str, ...] = ()
    """Words (lower case) one of which the text must hold for the regex to run at all."""


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def _token_like(text: str) -> bool:
    """A credential, not a word: a digit, or both cases after the first letter ("Basic
    dXNlcjpwYXNz"), or base64 padding. Keeps "Basic understanding" readable."""
    rest = text[1:]
    return (_has_digit(text) or "=" in text or "/" in text or "+" in text
            or (any(char.isupper() for char in rest) and any(char.islower() for char in rest)))


def _phone_digits(text: str) -> bool:
    digits = sum(char.isdigit() for char in text)
    return 8 <= digits <= 15 if text.startswith("+") else 7 <= digits <= 15


@cache
def _patterns() -> tuple[_Pattern, ...]:
    """The secret patterns, compiled on first use: most runs have nothing to redact, and
    compiling them all would add about 7 ms to every start-up (a pre-commit hook's run)."""
    return (
        # Private key blocks, to their END line (or as far as the text goes, when it is cut).
        _Pattern("private key", re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL)),
        # OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-) and Anthropic (sk-ant-api03-) keys. Random
        # base62 always holds a digit; hyphenated words after "sk-" (sk-learn-...) do not.
        _Pattern("API key", re.compile(r"sk-[A-Za-z0-9_\-]{20,}"), _has_digit, token_start=True),
        # Project, service account and admin keys are distinctive enough to be found glued to
        # a name ("run-sk-proj-...", a fine-tuned model's suffix).
        _Pattern("API key", re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),
                 _has_digit),
        _Pattern("API key", re.compile(r"sk-ant-[a-z]+\d\d-[A-Za-z0-9_\-]{8,}")),
        # Stripe secret and restricted keys, webhook secrets.
        _Pattern("API key", re.compile(r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,}")),
        _Pattern("API key", re.compile(r"whsec_[A-Za-z0-9+/=]{20,}")),
        # Google API keys.
        _Pattern("API key", re.compile(r"AIza[0-9A-Za-z_\-]{30,}")),
        # GitHub classic and fine-grained tokens.
        _Pattern("token", re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}")),
        _Pattern("token", re.compile(r"github_pat_[A-Za-z0-9_]{30,}")),
        # AWS access key ids (the secret key has no shape of its own: see the assignments below).
        _Pattern("access key id", re.compile(
            r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)[0-9A-Z]{16}(?![A-Za-z0-9])"),
            token_start=True),
        # Slack tokens and webhook URLs.
        _Pattern("token", re.compile(r"xox[abeoprs]-[A-Za-z0-9\-]{10,}")),
        _Pattern("token", re.compile(r"xapp-\d-[A-Za-z0-9\-]{10,}")),
        _Pattern("webhook", re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+")),
        # Hugging Face tokens (hf_ and 34 letters; "hf_hub_download" has underscores).
        _Pattern("token", re.compile(r"hf_[A-Za-z0-9]{30,}"), token_start=True),
        # xAI ("xai-" and 80 letters and digits) and Groq ("gsk_" and 52) keys: a run that
        # long after the prefix is no word ("xai-sdk", "gsk_client" stay).
        _Pattern("API key", re.compile(r"xai-[A-Za-z0-9]{40,}")),
        _Pattern("API key", re.compile(r"gsk_[A-Za-z0-9]{40,}")),
        # GitLab tokens, by the prefixes GitLab documents for each kind (personal, OAuth
        # application, deploy, runner, CI job, pipeline trigger, feed, incoming mail, agent,
        # SCIM, feature flags); routable ones end in a version and a checksum
        # ("glpat-....01.0wa1b2c3d"), and the legacy runner registration token starts GR1348941.
        _Pattern("token", re.compile(
            r"gl(?:pat|oas|dt|rt|rtr|cbt|ptt|ft|imt|agent|soat|ffct)-[A-Za-z0-9_\-]{20,}"
            r"(?:\.[A-Za-z0-9]{2}\.[A-Za-z0-9]{6,12})?")),
        _Pattern("token", re.compile(r"GR1348941[A-Za-z0-9_\-]{20,}")),
        # npm access tokens: "npm_" and 36 letters and digits ("npm_config_cache" stays).
        _Pattern("token", re.compile(r"npm_[A-Za-z0-9]{36,}")),
        # SendGrid API keys: "SG.", a 22-character id, ".", a 43-character secret.
        _Pattern("API key", re.compile(r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}")),
        # Twilio account SIDs and API key SIDs: "AC" or "SK" and 32 hex digits, not part of a
        # longer hex run (an upper-case SHA-256 starting "AC" stays; hex ids never match, they
        # are lower case).
        # (One pattern per prefix: a literal start lets the regex engine search for it fast.)
        *(_Pattern("API key", re.compile(prefix + r"[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
                   token_start=True) for prefix in ("AC", "SK")),
        # Azure storage and Service Bus connection strings ("AccountKey=...;",
        # "SharedAccessKey=...") and the signature of a shared access signature ("&sig=...",
        # URL-encoded base64): the value goes, the name stays.
        _Pattern("credential", re.compile(
            r"(?:account|sharedaccess)key[ \t]*=[ \t]*(?P<secret>[a-z0-9+/]{20,}={0,2})"),
            lowered=True, hints=("accountkey", "sharedaccesskey")),
        _Pattern("credential", re.compile(r"sig=(?P<secret>[a-z0-9%+/_\-]{16,}=*)"),
                 _token_like, token_start=True, lowered=True, hints=("sig=",)),
        # JSON Web Tokens: two base64url JSON objects ('{"' encodes as "eyJ") and a signature.
        _Pattern("token", re.compile(
            r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"), token_start=True),
        # Headers: the value is replaced, the header's name stays readable. An Authorization
        # value is a scheme and a token; a cookie header runs to the end of its line.
        _Pattern("header", re.compile(
            r"(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
            r"(?P<secret>(?:[a-z][a-z0-9\-]*[ \t]+)?[^\s\"',;]{4,})"),
            token_start=True, lowered=True, hints=("authorization",)),
        _Pattern("header", re.compile(
            r"(?:x-(?:goog-)?)?api[-_ ]?key[\"']?[ \t]*[:=][ \t]*[\"']?(?P<secret>[^\s\"',;]{4,})"),
            token_start=True, lowered=True, hints=("api",)),
        _Pattern("header", re.compile(
            r"(?:set-)?cookie[\"']?[ \t]*[:=][ \t]*[\"']?(?P<secret>[^\r\n\"']{4,})"),
            token_start=True, lowered=True, hints=("cookie",)),
        # Credentials assigned in config, code or prose: "password: ...", "client_secret=...".
        _Pattern("credential", re.compile(
            r"(?:password|passwd|passphrase|secret|client[-_]?secret|"
            r"(?:access|refresh|auth|session|id)[-_]?token|aws[-_]?secret[-_]?access[-_]?key|"
            r"private[-_]?key)[\"']?[ \t]*[:=][ \t]*[\"']?(?P<secret>[^\s\"',;]{6,})"),
            token_start=True, in_names=True, lowered=True,
            hints=("passw", "passphrase", "secret", "token", "key")),
        # Bearer and Basic credentials anywhere.
        _Pattern("token", re.compile(r"(?:bearer|basic)[ \t]+(?P<secret>[a-z0-9._~+/\-]{12,}=*)"),
                 _token_like, token_start=True, lowered=True),
        # Personal data: email addresses (found from the '@', see _email_spans) and phone numbers
        # (a finding names the kind instead).
        _Pattern("phone number", re.compile(
            r"(?:"
            r"\+\d[\d .\-()]{5,20}\d"                        # +44 20 7946 0958, +14155550123
            r"|\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}"              # (415) 555-0123
            r"|\d{3}[.\-]\d{3}[.\-]\d{4}"                      # 415-555-0123
            r"|0\d{2,4}[ \-]\d{3,4}[ \-]?\d{3,4}"              # 020 7946 0958
            r")(?![\w\-]|[.:/]\d)"), _phone_digits, token_start=True),
    )

_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-])")
_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_PHONE_GLUE = frozenset("+.-/:")
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9])\d+(?:[ \-]\d+)*(?![A-Za-z0-9])")
_DIGITS = re.compile(r"\d+")
_WHOLE_DIGITS = re.compile(r"(?<!\d)\d+(?!\d)")
_NUMBER = re.compile(r"\+?[\d ()\-.]+")


def secret_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every secret in ``text``, sorted (spans may overlap)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few non-ASCII letters lower-case to two characters
        lowered = "".join(char.lower() if char.isascii() else char for char in text)
    spans: list[tuple[int, int]] = []
    for pattern in _patterns():
        if pattern.hints and not any(hint in lowered for hint in pattern.hints):
            continue
        group = "secret" if "secret" in pattern.regex.groupindex else 0
        for found in pattern.regex.finditer(lowered if pattern.lowered else text):
            if pattern.token_start and _glued(text, found.start(), pattern.in_names):
                continue
            left, right = found.span(group)
            if pattern.check is not None and not pattern.check(text[left:right]):
                continue
            if pattern.kind == "phone number" and left and text[left - 1] in _PHONE_GLUE:
                continue
            spans.append((left, right))
    spans.extend(_email_spans(text))
    spans.extend(_card_spans(text))
    spans.sort()
    return spans


def _glued(text: str, start: int, in_names: bool = False) -> bool:
    if start == 0:
        return False
    before = text[start - 1]
    return before.isalnum() or (not in_names and before in "_-")


def _email_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for found in _EMAIL_DOMAIN.finditer(text):
        start = found.start()
        # A local part has at most 64 characters: the bound keeps a long run of letters
        # before many '@' from being walked again and again.
        while start > max(0, found.start() - 64) and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        if start < found.start():
            spans.append((start, found.end()))
    return spans


def _card_spans(text: str) -> list[tuple[int, int]]:
    """Card numbers: 13 to 19 digits in groups split by single spaces or dashes, with a card
    network's first digit and a valid Luhn check. Every run of consecutive groups is tried,
    so a card next to a date ("2025-03-01 4111 1111 1111 1111") is still found."""
    spans = []
    for run in _DIGIT_RUN.finditer(text):
        if run.end() - run.start() < 13:
            continue  # fewer than 13 digits: most numbers end here
        groups = [(found.start() + run.start(), found.end() + run.start())
                  for found in _DIGITS.finditer(run.group())]
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                if len(groups) > 1 and groups[last][1] - groups[last][0] < 3:
                    break  # cards are written in groups of 3 to 6 ("1 2 3 4 ..." is a list)
                digits += text[groups[last][0]:groups[last][1]]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _card_like(digits):
                    spans.append((groups[first][0], groups[last][1]))
    return spans


def _card_like(digits: str) -> bool:
    # Networks start at 2 (Mastercard) to 6 (Discover, UnionPay, Maestro); 13-digit cards are
    # Visa. A millisecond timestamp (17...) or a 1-prefixed order id is never one.
    if digits[0] not in "23456" or (len(digits) == 13 and digits[0] != "4"):
        return False
    return luhn_valid(digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number passes."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[redacted]``."""
    return redact_slice(text, 0, len(text))


def redact_slice(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with every secret that overlaps it replaced, even one cut in half."""
    # Read a little beyond the slice so a key straddling its edge is still seen whole, and
    # back to the start of a private key block the slice may sit inside.
    window_start = max(0, start - _LOOKAROUND_CHARS)
    block = text.rfind("-----BEGIN", max(0, start - _PEM_LOOKBACK_CHARS), start)
    if block != -1:
        window_start = min(window_start, block)
    window = text[window_start:end + _LOOKAROUND_CHARS]
    return _replace(text, start, end,
                    [(window_start + left, window_start + right)
                     for left, right in secret_spans(window)])


def _replace(text: str, start: int, end: int, spans: Iterable[tuple[int, int]]) -> str:
    pieces: list[str] = []
    position = start
    replacing = False
    for span_start, span_end in sorted(spans):
        if span_end <= position or span_start >= end:
            continue
        # Two patterns may find one secret ("sk-" and "sk-proj-"), or overlapping ones: a span
        # that starts inside the replaced text extends it, and shows as one [redacted].
        if not (replacing and span_start <= position):
            pieces.append(text[position:max(position, span_start)])
            pieces.append(REDACTED)
            replacing = True
        position = max(position, min(end, span_end))
    pieces.append(text[position:end])
    return "".join(pieces)


def secrets_in(texts: Iterable[str]) -> frozenset[str]:
    """Every secret found in ``texts`` (whole texts: prompts as the log holds them)."""
    found: set[str] = set()
    for text in texts:
        found.update(text[left:right] for left, right in secret_spans(text))
    return frozenset(found)


def scrub(text: str, secrets: frozenset[str]) -> str:
    """``text`` redacted, and with every piece of one of ``secrets`` replaced as well, wherever
    it was cut: any run of ``FRAGMENT_CHARS`` or more of its characters, and any whole group
    of ``DIGIT_GROUP_CHARS`` or more digits of a card or phone number (a card's last four)."""
    text = redact(text)
    if not secrets:
        return text
    covered = _fragments(text, secrets) + _digit_groups(text, secrets)
    if not covered:
        return text
    # A piece matched with the space that separates groups inside the secret (a card's "1111 ")
    # keeps that space in the text around it.
    trimmed = [(start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip()))
               for start, end in covered for piece in (text[start:end],)]
    return _replace(text, 0, len(text), trimmed)


def _fragments(text: str, secrets: frozenset[str]) -> list[tuple[int, int]]:
    windows = {secret[offset:offset + FRAGMENT_CHARS] for secret in secrets
               for offset in range(len(secret) - FRAGMENT_CHARS + 1)}
    covered: list[tuple[int, int]] = []
    for offset in range(len(text) - FRAGMENT_CHARS + 1):
        if text[offset:offset + FRAGMENT_CHARS] in windows:
            if covered and covered[-1][1] >= offset:
                covered[-1] = (covered[-1][0], offset + FRAGMENT_CHARS)
            else:
                covered.append((offset, offset + FRAGMENT_CHARS))
    return covered


def _digit_groups(text: str, secrets: frozenset[str]) -> list[tuple[int, int]]:
    groups = {group for secret in secrets if _NUMBER.fullmatch(secret)
              for group in _DIGITS.findall(secret) if len(group) >= DIGIT_GROUP_CHARS}
    if not groups:
        return []
    return [found.span() for found in _WHOLE_DIGITS.finditer(text) if found.group() in groups]
