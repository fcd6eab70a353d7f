"""Each lint pattern on Python excerpts of the kind agent code has: where it fires (code,
file, line, column) and where it must stay quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import found, lint_tree

HEADER = """\
import random
import uuid
from datetime import date, datetime
from glob import glob

from anthropic import Anthropic
from openai import OpenAI

client = OpenAI()
claude = Anthropic()
"""
"""Ten lines: the excerpts below start at line 11."""

FIRING = [
    pytest.param('''\
def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": f"Now: {datetime.now()}. You are a support agent."},
        {"role": "user", "content": question}])
''', [("PC102", 13, 47)], id="timestamp-at-the-top-of-the-system-prompt"),
    pytest.param('''\
def reply(question):
    now = datetime.utcnow().isoformat()
    system = "Current time: " + now + "\\nYou are a support agent."
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": system}, {"role": "user", "content": question}])
''', [("PC102", 13, 33)], id="time-through-names-and-concatenation"),
    pytest.param('''\
POLICY = "Answer from the policy below, briefly. " * 3


def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": f"Now: {datetime.now()}\\n{POLICY}"},
        {"role": "user", "content": question}])
''', [("PC102", 16, 47)], id="timestamp-before-a-repeated-constant"),
    pytest.param('''\
def reply(question):
    return client.responses.create(
        model="gpt-4o", instructions="Trace {}. Be brief and cite sources.".format(uuid.uuid4()),
        input=question)
''', [("PC103", 13, 84)], id="uuid-in-responses-instructions-via-format"),
    pytest.param('''\
def build(user):
    return f"You are talking to {user.email}. Follow the policy below in every answer."


def reply(user, question):
    return claude.messages.create(model="claude-sonnet-4-5", max_tokens=512,
                                  system=build(user),
                                  messages=[{"role": "user", "content": question}])
''', [("PC104", 12, 34)], id="user-data-from-a-helper"),
    pytest.param('''\
TOOLS = {"search": 1, "fetch": 2}


def reply(question):
    tools = [{"type": "function", "function": {"name": name}} for name in set(TOOLS)]
    return client.chat.completions.create(model="gpt-4o", tools=tools,
                                          messages=[{"role": "user", "content": question}])
''', [("PC201", 15, 75)], id="tools-from-a-set"),
    pytest.param('''\
def reply(question):
    tools = []
    for path in glob("tools/*.json"):
        tools.append({"type": "function", "function": {"name": path}})
    return client.chat.completions.create(model="gpt-4o", tools=tools,
                                          messages=[{"role": "user", "content": question}])
''', [("PC201", 13, 17)], id="tools-filled-from-an-unsorted-glob"),
    pytest.param('''\
def reply(question, tools):
    random.shuffle(tools)
    return client.chat.completions.create(model="gpt-4o", tools=tools,
                                          messages=[{"role": "user", "content": question}])
''', [("PC201", 12, 5)], id="tools-shuffled"),
    pytest.param('''\
def reply(url):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": url}}]}])
''', [("PC301", 13, 9)], id="image-without-detail"),
    pytest.param('''\
def reply(question):
    return claude.messages.create(model="claude-sonnet-4-5", max_tokens=512, system=[
        {"type": "text", "text": "You are a support agent."},
        {"type": "text", "text": f"Session started {datetime.now():%H:%M}",
         "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": question}])
''', [("PC501", 14, 53)], id="breakpoint-on-the-time"),
    pytest.param('''\
def reply(question):
    return client.chat.completions.create(model="gpt-4o", prompt_cache_key=uuid.uuid4().hex,
                                          messages=[{"role": "user", "content": question}])
''', [("PC404", 12, 76)], id="random-prompt-cache-key"),
    pytest.param('''\
def decide(memory, question):
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[
        {"role": "system", "content": f"Current date and time: {stamp}"},
        {"role": "system", "content": "Only answer in the JSON format described above."},
        {"role": "user", "content": question}])
''', [("PC102", 14, 65)], id="legacy-chat-completion-time-in-an-early-system-message"),
    pytest.param('''\
def reply(question):
    seed = random.randint(0, 9)
    return client.chat.completions.create(model="gpt-4o", messages=[
        ("system", f"Variant {seed}. You answer questions about invoices."),
        {"role": "user", "content": question}])
''', [("PC101", 14, 31)], id="random-value-in-a-tuple-message"),
]

QUIET = [
    pytest.param('''\
def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": f"{question} (sent at {datetime.now()})"}])
''', id="timestamp-in-the-last-user-message"),
    pytest.param('''\
def reply(question):
    today = date.today().isoformat()
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": f"Today is {today}. You are a support agent."},
        {"role": "user", "content": question}])
''', id="date-truncated-to-the-day"),
    pytest.param('''\
def reply(question):
    stamp = datetime.now().strftime("%Y-%m-%d")
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": f"Date: {stamp}. You are a support agent."},
        {"role": "user", "content": question}])
''', id="strftime-to-the-day"),
    pytest.param('''\
TOOLS = {"search": 1, "fetch": 2}


def reply(question):
    tools = [{"type": "function", "function": {"name": name}} for name in sorted(set(TOOLS))]
    return client.chat.completions.create(model="gpt-4o", tools=tools,
                                          messages=[{"role": "user", "content": question}])
''', id="tools-sorted"),
    pytest.param('''\
def reply(question):
    tools = [{"type": "function", "function": {"name": "search"}}]
    return client.chat.completions.create(model="gpt-4o", tools=tools,
                                          messages=[{"role": "user", "content": question}])
''', id="tools-from-a-list-literal"),
    pytest.param('''\
def reply(url):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": url, "detail": "low"}}]}])
''', id="image-with-detail"),
    pytest.param('''\
def reply(system_prompt, history):
    return claude.messages.create(model="claude-sonnet-4-5", max_tokens=512,
                                  system=system_prompt, messages=history)
''', id="a-prompt-passed-in-whole"),
    pytest.param('''\
def reply(question, tenant):
    return client.chat.completions.create(model="gpt-4o", prompt_cache_key=f"support-{tenant}",
                                          messages=[{"role": "user", "content": question}])
''', id="cache-key-per-tenant"),
    pytest.param('''\
def reply(question):
    return claude.messages.create(model="claude-sonnet-4-5", max_tokens=512, system=[
        {"type": "text", "text": "You are a support agent.",
         "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": f"{question} at {datetime.now()}"}])
''', id="breakpoint-on-stable-text"),
]


@pytest.mark.parametrize(("excerpt", "expected"), FIRING)
def test_fires_at_the_offending_expression(tmp_path: Path, excerpt: str,
                                           expected: list[tuple[str, int, int]]) -> None:
    report = lint_tree(tmp_path, {"agent.py": HEADER + excerpt})
    assert found(report) == [(code, "agent.py", line, column)
                             for code, line, column in expected]
    assert all(finding.fix and finding.snippet for finding in report.findings)


@pytest.mark.parametrize("excerpt", QUIET)
def test_stays_quiet(tmp_path: Path, excerpt: str) -> None:
    report = lint_tree(tmp_path, {"agent.py": HEADER + excerpt})
    assert found(report) == []
    assert report.files_checked == 1


def test_follows_a_constant_imported_from_a_sibling_module(tmp_path: Path) -> None:
    report = lint_tree(tmp_path, {
        "app/prompts.py": 'from datetime import datetime\n\n'
                          'HEADER = f"Generated {datetime.now()}"\n'
                          'RULES = "Always answer in English and cite the source document."\n',
        "app/agent.py": HEADER + '''\
from .prompts import HEADER as TOP, RULES


def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": TOP + RULES}, {"role": "user", "content": question}])
''',
    })
    assert found(report) == [("PC102", "app/agent.py", 16, 39)]


def test_a_sibling_that_does_not_exist_is_no_finding_and_no_error(tmp_path: Path) -> None:
    report = lint_tree(tmp_path, {"agent.py": HEADER + '''\
from missing import RULES


def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": RULES}, {"role": "user", "content": question}])
'''})
    assert (found(report), report.errors) == ([], ())
