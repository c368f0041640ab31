"""Status marks that read without colour too (NO_COLOR): a glyph and a word per status."""

from __future__ import annotations

from ipsec_tui.domain.model import Status

STATUS_MARK = {Status.PASS: "✔", Status.WARN: "!", Status.FAIL: "✘", Status.UNKNOWN: "?"}
STATUS_WORD = {Status.PASS: "ok", Status.WARN: "warn", Status.FAIL: "FAIL", Status.UNKNOWN: "?"}
STATUS_CLASS = {
    Status.PASS: "status-pass",
    Status.WARN: "status-warn",
    Status.FAIL: "status-fail",
    Status.UNKNOWN: "status-unknown",
}
# Rich styles for places that render Text (theme variables are not available there)
STATUS_STYLE = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.UNKNOWN: "dim",
}
