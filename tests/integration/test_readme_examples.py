"""Every Python example in README.md runs as written against the engine (DOCKER_HOST set), from
the repository root, and the images the examples make behave as the README says."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.integration.reference import REPO_ROOT, EngineInfo, run_image

README = REPO_ROOT / "README.md"
_FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _python_blocks() -> list[str]:
    return _FENCE.findall(README.read_text())


def test_the_readme_has_python_examples() -> None:
    blocks = _python_blocks()
    assert len(blocks) >= 3
    assert any("buildwright.connect()" in block for block in blocks)
    assert any("buildwright.image(" in block for block in blocks)


@pytest.mark.parametrize("index", range(len(_python_blocks())), ids=lambda i: f"block{i + 1}")
def test_readme_python_example_runs(engine: EngineInfo, index: int) -> None:
    block = _python_blocks()[index]
    env = {**engine.env, "PYTHONPATH": str(REPO_ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", block],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"README example {index + 1} failed:\n{block}\n--- stderr ---\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
    if "pipeline-demo:latest" in block:
        out = run_image(engine, "pipeline-demo:latest")
        assert out.startswith("hello from a pipeline\nbuilt by buildwright\n")
        assert "hello.c" in out
        assert re.search(r"^[0-9.]+s exec sh -c mkdir", done.stdout, re.MULTILINE) or "CACHED exec sh -c mkdir" in (
            done.stdout
        )
    if "build_many" in block:
        assert run_image(engine, "motd:latest", "cat", "/motd") == "motd generated in its own stage\n"
