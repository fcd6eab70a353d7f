"""Secrets and personal data never reach a report, and --no-snippets keeps out prompt text.

The patterns one by one (each shape redacted, look-alikes left readable, a secret cut by a
snippet's edge), then a generated log whose changing values are secrets, audited for real in
every format, to files, and through ``promptcache diff``: no piece of a secret in any byte of
any output; with ``--no-snippets``, none of the prompts' words either, and the same findings.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptcache.cli.main import main
from promptcache.redaction import REDACTED, luhn_valid, redact, redact_slice, scrub, secrets_in
from promptcache.report.output_format import OutputFormat
from promptcache.snippets import around, excerpt, omit_quoted, prompt_text_hidden

REPORT_SCHEMA = json.loads(
    files("promptcache").joinpath("schemas", "report.schema.json").read_text("utf-8"))
WINDOW = 12
"""No run of this many characters of a secret may appear in an output."""

_RNG = random.Random(20250301)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_DIGITS = "0123456789"
_HEX = "0123456789abcdef"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _random(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(length))


def _luhn_complete(digits: str) -> str:
    """``digits`` and the check digit that makes them Luhn-valid."""
    return next(digits + check for check in _DIGITS if luhn_valid(digits + check))


def _card(head: str, separator: str) -> str:
    number = _luhn_complete(head + _random(15 - len(head), _DIGITS))
    return separator.join(number[i:i + 4] for i in range(0, 16, 4))


def _private_key() -> str:
    lines = [_random(64, _ALNUM + "+/") for _ in range(6)]
    # Split so that the file never holds a key header a secret scanner would flag.
    return "\n".join(["-----BEGIN " + "RSA PRIVATE KEY-----", *lines,
                      "-----END RSA PRIVATE KEY-----"])


@dataclass(frozen=True)
class Kind:
    """One shape of secret: how to make one, and how it sits in a prompt."""

    name: str
    make: Callable[[], str]
    """A fresh secret value (every key is built from pieces: no real-looking key in this
    file for a secret scanner to flag)."""
    context: Callable[[str], str] | None = None
    """The value in its context (a header's name, a cue), when it needs one."""

    def embed(self, value: str) -> str:
        """How ``value`` sits in a prompt."""
        return value if self.context is None else self.context(value)


KINDS = (
    Kind("openai", lambda: "sk-" + "proj-" + _random(156)),
    Kind("openai-service-account", lambda: "sk-" + "svcacct-" + _random(60)),
    Kind("openai-legacy", lambda: "sk-" + _random(48)),
    Kind("anthropic", lambda: "sk-" + "ant-api03-" + _random(93) + "-" + _random(6) + "AA"),
    Kind("google", lambda: "AI" + "za" + _random(35)),
    Kind("github", lambda: "gh" + "p_" + _random(36)),
    Kind("github-fine-grained", lambda: "github" + "_pat_" + _random(22) + "_" + _random(59)),
    Kind("aws-access-key-id",
         lambda: "AK" + "IA" + _random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
    Kind("slack", lambda: "xo" + "xb-" + _random(12, _DIGITS) + "-" + _random(13, _DIGITS) + "-"
         + _random(24)),
    Kind("stripe-secret", lambda: "sk" + "_live_" + _random(99)),
    Kind("stripe-restricted", lambda: "rk" + "_live_" + _random(99)),
    Kind("hugging-face", lambda: "hf" + "_" + _random(34, _ALNUM[:52])),
    Kind("xai", lambda: "xa" + "i-" + _random(80)),
    Kind("groq", lambda: "gs" + "k_" + _random(52)),
    Kind("gitlab-personal", lambda: "glp" + "at-" + _random(20, _ALNUM + "_-") + "x1"),
    Kind("gitlab-routable", lambda: "glp" + "at-" + _random(27) + ".01." + _random(9)),
    Kind("gitlab-deploy", lambda: "gl" + "dt-" + _random(20)),
    Kind("gitlab-runner", lambda: "gl" + "rt-" + _random(20)),
    Kind("npm", lambda: "np" + "m_" + _random(36)),
    Kind("sendgrid", lambda: "S" + "G." + _random(22, _ALNUM + "_-") + "." + _random(43)),
    Kind("azure-account-key", lambda: _random(86, _ALNUM + "+/") + "==",
         lambda value: "DefaultEndpointsProtocol=https;AccountName=corpstore;"
                       f"Account{'Key'}={value};EndpointSuffix=core.windows.net"),
    Kind("azure-sas-signature", lambda: _random(40) + "%3D",
         lambda value: "https://corpstore.blob.core.windows.net/c/b.png?sv=2022-11-02"
                       f"&se=2026-01-01&sp=r&si{'g'}={value}"),
    Kind("twilio-account-sid", lambda: "A" + "C" + _random(29, _HEX) + _random(3, _DIGITS)),
    Kind("twilio-api-key", lambda: "S" + "K" + _random(29, _HEX) + _random(3, _DIGITS)),
    Kind("twilio-auth-token", lambda: _random(29, _HEX) + _random(3, _DIGITS),
         lambda value: f"TWILIO_AUTH_{'TOKEN'}={value}"),
    Kind("slack-webhook", lambda: "https://hooks.slack.com/" + "services/T" + _random(8, _UPPER)
         + "/B" + _random(10, _UPPER) + "/" + _random(24)),
    Kind("jwt", lambda: "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.ey" + "J" + _random(60) + "."
         + _random(43)),
    Kind("private-key", _private_key, lambda value: f"Signing key:\n{value}\nUse it."),
    Kind("authorization-bearer", lambda: _random(40),
         lambda value: f"Authorization: Bearer {value}"),
    Kind("proxy-authorization-basic", lambda: _random(30) + "==",
         lambda value: f"Proxy-Authorization: Basic {value}"),
    Kind("x-api-key", lambda: _random(32), lambda value: f"X-Api-Key: {value}"),
    Kind("api-key", lambda: _random(32), lambda value: f'"api-key": "{value}"'),
    Kind("cookie", lambda: "sid=" + _random(32), lambda value: f"Cookie: {value}"),
    Kind("bearer-alone", lambda: _random(36), lambda value: f"send it as Bearer {value} please"),
    Kind("card-spaces", lambda: _card("4111", " "), lambda value: f"Card on file {value}."),
    Kind("card-dashes", lambda: _card("5555", "-"), lambda value: f"Card on file {value}."),
    Kind("card-plain", lambda: _card("4012", ""), lambda value: f"Card on file {value}."),
    # Not example.com: the rule docs that SARIF carries hold an example address there.
    Kind("email", lambda: f"{_random(8, _ALNUM[26:52])}.{_random(6, _ALNUM[26:52])}@corp-mail.test",
         lambda value: f"The customer writes from {value} today."),
    Kind("phone", lambda: "+1 415 555 " + _random(4, _DIGITS),
         lambda value: f"Call the customer back on {value} today."),
)


def _windows(secret: str) -> Iterator[str]:
    for offset in range(max(1, len(secret) - WINDOW + 1)):
        yield secret[offset:offset + WINDOW]


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return sorted({window for secret in secrets for window in _windows(secret) if window in text})


# --- the patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_each_secret_shape_is_redacted(kind: Kind) -> None:
    value = kind.make()
    text = f"before {kind.embed(value)}\nafter"  # a cookie header runs to the end of its line
    redacted = redact(text)
    assert _leaks(redacted, [value]) == []
    assert REDACTED in redacted
    assert redacted.startswith("before ")
    assert redacted.endswith("\nafter")


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("Authorization: Bearer abcdefgh12345678XYZ", "Authorization: [redacted]",
                 id="authorization-keeps-its-name"),
    pytest.param('{"X-Api-Key": "abcd1234efgh5678"}', '{"X-Api-Key": "[redacted]"}',
                 id="json-header"),
    pytest.param("password = hunter2hunter2", "password = [redacted]", id="password"),
    pytest.param("client_secret: Zm9vYmFyYmF6cXV4", "client_secret: [redacted]",
                 id="client-secret"),
    pytest.param("mail bob.jones+billing@shop.example.co.uk now", "mail [redacted] now",
                 id="email"),
    pytest.param("ring (415) 555-0199 or 020 7946 0958", "ring [redacted] or [redacted]",
                 id="phones"),
    pytest.param("amex 3782 822463 10005 ok", "amex [redacted] ok", id="amex-grouping"),
    pytest.param("on 2025-03-01 4111 1111 1111 1111", "on 2025-03-01 [redacted]",
                 id="card-after-a-date"),
    pytest.param("logs/glp" + "at-abcdefghij0123456789XYZabcd.01.0wa1b2c3d.jsonl",
                 "logs/[redacted].jsonl", id="gitlab-routable-in-a-file-name"),
    pytest.param("AccountName=corp;Account" + "Key=dGhpcyBpcyBub3QgYSByZWFsIGtleQ==;"
                 "EndpointSuffix=core.windows.net",
                 "AccountName=corp;AccountKey=[redacted];EndpointSuffix=core.windows.net",
                 id="azure-connection-string"),
    pytest.param("export DB_PASS" + "WORD=Zx81hunter2", "export DB_PASSWORD=[redacted]",
                 id="password-at-the-end-of-a-variable-name"),
    pytest.param("model gpt-4o-sk-" + "proj-Ab3dEf6hIj9kLm2nOp5qRs8t", "model gpt-4o-[redacted]",
                 id="project-key-glued-to-a-name"),
])
def test_redaction_in_context(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    pytest.param("pip install sk-learn; import sk-learn-contrib-extensions", id="sk-learn"),
    pytest.param("the task-abcdefghijklmnopqrstuvwxyz0123 finished", id="sk-inside-a-word"),
    pytest.param("order 4111 1111 1111 1112 shipped", id="luhn-invalid-card"),
    pytest.param("order 1234567890123456 shipped", id="luhn-invalid-digits"),
    pytest.param("at 1714000000006 ms", id="millisecond-timestamp"),
    pytest.param("at 2025-03-01T10:00:00Z and 2025-03-01 10:00:00", id="iso-times"),
    pytest.param("order ORD-2025-000123-4567 and invoice 2024-0000-1234", id="order-ids"),
    pytest.param("commit deadbeef1234 and e3b0c44298fc1c149afbf4c8996fb92427ae41e4", id="hex"),
    pytest.param("trace 123e4567-e89b-12d3-a456-426614174000", id="uuid"),
    pytest.param("call hf_hub_download(repo)", id="hf-function"),
    pytest.param("A Basic understanding of the Bearer of bad news", id="basic-and-bearer-prose"),
    pytest.param("version 1.2.3.4 on 10.0.0.12, 1,024 tokens, 3.14159", id="numbers"),
    pytest.param("write to @support or support@localhost", id="not-an-email"),
    pytest.param("the api key is configured elsewhere", id="api-key-prose"),
    pytest.param("pip install xai-sdk, then load xai-org/grok-1", id="xai-words"),
    pytest.param("gsk_client = Groq(); gsk_fixtures_for_tests", id="groq-words"),
    pytest.param("tokens start with glpat- or gldt-; see glrt-runner-docs", id="gitlab-prefixes"),
    pytest.param("read npm_config_cache and npm_package_version", id="npm-variables"),
    pytest.param("SG.1 and SG.Singapore.office are branches", id="sendgrid-like"),
    pytest.param("sha256 AC" + "0123456789ABCDEF" * 3 + "0123456789ABCD", id="upper-hex-digest"),
    pytest.param("object ac0123456789abcdef0123456789abcdef stored", id="lower-hex-id"),
    pytest.param("SharedAccessKeyName=RootManageSharedAccessKey;", id="azure-key-name"),
    pytest.param("flags &sig=verification_pending&sig=1", id="sig-words"),
    pytest.param("TWILIO_AUTH_TOKEN is set in the environment", id="twilio-variable-prose"),
    pytest.param("see https://api.slack.com/messaging/webhooks", id="slack-docs-url"),
])
def test_look_alikes_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_a_secret_cut_by_the_snippet_edge_is_still_redacted() -> None:
    key = KINDS[0].make()
    text = f"Use the key {key} for every call."
    middle = text.index(key) + len(key) // 2
    # The slice ends in the middle of the key, then starts in the middle of it.
    assert redact_slice(text, 0, middle) == "Use the key [redacted]"
    assert redact_slice(text, middle, len(text)) == "[redacted] for every call."
    shown = around(text, middle - 3, middle + 3, 30)
    assert _leaks(shown, [key]) == []
    assert REDACTED in shown
    # The key starts inside excerpt()'s window and runs past it.
    assert excerpt(text, 20) == "Use the key [redact…"


@pytest.mark.parametrize("kind", [
    kind for kind in KINDS if kind.name in ("openai", "anthropic", "openai-service-account")],
    ids=lambda kind: kind.name)
def test_a_key_two_patterns_find_shows_as_one_redaction_when_cut(kind: Kind) -> None:
    """"sk-" and "sk-ant-" (or "sk-proj-") both find the key: still one [redacted]."""
    key = kind.make()
    text = f"Use the key {key} for every call."
    middle = text.index(key) + len(key) // 2
    assert redact_slice(text, 0, middle) == "Use the key [redacted]"
    assert redact_slice(text, middle, len(text)) == "[redacted] for every call."


def test_a_slice_deep_inside_a_private_key_is_redacted() -> None:
    key = _private_key()
    text = f"Keys:\n{key}\nEnd."
    inside = text.index("-----END") - 40
    assert redact_slice(text, inside, inside + 20) == REDACTED


def test_scrub_removes_fragments_of_known_secrets() -> None:
    card = "4111 1111 1111 1111"
    secrets = secrets_in([f"Card on file {card}.", "nothing here"])
    assert secrets == frozenset({card})
    # A rule quoted only the digits after the shared "4": no pattern can see a card there.
    assert redact("111 1111 1111 1111 -> order 77") == "111 1111 1111 1111 -> order 77"
    assert scrub("111 1111 1111 1111 -> order 77", secrets) == "[redacted] -> order 77"
    # The last group alone (a card's last four digits) goes too, but not other numbers.
    assert scrub("ends in 1111, order 11112", secrets) == "ends in [redacted], order 11112"
    assert scrub("411 111", secrets) == "411 111"  # shorter than a fragment or a group


def test_hidden_prompt_text_is_omitted_from_messages() -> None:
    message = "tool 'lookup_order' changed in session 'Alice Smith' (line 1, 'a'); 1 request"
    with prompt_text_hidden():
        # Excerpts stay what they are (rules compare and group by them) ...
        assert excerpt("Alice Smith") == "Alice Smith"
        assert around("lookup_order(id)", 0, 12, 12) == "lookup_order…"
        excerpt("lookup_order")
        excerpt("1")
        # ... and are taken out of messages: quoted, or long enough not to be a plain word.
        assert omit_quoted(message) == (
            "tool '[omitted]' changed in session '[omitted]' (line 1, 'a'); 1 request")
    assert omit_quoted(message) == message


# --- every output path ----------------------------------------------------------------------

SHARED = ("Answer questions about orders, refunds and deliveries for the ZEPHYRQUILL store, "
          "politely and briefly. " * 60).strip()
SENTINELS = ("MARBLEFINCH", "WOMBATCREST", "ZEPHYRQUILL", "PELICANMOSS", "QUOKKAVALE")
"""Words of the prompts (and of the user ids, keys and a bad value) that --no-snippets must
keep out of every output; MARBLEFINCH and WOMBATCREST sit next to the changing values."""


@dataclass(frozen=True)
class Log:
    """The generated log and what must not leak from it."""

    path: Path
    secrets: list[str]
    card_lines: tuple[int, int]
    """Two requests whose system prompts differ in a card number (for ``promptcache diff``)."""


def _pair(kind: Kind) -> tuple[str, str]:
    """Two secrets of one kind that differ only near their end, so a rule quoting what
    changed cuts through the secret (the part before the change is the same in both)."""
    first = kind.make()
    if kind.name.startswith("card"):
        digits = "".join(char for char in first if char.isdigit())
        other = _luhn_complete(digits[:12] + _random(3, _DIGITS))
        separator = first[4] if not first[4].isdigit() else ""
        return first, separator.join(other[i:i + 4] for i in range(0, 16, 4))
    if kind.name == "email":
        return first, first.replace("@", "x@", 1)
    if kind.name == "private-key":
        second = kind.make()
        return first, first[:200] + second[200:]
    cut = len(first) - 3 if not first.endswith("==") else len(first) - 5
    return first, first[:cut] + "".join(map(_next_of_its_class, first[cut:cut + 3])) + \
        first[cut + 3:]


def _next_of_its_class(char: str) -> str:
    """Another character of the same class (a digit for a digit...): the value keeps its shape."""
    for alphabet in ("0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"):
        if char in alphabet:
            return alphabet[(alphabet.index(char) + 1) % len(alphabet)]
    return char


def _chat(system: str, *, question: str = "Where is my order?", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "gpt-4o", "messages": [
        {"role": "system", "content": system}, {"role": "user", "content": question}], **fields}
    return {"request": body}


def _write_log(folder: Path) -> Log:
    records: list[dict[str, Any]] = []
    secrets: list[str] = []
    # One stream per kind; the secret changes in front of shared instructions, so a rule
    # (dynamic-prefix, id-in-prefix, user-data-in-prefix) quotes it and the prefix breaks there.
    # Each kind's secret sits in a message of its own index, after identical ones, so each
    # makes a finding of its own (findings group by rule and JSON path).
    for number, kind in enumerate(KINDS):
        for value in _pair(kind):
            secrets.append(value)
            record = _chat(f"Ticket context MARBLEFINCH {kind.embed(value)} WOMBATCREST\n"
                           f"{SHARED}", user=f"tenant-{number}")
            record["request"]["messages"][:0] = [
                {"role": "system", "content": "You are a support agent."}] * number
            records.append(record)
    # A timestamp changes next to a key that does not: timestamp-in-prefix.
    key = KINDS[0].make()
    secrets.append(key)
    for minute in (0, 5):
        records.append(_chat(f"Now: 2025-03-01T10:0{minute}:00Z {key}\n{SHARED}",
                             user="alice.smith@corp-mail.test"))
    secrets.append("alice.smith@corp-mail.test")
    # A session whose system prompt is rewritten at a card number.
    first_card, second_card = "4111 1111 1111 1111", "4012 8888 8888 1881"
    secrets += [first_card, second_card]
    card_start = len(records) + 1
    for card in (first_card, second_card):
        records.append({"request": _chat(f"MARBLEFINCH Card on file {card} WOMBATCREST.\n"
                                         f"{SHARED}", prompt_cache_key="QUOKKAVALE-7")["request"],
                        "meta": {"session": "QUOKKAVALE-session"}})
    # A session whose tools and settings change: rules that name tools, choices and schemas
    # in their messages (tool-order, tools-changed, tool-choice-changed,
    # response-format-changed).
    records += _settings_session()
    # A record whose bad value quotes a key and a sentinel in the load error.
    bad_key = KINDS[9].make()
    secrets.append(bad_key)
    records.append({"request": _chat("Be brief.")["request"],
                    "timestamp": f"PELICANMOSS {bad_key}"})
    path = folder / "requests.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return Log(path, secrets, (card_start, card_start + 1))


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": f"{name.replace('_', ' ')}: {SHARED[:600]}",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}


def _settings_session() -> list[dict[str, Any]]:
    first, second, third = (_tool(f"{verb}_WOMBATCREST_order")
                            for verb in ("lookup", "refund", "cancel"))
    schema = {"type": "json_schema", "json_schema": {"name": "ticket_MARBLEFINCH", "schema": {
        "type": "object", "properties": {"answer": {"type": "string"}}}}}
    steps: list[dict[str, Any]] = [
        {"tools": [first, second]},
        {"tools": [second, first]},
        {"tools": [second, first, third]},
        {"tools": [second, first, third],
         "tool_choice": {"type": "function", "function": {"name": "refund_WOMBATCREST_order"}}},
        {"tools": [second, first, third], "response_format": schema},
    ]
    return [{"request": _chat(SHARED, prompt_cache_key="QUOKKAVALE-tools", **step)["request"],
             "meta": {"session": "QUOKKAVALE-tools"}} for step in steps]


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Log:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return _write_log(tmp_path)


FORMATS = [output_format.value for output_format in OutputFormat
           if output_format is not OutputFormat.AUTO]


def _audit(capsys: pytest.CaptureFixture[str], log: Log, *args: str) -> tuple[int, str, str]:
    code = main(["audit", "--isolated", *args, str(log.path.name)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _findings(report_text: str) -> list[tuple[str, str, int, str, int, int]]:
    return [(finding["code"], finding["file"], finding["line"], finding["path"],
             finding["occurrences"], finding["tokens_at_risk"])
            for finding in json.loads(report_text)["findings"]]


def test_the_log_quotes_its_secrets_where_findings_show(log: Log,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The scenario is real: findings sit on the secrets (and their neighbours show)."""
    code, out, _ = _audit(capsys, log, "--format", "json")
    assert code == 1
    report = json.loads(out)
    codes = {finding["code"] for finding in report["findings"]}
    assert {"PC101", "PC102", "PC104", "PC201", "PC202", "PC205", "PC206"} <= codes
    assert "PC108" in codes or "PC104" in codes
    quoted = [finding for finding in report["findings"]
              if finding["snippet"] or finding["divergence"]]
    assert len(quoted) >= len(KINDS)
    assert "WOMBATCREST" in out  # quoted next to the changes: what --no-snippets must drop
    assert "QUOKKAVALE" in out  # a session label
    assert "PELICANMOSS" in out  # a bad value quoted by a load error
    assert report["errors"][0]["message"].startswith("$.timestamp: not an ISO 8601 time: ")


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_secret_in_any_format(log: Log, capsys: pytest.CaptureFixture[str],
                                 output_format: str) -> None:
    code, out, err = _audit(capsys, log, "--format", output_format)
    assert code == 1
    assert _leaks(out, log.secrets) == []
    assert _leaks(err, log.secrets) == []
    if output_format in ("json", "rich"):  # the formats that print snippets
        assert out.count(REDACTED) >= len(KINDS)


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_secret_in_output_files(log: Log, capsys: pytest.CaptureFixture[str],
                                   output_format: str) -> None:
    target = log.path.parent / f"report.{output_format}"
    code, out, err = _audit(capsys, log, "--format", output_format, "--output", str(target))
    assert code == 1
    assert out == ""
    written = target.read_bytes().decode("utf-8")
    assert written
    assert _leaks(written, log.secrets) == []
    # stderr names the unreadable record, redacted too.
    assert "not an ISO 8601 time" in err
    assert _leaks(err, log.secrets) == []


def test_no_secret_in_a_baseline(log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = log.path.parent / "baseline.json"
    _audit(capsys, log, "--format", "concise", "--write-baseline", str(baseline))
    assert _leaks(baseline.read_text("utf-8"), log.secrets) == []


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_snippets_drops_all_prompt_text(log: Log, capsys: pytest.CaptureFixture[str],
                                           output_format: str) -> None:
    code, out, err = _audit(capsys, log, "--format", output_format, "--no-snippets")
    assert code == 1
    for text in (out, err):
        assert [word for word in SENTINELS if word in text] == []
        assert _leaks(text, log.secrets) == []
    assert "PC101" in out or "dynamic-prefix" in out


def test_no_snippets_keeps_every_finding_and_where_it_is(
        log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    _, with_snippets, _ = _audit(capsys, log, "--format", "json")
    _, without, _ = _audit(capsys, log, "--format", "json", "--no-snippets")
    assert _findings(without) == _findings(with_snippets)
    report = json.loads(without)
    jsonschema.validate(json.loads(with_snippets), REPORT_SCHEMA)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert all(finding["snippet"] == "" for finding in report["findings"])
    divergences = [finding["divergence"] for finding in report["findings"]
                   if finding["divergence"]]
    assert divergences
    assert all(divergence["before"] == divergence["after"] == ""
               for divergence in divergences)
    assert all(divergence["path"].startswith("$.") for divergence in divergences
               if divergence["path"])  # '' when the prompts do not differ (a setting did)
    sessions = [row["session"] for row in report["sessions"]]
    assert any(label.startswith("key:#") for label in sessions)
    assert report["errors"][0]["message"] == "$.timestamp: not an ISO 8601 time: [omitted]"


def test_the_configuration_key_turns_snippets_off(log: Log,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (log.path.parent / "promptcache.toml").write_text("snippets = false\n", "utf-8")
    code = main(["audit", "--quiet", "--format", "sarif", log.path.name])
    out = capsys.readouterr().out
    assert code == 1
    assert [word for word in SENTINELS if word in out] == []
    code = main(["audit", "--quiet", "--format", "json", "--snippets", log.path.name])
    assert "QUOKKAVALE" in capsys.readouterr().out  # the command line wins


def test_diff_redacts_and_can_drop_the_values(log: Log,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    first, second = (f"{log.path.name}:{line}" for line in log.card_lines)
    assert main(["diff", first, second]) == 0
    out = capsys.readouterr().out
    assert "the prefix breaks at $.request.messages[0].content" in out
    assert "before: " in out
    assert REDACTED in out
    assert _leaks(out, log.secrets) == []
    assert main(["diff", "--no-snippets", first, second]) == 0
    out = capsys.readouterr().out
    assert "the prefix breaks at $.request.messages[0].content" in out
    assert "before: " not in out
    assert [word for word in SENTINELS if word in out] == []
    bad = f"{log.path.name}:{len(log.path.read_text('utf-8').splitlines())}"
    assert main(["diff", first, bad]) == 2
    err = capsys.readouterr().err
    assert "not an ISO 8601 time" in err
    assert "PELICANMOSS" in err
    assert _leaks(err, log.secrets) == []
    assert main(["diff", "--no-snippets", first, bad]) == 2
    assert "PELICANMOSS" not in capsys.readouterr().err


@pytest.mark.parametrize("snippets", ["--snippets", "--no-snippets"])
def test_worker_processes_keep_the_same_privacy(log: Log, capsys: pytest.CaptureFixture[str],
                                                snippets: str) -> None:
    """A second process reading the log (--jobs) changes nothing of what the report shows."""
    _, alone, _ = _audit(capsys, log, "--format", "json", snippets, "--jobs", "1")
    _, shared, _ = _audit(capsys, log, "--format", "json", snippets, "--jobs", "3")
    assert shared == alone
    assert _leaks(shared, log.secrets) == []
