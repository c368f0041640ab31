"""The layers stated in pyproject.toml ([tool.importlinter]) hold: data flows one way, from
the domain up to the cockpit and the command line, and each outside library stays in its
package. `make lint` runs the same check; here it runs with the tests, so CI runs it too."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the pyproject.toml in ``cwd``, without writing a cache there."""
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("lint-imports is missing: install the dev extras (pip install -e '.[dev]')")
    return subprocess.run(
        [found, "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_import_contracts_are_kept() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_the_layers(tmp_path: Path) -> None:
    """The contract can fail: the same rules on a copy of the package in which the domain
    imports the cockpit report it."""
    package = tmp_path / "ipsec_tui"
    shutil.copytree(ROOT / "ipsec_tui", package, ignore=shutil.ignore_patterns("captures"))
    model = package / "domain" / "model.py"
    model.write_text(model.read_text() + "\nimport ipsec_tui.ui.session  # upward\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    proc = _lint_imports(tmp_path, "--contract", "layers", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ipsec_tui.domain.model -> ipsec_tui.ui.session" in proc.stdout


def test_the_readme_layout_lists_every_top_level_module_and_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\nLayout.", 1)[1].split("```", 2)[1]
    # the entries under ipsec_tui/: two spaces, then a package (name/) or a module (name.py)
    listed = set(re.findall(r"^  ([a-z_]+/|[a-z_]+\.py) ", layout, flags=re.M))
    listed = {name.rstrip("/") for name in listed}
    package = ROOT / "ipsec_tui"
    present = {
        entry.name
        for entry in package.iterdir()
        if (entry.suffix == ".py" and entry.name != "__init__.py")
        or (entry.is_dir() and (entry / "__init__.py").is_file())
    }
    assert present - listed == set(), "not in the README's Layout"
    assert listed - present == set(), "in the README's Layout, not in ipsec_tui/"


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def test_the_demo_captures_are_stored_once() -> None:
    """The lab captures the demo ships (ipsec_tui/demo/captures) are the tests' too: under
    tests/data/captures they are links to the package's, never a second copy."""
    demo = ROOT / "ipsec_tui" / "demo" / "captures"
    shipped = {_tree_digest(folder): folder.name for folder in demo.iterdir() if folder.is_dir()}
    linked = []
    for folder in sorted((ROOT / "tests" / "data" / "captures").glob("*/*")):
        if folder.is_symlink():
            assert folder.resolve().parent == demo.resolve(), folder
            linked.append(folder.resolve().name)
        else:
            assert _tree_digest(folder) not in shipped, f"{folder} copies a demo capture"
    assert linked, "the demo's lab captures are read by the tests through links"
