"""Each lint pattern on TypeScript and JavaScript excerpts (the Vercel AI SDK, the OpenAI and
Anthropic SDKs, LangChain.js): where it fires (code, file, line, column) and where it must
stay quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import found, lint_tree

HEADER = """\
import { generateText, streamText, tool } from "ai";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { readdirSync } from "node:fs";

const openai = new OpenAI();
const anthropic = new Anthropic();
"""
"""Seven lines: the excerpts below start at line 8."""

FIRING = [
    pytest.param('''\
export async function reply(question: string) {
  return generateText({
    model,
    system: `Current time: ${new Date().toISOString()}. You are a support agent.`,
    prompt: question,
  });
}
''', [("PC102", 11, 30)], id="timestamp-in-the-ai-sdk-system-prompt"),
    pytest.param('''\
export async function reply(question: string) {
  const requestId = crypto.randomUUID();
  return openai.responses.create({
    model: "gpt-4o",
    instructions: "Request " + requestId + ". Be brief and cite sources.",
    input: question,
  });
}
''', [("PC103", 12, 32)], id="uuid-through-a-name-in-instructions"),
    pytest.param('''\
function systemPrompt(user: { email: string }) {
  return `You are talking to ${user.email}. Follow the support policy below.`;
}

export async function reply(user: { email: string }, question: string) {
  return anthropic.messages.create({
    model: "claude-sonnet-4-5", max_tokens: 512, system: systemPrompt(user),
    messages: [{ role: "user", content: question }],
  });
}
''', [("PC104", 9, 32)], id="user-data-from-a-helper"),
    pytest.param('''\
export async function reply(question: string) {
  const tools = Object.fromEntries(readdirSync("tools").map((name) => [name, tool({})]));
  return streamText({ model, tools, prompt: question });
}
''', [("PC201", 9, 36)], id="tools-from-an-unsorted-listing"),
    pytest.param('''\
export async function reply(url: string) {
  return openai.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
  });
}
''', [("PC301", 11, 42)], id="image-without-detail"),
    pytest.param('''\
export async function reply(question: string) {
  return anthropic.messages.create({
    model: "claude-sonnet-4-5", max_tokens: 512,
    system: [{ type: "text", text: `Session ${Date.now()}`, cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: question }],
  });
}
''', [("PC501", 11, 47)], id="breakpoint-on-the-time"),
    pytest.param('''\
export async function reply(question: string) {
  return openai.chat.completions.create({
    model: "gpt-4o", prompt_cache_key: `k-${Math.random()}`,
    messages: [{ role: "user", content: question }],
  });
}
''', [("PC404", 10, 45)], id="random-prompt-cache-key"),
]

QUIET = [
    pytest.param('''\
export async function reply(question: string) {
  return streamText({
    model, system: "You are a support agent.",
    messages: [{ role: "user", content: `${question} (sent ${new Date().toISOString()})` }],
  });
}
''', id="timestamp-in-the-last-message"),
    pytest.param('''\
export async function reply(question: string) {
  const today = new Date().toISOString().slice(0, 10);
  return generateText({ model, system: `Today is ${today}. You are terse.`, prompt: question });
}
''', id="date-truncated-to-the-day"),
    pytest.param('''\
const names = new Set(["search", "fetch"]);
export async function reply(question: string) {
  const tools = Object.fromEntries([...names].map((name) => [name, tool({})]));
  return generateText({ model, tools, prompt: question });
}
''', id="a-set-keeps-insertion-order-in-javascript"),
    pytest.param('''\
export async function reply(question: string) {
  const tools = Object.fromEntries(readdirSync("tools").sort().map((n) => [n, tool({})]));
  return generateText({ model, tools, prompt: question });
}
''', id="tools-listed-then-sorted"),
    pytest.param('''\
export async function reply(url: string) {
  return openai.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user",
                 content: [{ type: "image_url", image_url: { url, detail: "low" } }] }],
  });
}
''', id="image-with-detail"),
    pytest.param('''\
export async function reply(system: string, question: string) {
  return generateText({ model, system, prompt: question });
}
''', id="a-prompt-passed-in-whole"),
]


@pytest.mark.parametrize(("excerpt", "expected"), FIRING)
@pytest.mark.parametrize("suffix", [".ts", ".js"])
def test_fires_at_the_offending_expression(tmp_path: Path, excerpt: str, suffix: str,
                                           expected: list[tuple[str, int, int]]) -> None:
    text = HEADER + excerpt
    if suffix == ".js":  # the same excerpt without its type annotations
        text = text.replace(": { email: string }", "").replace(": string", "")
    report = lint_tree(tmp_path, {f"agent{suffix}": text})
    assert report.errors == ()
    assert found(report) == [(code, f"agent{suffix}", line, column)
                             for code, line, column in expected]


@pytest.mark.parametrize("excerpt", QUIET)
def test_stays_quiet(tmp_path: Path, excerpt: str) -> None:
    report = lint_tree(tmp_path, {"agent.ts": HEADER + excerpt})
    assert (found(report), report.errors, report.files_checked) == ([], (), 1)


def test_a_suppression_comment_silences_the_next_line(tmp_path: Path) -> None:
    report = lint_tree(tmp_path, {"agent.tsx": HEADER + '''\
export async function reply(question: string) {
  return generateText({
    model,
    // promptcache: ignore[PC102]
    system: `Now: ${Date.now()}. You are a support agent.`,
    prompt: question,
  });
}
'''})
    assert (found(report), report.suppressed_inline) == ([], 1)


def test_a_file_that_does_not_parse_is_an_error_at_its_line(tmp_path: Path) -> None:
    report = lint_tree(tmp_path, {"broken.ts": HEADER + "export function (\n"})
    assert [(error.file, error.line) for error in report.errors] == [("broken.ts", 8)]
    assert report.files_checked == 0
