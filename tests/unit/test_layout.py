"""The product owner's layout rules that code can check."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py")
                 if any(line.strip().startswith(("import streamlit", "from streamlit"))
                        for line in p.read_text().splitlines())]
    assert offenders == []


def test_every_requirement_is_pinned():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    packages = [l for l in lines if l and not l.startswith(("#", "-"))]
    assert packages and all("==" in l for l in packages), [l for l in packages if "==" not in l]


def test_every_navigation_page_file_exists():
    import ast
    tree = ast.parse((ROOT / "ui" / "navigation.py").read_text())
    paths = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and isinstance(n.value, str) and n.value.startswith("pages/")]
    assert paths and [p for p in paths if not (ROOT / p).exists()] == []
