"""Reading a YAML file the operator wrote or handed over, with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ipsec_tui.errors import UserError


def load_yaml(path: Path, what: str = "") -> Any:
    """The parsed document; a UserError naming `path` (and `what` it is) otherwise."""
    label = f"{path}: {what}" if what else f"{path}:"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{label} not found" if what else f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{label} cannot be read: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from exc
