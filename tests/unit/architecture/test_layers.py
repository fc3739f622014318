"""The layer contract in pyproject.toml holds, and a deliberate violation breaks it (so CI would catch one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (make test installs it)"
)


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_source_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout.split("Contracts:")[-1]


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "processing/violation.py",
            "import streammesh.sdk.mesh\n",
            "streammesh.processing is not allowed to import streammesh.sdk",
        ),
        (
            "catalog/violation.py",
            "import streammesh.log.embedded.log\n",
            "streammesh.catalog is not allowed to import streammesh.log.embedded",
        ),
        (
            "store/violation.py",
            "import streammesh.catalog.service\n",
            "streammesh.store is not allowed to import streammesh.catalog",
        ),
    ],
)
def test_a_deliberate_violation_is_reported(tmp_path: Path, module: str, line: str, broken: str) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    (tree / "src" / "streammesh" / module).write_text(f'"""A deliberate layer violation."""\n\n{line}')
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    assert broken in " ".join(result.stdout.split()), result.stdout
