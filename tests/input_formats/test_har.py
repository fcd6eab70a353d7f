"""HAR 1.2 captures: one call per provider POST, bodies exactly as sent, usage from the
(possibly streamed, base64 or gzipped) responses, and never a header."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.load.formats import format_named
from promptcache.load.formats._har_entries import NOT_READ
from promptcache.load.formats._responses import REFUSED
from promptcache.load.formats.base import (
    CHAT,
    MESSAGES,
    RESPONSES,
    LoggedCall,
    Skipped,
    Usage,
)
from promptcache.load.formats.har import HarFormat
from promptcache.load.sources import LoadError
from tests.conftest import shared_format_sample
from tests.input_formats.helpers import (
    GENERATED_HAR,
    audited_requests,
    bodies_as_sent,
    body_count,
    generated_truth,
    generated_usage,
    read_calls,
    truth_lines,
)

CASES = Path(__file__).parent / "cases" / "har"


def _calls(path: Path) -> list[LoggedCall]:
    found = [item for item in read_calls(HarFormat(), path) if not isinstance(item, Skipped)]
    assert all(isinstance(item, LoggedCall) for item in found), found
    return [item for item in found if isinstance(item, LoggedCall)]


def _truth_usage(line: dict[str, Any]) -> Usage:
    usage = line["usage"]
    if line["provider"] == "anthropic":
        read, write = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
        written_1h = usage.get("cache_creation", {}).get("ephemeral_1h_input_tokens")
        return Usage(usage["input_tokens"] + read + write, read, write, written_1h)
    return Usage(usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"])


def test_the_shared_mitmproxy_capture_gives_the_truth_bodies_in_order_with_their_usage() -> None:
    sample = shared_format_sample("har", "session.har")
    truth = truth_lines(sample.with_name("session.truth.jsonl"))
    calls = _calls(sample)
    assert [call.body for call in calls] == [line["request"] for line in truth]
    assert [call.usage for call in calls] == [_truth_usage(line) for line in truth]
    assert [call.api for call in calls] == [
        MESSAGES if line["provider"] == "anthropic" else CHAT for line in truth]
    assert calls[0].timestamp == pytest.approx(1796396324.889779)  # 2026-12-04T14:58:44.889779Z
    assert [call.body_path for call in calls[:2]] == [
        "$.log.entries[0].request.postData.text", "$.log.entries[1].request.postData.text"]
    assert all(call.session is None and call.missing == () for call in calls)


def test_only_provider_posts_are_calls_and_each_keeps_its_entry_path() -> None:
    calls = _calls(CASES / "capture.har")
    # Entry 0 is a page load, 2 an embedding, 5 a refused (429) retry: none is a call.
    assert [call.body_path for call in calls] == [
        "$.log.entries[1].request.postData.text",
        "$.log.entries[3].request.postData.text",
        "$.log.entries[4].request.postData.text",
        "$.log.entries[6].request.postData.text",
        "$.log.entries[7].request.postData.text",
        "$.log.entries[8].request.postData.text",
        "$.log.entries[9].request.postData.params",
    ]
    assert [call.api for call in calls] == [CHAT, CHAT, CHAT, MESSAGES, RESPONSES, CHAT, MESSAGES]


def test_the_body_is_the_posted_json_whatever_the_writer_did_with_it() -> None:
    raw = orjson.loads((CASES / "capture.har").read_bytes())["log"]["entries"]
    calls = _calls(CASES / "capture.har")
    assert calls[0].body == orjson.loads(raw[1]["request"]["postData"]["text"])
    # Azure names no model in the body: the body stays as sent, the response names it.
    assert "model" not in calls[1].body
    assert calls[1].served_model == "gpt-4o-2024-11-20"
    # postData.encoding base64, and a JSON body a writer split into form params.
    assert calls[5].body == {"model": "gpt-4o-mini",
                             "messages": [{"role": "user", "content": "Price of a bell?"}]}
    assert calls[6].body["messages"] == [{"role": "user", "content": "Are you open today?"}]


def test_usage_is_read_from_plain_gzipped_and_streamed_responses_in_one_meaning() -> None:
    calls = _calls(CASES / "capture.har")
    assert [call.usage for call in calls] == [
        Usage(1300, 1024),                # plain JSON
        Usage(40, 0),                     # base64 of gzip (Azure)
        Usage(1500, 1280),                # OpenAI stream, include_usage's last chunk
        Usage(2312, 2000, 300),           # Anthropic stream: 12 + 2000 read + 300 written
        Usage(900, 512),                  # Responses stream: response.completed
        None,                             # no response kept: still a call
        Usage(20, 0),                     # Anthropic without cache fields
    ]
    assert [call.call_id for call in calls[2:5]] == [
        "chatcmpl-fixture-stream", "msg_fixture_stream", "resp_fixture"]


def test_started_date_time_is_the_call_time_whatever_its_zone() -> None:
    calls = _calls(CASES / "capture.har")
    assert calls[0].timestamp == 1772359200.25   # 2026-03-01T10:00:00.250Z
    assert calls[1].timestamp == 1772359202.0    # 2026-03-01T12:00:02+02:00


def test_no_header_cookie_or_key_reaches_a_call() -> None:
    calls = read_calls(HarFormat(), CASES / "capture.har")
    text = repr(calls)
    assert "fixture-never-reported" not in text
    assert "fixture-cookie" not in text
    assert "authorization" not in text.lower()


def test_a_broken_provider_post_is_one_error_at_its_path_and_the_others_are_read() -> None:
    found = read_calls(HarFormat(), CASES / "broken.har")
    location = f"{CASES / 'broken.har'}:1"
    errors = [(str(item.location), item.message) for item in found if isinstance(item, LoadError)]
    assert errors == [
        (location, "$.log.entries[0].request.postData.text: cut short: the capture holds "
                   "120 characters of a 380-byte body"),
        (location, "$.log.entries[1].request.postData: the capture kept no request body"),
        (location, "$.log.entries[3]: an entry must be an object"),
    ]
    calls = [item for item in found if isinstance(item, LoggedCall)]
    assert [call.body_path for call in calls] == ["$.log.entries[2].request.postData.text"]


def test_a_record_that_is_no_har_is_an_error_when_the_format_is_forced(tmp_path: Path) -> None:
    path = tmp_path / "bodies.jsonl"
    path.write_bytes(b'{"model": "gpt-4o", "messages": []}\n')
    found = read_calls(HarFormat(), path)
    assert [(str(item.location), item.message) for item in found
            if isinstance(item, LoadError)] == [
        (f"{path}:1", "not a HAR capture: no 'log.entries' list (a HAR 1.2 document)")]


def test_recognizes_a_har_document_and_says_why_not_for_other_records() -> None:
    har = HarFormat()
    assert har.recognize(orjson.loads((CASES / "capture.har").read_bytes())).matches
    for other in ({"model": "gpt-4o", "messages": []},
                  {"request_id": "x", "request_created_at": "2026-01-01", "request_body": {}},
                  {"log": {"entries": "not a list"}},
                  [1, 2]):
        recognition = har.recognize(other)
        assert not recognition.matches
        assert recognition.reason == "no 'log.entries' list (a HAR 1.2 document)"


def test_the_format_is_found_by_its_name() -> None:
    assert format_named("har") is HarFormat


def _one_entry_har(path: Path, post_data: dict[str, Any], content: dict[str, Any]) -> Path:
    entry = {"startedDateTime": "2026-03-01T10:00:00Z",
             "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions",
                         "headers": [], "postData": post_data},
             "response": {"status": 200, "headers": [], "content": content}}
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    return path


def test_a_gzip_bomb_in_a_response_gives_no_usage_and_the_call_is_still_read(
        tmp_path: Path) -> None:
    bomb = base64.b64encode(gzip.compress(b"0" * (17 << 20))).decode()
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    path = _one_entry_har(tmp_path / "bomb.har", {"text": orjson.dumps(body).decode()},
                          {"encoding": "base64", "text": bomb})
    assert [(call.body, call.usage) for call in _calls(path)] == [(body, None)]


def test_a_gzip_bomb_as_a_request_body_is_one_error(tmp_path: Path) -> None:
    bomb = base64.b64encode(gzip.compress(b" " * (17 << 20))).decode()
    path = _one_entry_har(tmp_path / "bomb.har", {"encoding": "base64", "text": bomb}, {})
    assert [item.message for item in read_calls(HarFormat(), path)
            if isinstance(item, LoadError)] == [
        "$.log.entries[0].request.postData.text: marked base64 but does not decode to text "
        "(damaged, binary, or over 16 MiB once unpacked)"]


def _chat_entry(text: str) -> dict[str, Any]:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    return {"startedDateTime": "2026-03-01T10:00:00Z",
            "request": {"method": "POST", "url": "http://127.0.0.1:8080/v1/chat/completions",
                        "headers": [], "postData": {"mimeType": "application/json",
                                                    "text": orjson.dumps(body).decode()}},
            "response": {"status": 200, "headers": [], "content": {}}}


@pytest.mark.parametrize("option", [0, orjson.OPT_INDENT_2], ids=["minified", "pretty"])
def test_a_capture_over_16_mib_is_read_call_by_call_and_only_a_body_over_it_is_refused(
        tmp_path: Path, option: int) -> None:
    # A long agent run's capture passes the per-record text limit long before any one of
    # its prompts does: the limit applies to each body, not to the whole capture.
    prompts = ["a" * (9 << 20), "b" * (9 << 20), "c" * (17 << 20), "still read"]
    path = tmp_path / "long_run.har"
    path.write_bytes(orjson.dumps(
        {"log": {"version": "1.2", "entries": [_chat_entry(text) for text in prompts]}},
        option=option))
    found = read_calls(HarFormat(), path)
    assert [item.message for item in found if isinstance(item, LoadError)] == [
        "$.log.entries[2].request.postData.text: 17.0 MiB of text besides inline base64 "
        "data, over the 16 MiB promptcache tokenizes in one record: not audited"]
    assert [call.body["messages"][0]["content"][:10] for call in found
            if isinstance(call, LoggedCall)] == ["a" * 10, "b" * 10, "still read"]


def test_a_generated_mitmproxy_capture_gives_every_body_sent_with_its_usage() -> None:
    answered, refused = generated_truth()
    found = read_calls(HarFormat(), GENERATED_HAR / "session.har")
    calls = [item for item in found if isinstance(item, LoggedCall)]
    # The generated run also made an embedding and counted tokens: counted, not audited.
    assert sorted(item.reason for item in found if isinstance(item, Skipped)) == sorted(
        [REFUSED] * refused + [NOT_READ] * 2)
    assert [call.body for call in calls] == [line["request"] for line in answered]
    assert [call.usage for call in calls] == [generated_usage(line) for line in answered]
    assert [call.api for call in calls] == [
        {"/v1/chat/completions": CHAT, "/v1/responses": RESPONSES,
         "/v1/messages": MESSAGES}[line["endpoint"]] for line in answered]
    assert all(call.missing == () for call in calls)


def test_a_generated_mitmproxy_capture_audits_to_the_counts_of_the_bodies_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answered, _ = generated_truth()
    calls = _calls(GENERATED_HAR / "session.har")
    from_log = audited_requests(capsys, GENERATED_HAR / "session.har")
    from_bodies = audited_requests(
        capsys, bodies_as_sent(answered, calls, tmp_path / "bodies.jsonl"))
    assert [body_count(request) for request in from_log["requests"]] == [
        body_count(request) for request in from_bodies["requests"]]
    assert from_log["summary"]["requests_audited"] == from_bodies["summary"][
        "requests_audited"] > 0


def test_calls_made_at_once_come_in_the_order_they_were_sent_not_the_order_they_ended(
        tmp_path: Path) -> None:
    # mitmproxy saves an exchange when its response ends: the first of three calls made at
    # once, answered last, is its last entry. An entry without a time stays where it was.
    times = ["2026-03-01T10:00:00.900+00:00", "2026-03-01T10:00:00.500+00:00", None,
             "2026-03-01T10:00:00.100+00:00"]
    entries = [{**_chat_entry(f"call {n}"), "startedDateTime": time}
               for n, time in enumerate(times)]
    path = tmp_path / "parallel.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": entries}}))
    assert [call.body["messages"][0]["content"] for call in _calls(path)] == [
        "call 3", "call 1", "call 2", "call 0"]


def test_a_provider_post_promptcache_does_not_read_is_counted_as_skipped_a_site_post_is_not(
        tmp_path: Path) -> None:
    def post(url: str) -> dict[str, Any]:
        return {**_chat_entry("x"), "request": {**_chat_entry("x")["request"], "url": url}}

    entries = [post("https://api.openai.com/v1/embeddings"),
               post("http://127.0.0.1:8080/v1/messages/count_tokens?beta=true"),
               post("https://r.openai.azure.com/openai/deployments/emb/embeddings?api-version=1"),
               post("https://shop.example.com/api/v1/cart"),
               post("https://shop.example.com/search/completions"),
               {**post("https://api.openai.com/v1/models"), "request": {
                   "method": "GET", "url": "https://api.openai.com/v1/models"}},
               _chat_entry("read")]
    path = tmp_path / "mixed.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": entries}}))
    found = read_calls(HarFormat(), path)
    assert [item.reason if isinstance(item, Skipped) else type(item).__name__
            for item in found] == [NOT_READ, NOT_READ, NOT_READ, "LoggedCall"]


def _as_a_devtools_writer_saves_it(index: int, entry: dict[str, Any]) -> dict[str, Any]:
    """A generated entry in the shapes other writers use: the response base64 of its gzip
    (a proxy that keeps the bytes as they came), and every other request body base64 or
    split into form parameters with no text (HAR 1.2's ``params``)."""
    request, response = dict(entry["request"]), dict(entry["response"])
    text = response["content"].get("text", "")
    response["content"] = {**response["content"], "encoding": "base64",
                           "text": base64.b64encode(gzip.compress(text.encode())).decode()}
    post_data = request.get("postData")
    if post_data and index % 2:
        request["postData"] = {"mimeType": post_data["mimeType"], "encoding": "base64",
                               "text": base64.b64encode(post_data["text"].encode()).decode()}
    elif post_data:
        request["postData"] = {"mimeType": post_data["mimeType"], "text": "",
                               "params": [{"name": post_data["text"]}]}
    return {**entry, "request": request, "response": response}


def test_the_generated_calls_read_the_same_from_the_shapes_other_har_writers_use(
        tmp_path: Path) -> None:
    har = orjson.loads((GENERATED_HAR / "session.har").read_bytes())
    har["log"]["entries"] = [_as_a_devtools_writer_saves_it(index, entry)
                             for index, entry in enumerate(har["log"]["entries"])]
    path = tmp_path / "devtools.har"
    path.write_bytes(orjson.dumps(har))
    answered, _ = generated_truth()
    calls = _calls(path)
    assert [call.body for call in calls] == [line["request"] for line in answered]
    assert [call.usage for call in calls] == [generated_usage(line) for line in answered]
