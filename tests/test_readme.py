"""The README's example runs and proves its result."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_example_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # the example ends in an assert
    assert "z" in namespace and "w" in namespace


def test_readme_commands_match_ci() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = re.search(r"```bash\n(python3 -m venv .*pytest)\n```", text)
    assert test_cmd is not None
    assert test_cmd.group(1) in ci, "the README's test command and .ci/run have drifted apart"
    assert "python -m kronblock tour" in text
