"""`import textual` stays inside ipsec_tui.ui (harlequin's test_import_hygiene idea): the
engine, the headless commands and the cockpit's own Textual-free core never load it."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = [
    "import ipsec_tui.analysis",
    "import ipsec_tui.checks",
    "from ipsec_tui.checks.registry import all_checks; all_checks()",
    "import ipsec_tui.domain, ipsec_tui.domain.model, ipsec_tui.domain.capture",
    "import ipsec_tui.collectors.run, ipsec_tui.collectors.capture_io",
    "import ipsec_tui.collectors.bundles, ipsec_tui.redact, ipsec_tui.timeline",
    "import ipsec_tui.evidence.bundle, ipsec_tui.evidence.report, ipsec_tui.report_text",
    "from ipsec_tui.cli import build_parser; build_parser().parse_args(['check', 'x'])",
    # the cockpit's Textual-free core: what workers call
    "import ipsec_tui.ui.session, ipsec_tui.ui.live, ipsec_tui.timeline, ipsec_tui.ui.evidence",
    "import ipsec_tui.ui.cli",
    "import ipsec_tui.ui.state",
]


@pytest.mark.parametrize("statement", HEADLESS)
def test_headless_imports_do_not_load_textual(statement: str) -> None:
    loaded = "sorted(m for m in sys.modules if m.split('.')[0] == 'textual')"
    probe = f"{statement}\nimport sys\nprint({loaded})\n"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"{statement!r} loaded {proc.stdout.strip()}"


def test_a_check_run_does_not_load_textual() -> None:
    from ipsec_tui.demo import demo_scenarios

    capture = demo_scenarios()[0].path
    probe = (
        "import sys\n"
        "from ipsec_tui.cli import main\n"
        f"code = main(['check', '--json', {str(capture)!r}])\n"
        "print('textual' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.stderr.strip().splitlines()[-1] == "False", proc.stderr


def test_opening_a_capture_loads_no_ssh_or_keyring() -> None:
    """The cockpit, its command line and the analysis load Netmiko, paramiko, keyring and
    Nornir only when something is collected: opening a capture or a bundle waits on none of
    them (a third of a second of imports at every start)."""
    modules = ("netmiko", "paramiko", "keyring", "nornir")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "import ipsec_tui.cli, ipsec_tui.ui.cli, ipsec_tui.ui.app, ipsec_tui.ui.analysing\n"
            "import ipsec_tui.collectors.run\n"
            f"print(sorted(m for m in {modules!r} if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    # and collecting does load them (the test would pass on a name nobody imports)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ipsec_tui.collectors.ssh; print('netmiko' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.strip() == "True", proc.stderr
