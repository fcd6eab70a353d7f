"""The ``promptcache-lint`` pre-commit hook over a folder of staged files, and the parsers
staying off the start-up of every other command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pre_commit.clientlib import load_manifest

from promptcache.cli.main import main
from tests.conftest import REPO

from .cases import inside

STAGED = {
    "app/agent.py": 'from datetime import datetime\n\n\ndef reply(client, question):\n'
                    '    return client.chat.completions.create(model="gpt-4o", messages=[\n'
                    '        {"role": "system",\n'
                    '         "content": f"{datetime.now()} You are an agent."},\n'
                    '        {"role": "user", "content": question}])\n',
    "web/chat.ts": 'export const reply = (question: string) =>\n'
                   '  generateText({ model, system: `${Date.now()} You are an agent.`, '
                   'prompt: question });\n',
    "web/clean.mjs": 'export const reply = (q) => generateText({ model, prompt: q });\n',
    "README.md": "not linted\n",
}


def _hook() -> dict[str, object]:
    return next(hook for hook in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
                if hook["id"] == "promptcache-lint")


def test_the_hook_picks_the_source_files_and_fails_on_the_planted_patterns(
        tmp_path: Path, capsys: object) -> None:
    hook = _hook()
    pattern = re.compile(str(hook["files"]))
    for name, text in STAGED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    chosen = sorted(name for name in STAGED if pattern.search(name))
    assert chosen == ["app/agent.py", "web/chat.ts", "web/clean.mjs"]
    entry = str(hook["entry"]).split()
    assert entry[:3] == ["promptcache", "lint", "--force-exclude"]
    with inside(tmp_path):
        status = main([*entry[1:], "--isolated", "-f", "concise", *chosen])
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert status == 1
    assert out.splitlines() == [
        "app/agent.py:7:24: PC102 timestamp-in-prefix [warning] the current time in the "
        "system prompt comes before stable content: every request differs there, and nothing "
        "after it is read from the cache",
        "web/chat.ts:2:36: PC102 timestamp-in-prefix [warning] the current time in the system "
        "prompt comes before stable content: every request differs there, and nothing after "
        "it is read from the cache",
        "2 findings in 3 files checked"]


def test_audit_start_up_imports_no_parser() -> None:
    code = ("import sys, promptcache.cli.main; "
            "print(sorted(m for m in sys.modules if m.startswith(('tree_sitter', "
            "'promptcache.lint'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout == "[]\n"
