"""Lint benchmark: the wall time of one `promptcache lint` run over 200 source files (half
Python, half TypeScript, each with a prompt-building call and a planted pattern in one file
of ten), against `python -c pass` measured in the same run (the floor any Python tool pays).

    python bench/lint.py [--files 200] [--runs 7]

What a pre-commit run of the ``promptcache-lint`` hook over 200 staged files costs; issue 20
wants it under 1 s wall.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON_FILE = '''\
from datetime import datetime

from openai import OpenAI

client = OpenAI()
RULES = "Answer in English, cite the source document, and keep to {index} paragraphs."


def reply_{index}(question, history):
    system = {system}
    return client.chat.completions.create(model="gpt-4o", messages=[
        {{"role": "system", "content": system}}, *history,
        {{"role": "user", "content": question}}])
'''
TYPESCRIPT_FILE = '''\
import {{ generateText }} from "ai";

const RULES = "Answer in English, cite the source document, and keep to {index} paragraphs.";

export async function reply{index}(question: string) {{
  return generateText({{ model, system: {system}, prompt: question }});
}}
'''


def write_sources(folder: Path, count: int) -> list[str]:
    """``count`` source files under ``folder``; every tenth holds a timestamp ahead of its
    system prompt."""
    names = []
    for index in range(count):
        planted = index % 10 == 0
        if index % 2:
            name = f"agent_{index}.ts"
            system = "`Now ${new Date().toISOString()}. ${RULES}`" if planted else "RULES"
            text = TYPESCRIPT_FILE.format(index=index, system=system)
        else:
            name = f"agent_{index}.py"
            system = 'f"Now {datetime.now()}. {RULES}"' if planted else "RULES"
            text = PYTHON_FILE.format(index=index, system=system)
        (folder / name).write_text(text, "utf-8")
        names.append(name)
    return names


def _median_wall(command: list[str], folder: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="promptcache-bench-lint-"))
    try:
        names = write_sources(folder, arguments.files)
        floor = _median_wall([sys.executable, "-c", "pass"], folder, arguments.runs)
        lint = _median_wall([sys.executable, "-m", "promptcache.cli", "lint", "--isolated",
                             "--force-exclude", "-f", "concise", *names], folder,
                            arguments.runs)
        found = subprocess.run([sys.executable, "-m", "promptcache.cli", "lint", "--isolated",
                                "-f", "concise", *names], cwd=folder, capture_output=True,
                               text=True, check=False).stdout.splitlines()[-1]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'command':<44} {'median wall':>12} {'x floor':>8}")
    print(f"{'python -c pass':<44} {floor * 1000:>9.0f} ms {1.0:>8.1f}")
    print(f"{f'promptcache lint ({arguments.files} files)':<44} {lint * 1000:>9.0f} ms "
          f"{lint / floor:>8.1f}")
    print(f"lint found: {found}")


if __name__ == "__main__":
    main()
