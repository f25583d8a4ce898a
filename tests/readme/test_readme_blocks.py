"""Every ``bash`` block of README.md, run as written, in order, in one shell, on a fresh stack.

The blocks read the stack's URLs from ``API``, ``CONTROL``, ``NTFY``, ``AWS`` (they default to the
ports of ``make up``) and the ``rez`` CLI from ``REZ_PORT_*``: here they point at a stack on free
ports, so a stack a developer has running is not touched. A block preceded by
``<!-- not-run: reason -->`` is skipped, and the test prints it with its reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from emulation.config import StackConfig
from emulation.stack import Stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```bash\n(.*?)^```$", re.S | re.M)
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->\s*$")

# What some blocks must print (a block is named by a line of its text).
EXPECTED = {
    "rez demo run golf-booking": ["matched its recording"],
    "rez-agent-dev/json?poll=1": ['"title":"T"', '"priority":4', '"status":"completed"'],
    '"payload":{"message":42}': ["payload.message", "401"],
    "sqs list-queues": ["rez-agent-notifications-dev"],
    "fetch_reservations": ["Weather", "Available Tee Times", "Booked Successfully", "response_code"],
    '"morning weather"': ['"status":"active"'],
    "rez clock advance 3d": ['"fired"'],
    '"method": "tools/list"': ["golf_search_tee_times", "create_schedule"],
    "tee times at Birdsfoot tomorrow": ['"session_id"'],
    "ntfy starts failing": ["1 message(s)", "ALARM", '"moved": 1'],
    "rez clock show": ['"now"'],
}


@dataclass
class Block:
    number: int
    text: str
    skip: str | None


def readme_blocks() -> list[Block]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for number, found in enumerate(FENCE.finditer(text), 1):
        before = text[: found.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = NOT_RUN.search(before)
        blocks.append(Block(number, found.group(1), reason.group(1) if reason else None))
    return blocks


@pytest.fixture(scope="module")
def readme_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(StackConfig.for_tests(tmp_path_factory.mktemp("rez-readme")))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def _env(stack: Stack) -> dict[str, str]:
    port = lambda url: str(urlsplit(url).port)  # noqa: E731
    ports = {"API": stack.urls.api, "CONTROL": stack.urls.control, "AWS": stack.urls.aws, "NTFY": stack.urls.ntfy,
             **{name.upper(): url for name, url in stack.urls.fakes.items()}}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REZ_PORT_", "AWS_"))}
    env.update({f"REZ_PORT_{name}": port(url) for name, url in ports.items()})
    env.update(API=stack.urls.api, CONTROL=stack.urls.control, NTFY=stack.urls.ntfy, AWS=stack.urls.aws)
    return env


def test_every_block_says_why_when_it_is_not_run_and_has_no_placeholders():
    blocks = readme_blocks()
    assert len(blocks) >= 10
    for block in blocks:
        code = re.sub(r"(^|\s)#.*$", "", block.text, flags=re.M)  # comments may say <function>
        assert not re.search(r"<[a-z][a-z ]+>", code), f"block {block.number} has a placeholder"
        assert not re.search(r"(^|[;&|]\s*)open\s", block.text, re.M), f"block {block.number} uses macOS `open`"
    skipped = [b for b in blocks if b.skip]
    print("\nREADME blocks not run:\n" + "\n".join(f"  block {b.number}: {b.skip}" for b in skipped))
    assert all(b.skip.strip() for b in skipped)
    assert "../shared" not in (ROOT / "README.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert "../shared" not in page.read_text(), page


def test_the_readme_runs_as_written(readme_stack, tmp_path):
    if not (ROOT / ".venv" / "bin" / "rez").exists():
        pytest.skip("the README's blocks use .venv/bin/rez, and there is no .venv here (make venv)")
    run, skipped = [], []
    for block in readme_blocks():
        if block.skip:
            skipped.append(f"block {block.number}: {block.skip}")
        elif "aws " in block.text and shutil.which("aws") is None:
            skipped.append(f"block {block.number}: the aws CLI is not installed")
        else:
            run.append(block)
    script = ["set -e -o pipefail", 'trap \'echo "::failed in block $BLOCK at: $BASH_COMMAND" >&2\' ERR']
    for block in run:
        script += [f"BLOCK={block.number}; echo; echo '::block {block.number}::'", block.text]
    (tmp_path / "readme.sh").write_text("\n".join(script), encoding="utf-8")
    done = subprocess.run(["bash", str(tmp_path / "readme.sh")], cwd=ROOT, env=_env(readme_stack),
                          capture_output=True, text=True, timeout=600)
    outputs = dict(re.findall(r"::block (\d+)::\n(.*?)(?=::block \d+::|\Z)", done.stdout, re.S))
    assert done.returncode == 0, f"stderr:\n{done.stderr[-3000:]}\nstdout (end):\n{done.stdout[-3000:]}"
    print("\nREADME blocks not run:\n  " + "\n  ".join(skipped))
    for block in run:
        out = outputs.get(str(block.number), "")
        assert "Traceback" not in out and "command not found" not in done.stderr, (block.number, out[-2000:])
        for needle, wanted in EXPECTED.items():
            if needle in block.text:
                missing = [w for w in wanted if w not in out]
                assert not missing, f"block {block.number} did not print {missing}:\n{out[-3000:]}"
    assert all(any(needle in b.text for b in run) for needle in EXPECTED if shutil.which("aws") or
               needle not in ("sqs list-queues", '"method": "tools/list"'))
