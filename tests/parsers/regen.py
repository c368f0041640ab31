"""Write the expected .yml of new golden parser cases from the current parser, for review.

    python3 tests/parsers/regen.py                      every case without a .yml
    python3 tests/parsers/regen.py PATH...              these cases (.txt files or folders)
    python3 tests/parsers/regen.py --force PATH...      also overwrite existing .yml files

What it writes is what the parser says today, not what is right: read every value against
the raw .txt before committing it. The format is described in test_golden.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the project root, when run as a script

from tests.parsers import test_golden as golden  # noqa: E402


def _selected(paths: list[str]) -> list[golden.Case]:
    cases = golden.discover()
    if not paths:
        return cases
    wanted = [Path(path).resolve() for path in paths]
    return [
        case
        for case in cases
        if any(case.raw.resolve() == want or want in case.raw.resolve().parents for want in wanted)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="case .txt files or folders (default: all)")
    parser.add_argument("--force", action="store_true", help="overwrite existing .yml files")
    args = parser.parse_args(argv)
    cases = _selected(args.paths)
    if not cases:
        print("no golden cases selected", file=sys.stderr)
        return 1
    written = 0
    for case in cases:
        if case.expected.exists() and not args.force:
            continue
        result, fragment, _ = golden.run_case(case)
        case.expected.write_text(golden.dump(golden.case_data(result, fragment)), encoding="utf-8")
        written += 1
        print(f"wrote {case.expected.relative_to(HERE)} ({result.status}): review it")
    if not written:
        print("nothing to write (existing .yml files are kept; --force overwrites)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
