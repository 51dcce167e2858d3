"""The product owner's layout rules that code can check."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "core").rglob("*.py")
        if any(
            line.strip().startswith(("import streamlit", "from streamlit"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_every_requirement_is_pinned():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    packages = [line for line in lines if line and not line.startswith(("#", "-"))]
    assert packages and all("==" in p for p in packages), [p for p in packages if "==" not in p]


def test_the_layering_contracts_hold():
    """import-linter's contracts in pyproject.toml: pages and ui never import models or
    SQLAlchemy, core.policy never reaches the database or services, core never imports
    Streamlit, bench never imports tests (direct or indirect imports where stated)."""
    import subprocess
    import sys

    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "Contracts: 4 kept, 0 broken." in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0


def test_every_navigation_page_file_exists():
    import ast

    tree = ast.parse((ROOT / "ui" / "navigation.py").read_text())
    paths = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("pages/")
    ]
    assert paths and [p for p in paths if not (ROOT / p).exists()] == []
