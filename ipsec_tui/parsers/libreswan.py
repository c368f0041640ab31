"""Libreswan (pluto) parsers: `ipsec status`, `ipsec trafficstatus`, `ipsec globalstatus`,
`ipsec --version`, pluto's log and ipsec.conf, into the vendor-neutral model.

Libreswan 3.x, 4.x and 5.x: the generations word the same facts differently (3.x-4.x state
names such as STATE_V2_ESTABLISHED_CHILD_SA, 5.1-5.3 without STATE_, 5.4 on only the state's
story "established Child SA"; 5.x connection lines such as "host:", "routing:",
"encapsulation:"); each template names the wordings it reads, with its sources. A line of a
recognised output that none of them places is left unplaced (a PARTIAL result), never dropped.

Each template (templates/libreswan/<key>.ttp) finds the lines; the normalisers here turn the
fields into model objects with canonical names (`ipsec_tui.domain.algorithms`) and cause
tokens (`ipsec_tui.domain.causes`). Every text goes to TTP with its lines numbered
("<n> <line>") so each fact can point back at its lines (SourceRef, LogEvent.line).

Identities: Libreswan writes an ID_FQDN with a leading "@" (`leftid=@siteB.lab`, `our
id=@siteB.lab`) so that it is not resolved as a host name; the ID payload on the wire is the
bare FQDN `siteB.lab`, which is what strongSwan prints. The model holds the bare FQDN, so the
two implementations compare equal; other ID types (addresses, user@fqdn, DNs, @#keyid) are kept
as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.causes import NOTIFY_ERRORS
from ipsec_tui.domain.model import (
    ChildConfig,
    ChildSa,
    Connection,
    IkeMessage,
    IkeSa,
    LogEvent,
    Proposal,
    SourceRef,
)
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    ParseError,
    group_items,
    parser,
    run_ttp,
    source_ref,
)
from ipsec_tui.parsers.log_signatures import match_causes

PLATFORM = "libreswan"

# --- shared helpers ---------------------------------------------------------------------------

_WHACK_CODE = re.compile(r"^\d{3} ")


def _numbered(text: str, *, strip_whack_codes: bool = False) -> str:
    """Each line as "<n> <line>" (1-based, counting newlines as a file viewer does),
    optionally without whack's "000 " codes."""
    lines = re.split(r"\r?\n", text)
    if strip_whack_codes:
        lines = [_WHACK_CODE.sub("", line) for line in lines]
    return "\n".join(f"{number} {line}" for number, line in enumerate(lines, 1))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _line(row: dict[str, Any]) -> int:
    return int(row["n"])


def _source(ctx: ParseContext, lines: Iterable[int]) -> SourceRef | None:
    """Where a fact was read: from the first to the last of its lines; None without any."""
    numbers = sorted(lines)
    if not numbers:
        return None
    return source_ref(ctx, numbers[0], numbers[-1])


def _seconds(text: str | None) -> int | None:
    """ipsec.conf / status durations: '3600s', '14400', '8h', '30m', '1d' -> seconds."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _spi(text: str) -> str:
    """An SPI as the model holds it: lowercase hex without 0x, 8 digits as `ip xfrm` shows it
    (pluto prints the said without leading zeros: esp.b81df6e@...)."""
    return text.lower().removeprefix("0x").rjust(8, "0")


# --- identities, authentication ---------------------------------------------------------------


def normalise_id(raw: str | None, idtype: str | None = None) -> str | None:
    """A Libreswan identity as the model holds it (see the module docstring).

    '@siteB.lab' (ID_FQDN) -> 'siteB.lab'; '%any' stays '%any' (a wildcard, as strongSwan
    writes it); '(none)', '%none' and '%fromcert' (known only from a certificate) -> None;
    addresses, 'user@example.org', DNs, '@#0x...' key ids, '@~...' are kept as written.
    """
    if raw is None:
        return None
    value = raw.strip().strip('"').strip()
    if value in ("", "(none)", "%none", "%fromcert"):
        return None
    # 5.x prints the ID type without its ID_ prefix ("our idtype: FQDN")
    is_fqdn = idtype in (None, "ID_FQDN", "FQDN") and re.fullmatch(r"@[^@#~\[\s][^\s]*", value)
    if is_fqdn:
        return value[1:]
    return value


_AUTH = {
    "secret": "psk",
    "psk": "psk",
    "rsasig": "pubkey",
    "rsa": "pubkey",
    "rsa-sha1": "pubkey",
    "rsa-sha2": "pubkey",
    "rsa-sha2_256": "pubkey",
    "rsa-sha2_384": "pubkey",
    "rsa-sha2_512": "pubkey",
    "ecdsa": "pubkey",
    "ecdsa-sha2": "pubkey",
    "ecdsa-sha2_256": "pubkey",
    "ecdsa-sha2_384": "pubkey",
    "ecdsa-sha2_512": "pubkey",
    "eddsa": "pubkey",
    "pubkey": "pubkey",
    "null": "null",
    "eaponly": "eap",
    "eap": "eap",
}


def _auth(raw: str | None) -> str | None:
    """'secret' -> 'psk', 'rsasig'/'ecdsa' -> 'pubkey', 'null', 'eaponly' -> 'eap'.

    5.x adds the signature methods it accepts: 'rsasig(RSASIG+RSASIG_v1_5)' for this end,
    'RSASIG+ECDSA+RSASIG_v1_5' for the peer; every one of them is a public-key signature.
    """
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in _AUTH:
        return _AUTH[value]
    methods = {
        "pubkey" if re.match(r"rsa|ecdsa|eddsa", token) else _AUTH.get(token)
        for token in re.split(r"[+()]", value)
        if token
    }
    return methods.pop() if len(methods) == 1 else None


# --- algorithms ------------------------------------------------------------------------------

# An integrity algorithm's name carries its truncation (HMAC_SHA2_256_128, HMAC_SHA1_96);
# a PRF's does not (HMAC_SHA2_256, HMAC_SHA1) - Libreswan's ike_alg names.
_TRUNCATED_INTEG = re.compile(
    r"(?i)(?:AUTH_)?(?:HMAC_SHA2_\d{3}_\d+|HMAC_SHA1_(?:96|160)|HMAC_MD5_(?:96|128)"
    r"|AES_XCBC_96|AES_CMAC_96|AES_\d+_GMAC)"
)
_DH_NAME = re.compile(r"(?i)(?:modp|ecp|dh|curve|x25519|x448)[_0-9]*\w*")
_ESN = ("enabled", "disabled", "esn", "noesn")
_KEYWORD_ALIASES = {"sha2": "sha2_256", "sha": "sha1"}


def _tokens(text: str) -> list[tuple[list[str], bool]]:
    """'aes256-sha2;modp2048' / 'AES_CBC_256-HMAC_SHA2_256-MODP2048' -> the positions as
    (alternatives, written after ';' - the DH slot of ipsec.conf's syntax); ESN dropped."""
    main, _, dh_part = text.strip().partition(";")
    positions = [(p, False) for p in main.split("-") if p.strip()]
    positions += [(p, True) for p in dh_part.split("-") if p.strip()]
    out: list[tuple[list[str], bool]] = []
    for position, dh_slot in positions:
        alternatives = [a.strip() for a in position.split("+") if a.strip()]
        if alternatives and all(a.lower() in _ESN for a in alternatives):
            continue
        out.append((alternatives, dh_slot))
    return out


def _add(found: list[str], name: str | None) -> None:
    if name and name not in found:
        found.append(name)


def suite_proposal(text: str, kind: str) -> Proposal:
    """One Libreswan proposal, as ipsec.conf writes it ('aes256-sha2_256;modp2048',
    'aes_gcm128-null') or as pluto prints it ('AES_CBC_256-HMAC_SHA2_256-MODP2048',
    'AES_GCM_16_128-NONE-MODP2048', the log's 'AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-
    MODP2048'), kind 'ike' or 'esp'/'ah'.

    Positions follow pluto: ENCR[-PRF][-INTEG][-DH] for IKE, ENCR-INTEG[-DH][-ESN] for ESP.
    An IKE hash without truncation is the PRF; when no separate integrity is given it is also
    the integrity algorithm (HMAC_SHA2_256 -> prf sha256 and integrity sha256, as pluto pairs
    them), except with an AEAD cipher. NONE/NULL right after the cipher is "no integrity";
    NONE in the DH position is "no PFS group" ('none'). A cipher printed with key length
    000 (3.x: the default length) is not named: which length that is depends on the version.
    """
    enc: list[str] = []
    integ: list[str] = []
    prfs: list[str] = []
    dh: list[str] = []
    hashes: list[str] = []  # IKE hashes that name the PRF and (if alone) the integrity
    positions = _tokens(re.sub(r"\(\d+\)", "", text))  # 3.x prints ids: AES_CBC(7)_256
    for index, (alternatives, dh_slot) in enumerate(positions):
        for token in alternatives:
            low = _KEYWORD_ALIASES.get(token.lower(), token.lower())
            if index == 0 and not dh_slot:
                if not low.endswith("_000"):
                    _add(enc, algorithms.encryption(token))
                continue
            if low in ("none", "null"):
                if kind != "ike" and (index >= 2 or dh_slot):
                    _add(dh, "none")
                # else: no integrity (AEAD) - nothing to record
                continue
            if dh_slot or (_DH_NAME.fullmatch(token) and algorithms.dh_group(token)):
                _add(dh, algorithms.dh_group(token))
            elif kind == "ike" and low.startswith("prf"):
                _add(prfs, algorithms.prf(token))
            elif kind == "ike" and not _TRUNCATED_INTEG.fullmatch(token):
                _add(hashes, low)
            else:
                _add(integ, algorithms.integrity(low))
    if kind == "ike":
        aead = bool(enc) and all(algorithms.is_aead(name) for name in enc)
        for name in hashes:
            _add(prfs, algorithms.prf(name))
            if not aead and not integ:
                _add(integ, algorithms.integrity(name))
        return Proposal(tuple(enc), tuple(integ), tuple(prfs), tuple(dh))
    return Proposal(tuple(enc), tuple(integ), (), tuple(dh))


def suite_proposals(text: str, kind: str) -> tuple[Proposal, ...]:
    """A comma-separated list of proposals ('AES_CBC_256-HMAC_SHA2_256-MODP2048, ...')."""
    proposals = []
    for part in text.split(","):
        if part.strip():
            proposal = suite_proposal(part, kind)
            if proposal.encryption or proposal.integrity:
                proposals.append(proposal)
    return tuple(proposals)


def _with_pfs(
    proposals: tuple[Proposal, ...], pfs: bool | None, ike: tuple[Proposal, ...]
) -> tuple[Proposal, ...]:
    """Child proposals with their PFS groups: pfs=no -> ('none',); pfs=yes and no group in
    the proposal -> the IKE SA's groups (pluto's "pfsgroup=<Phase1>"); unknown -> as given."""
    if pfs is False:
        return tuple(replace(p, dh_groups=("none",)) for p in proposals)
    if pfs is True:
        ike_groups = tuple(dict.fromkeys(g for p in ike for g in p.dh_groups))
        return tuple(p if p.dh_groups else replace(p, dh_groups=ike_groups) for p in proposals)
    return proposals


def _policy_version(tokens: set[str]) -> int | None:
    if "IKEv2" in tokens or ("IKEV2_ALLOW" in tokens and "IKEV1_ALLOW" not in tokens):
        return 2
    if "IKEv1" in tokens or ("IKEV1_ALLOW" in tokens and "IKEV2_ALLOW" not in tokens):
        return 1
    if "IKEV1_ALLOW" in tokens and "IKEV2_ALLOW" in tokens:
        return 0
    return None


_DPD_ACTIONS = {"hold": "trap", "clear": "clear", "restart": "restart"}


def _dpd_action(action: str | None, delay: str | None) -> str | None:
    """Libreswan's dpdaction in strongSwan's words (hold -> trap); None when DPD is off
    (no dpddelay, or 0)."""
    if not action or not _seconds(delay):
        return None
    return _DPD_ACTIONS.get(action.strip().lower())


def _encap(value: str | None) -> bool | None:
    """encapsulation=yes forces ESP-in-UDP (strongSwan's encap=yes); auto/no do not."""
    if value is None:
        return None
    value = value.strip().lower()
    if value in ("yes", "force", "true"):
        return True
    if value in ("no", "auto", "false"):
        return False
    return None


# --- ipsec status -----------------------------------------------------------------------------

# Libreswan state names (STATE_ prefix dropped) -> (canonical state, this peer initiated?).
# IKEv2 from the 4.10 list in `ipsec globalstatus` (current.states.enumerate.*); 3.x names
# (PARENT_*, V2_IPSEC_*) from libreswan.github.io HOWTO/Read-status-output.md; IKEv1's
# established set is pluto's IS_ISAKMP_SA_ESTABLISHED (MAIN_R3/I4, AGGR_R2/I2, XAUTH_*,
# MODE_CFG_*).
_IKE_STATES: dict[str, tuple[str, bool | None]] = {
    "V2_PARENT_I0": ("CONNECTING", True),
    "V2_PARENT_I1": ("CONNECTING", True),
    "V2_PARENT_I2": ("CONNECTING", True),
    "V2_PARENT_R0": ("CONNECTING", False),
    "V2_PARENT_R1": ("CONNECTING", False),
    "V2_PARENT_R_EAP": ("CONNECTING", False),
    "V2_ESTABLISHED_IKE_SA": ("ESTABLISHED", None),
    "ESTABLISHED_IKE_SA": ("ESTABLISHED", None),
    "V2_REKEY_IKE_I0": ("REKEYING", True),
    "V2_REKEY_IKE_I1": ("REKEYING", True),
    "V2_REKEY_IKE_R0": ("REKEYING", False),
    "V2_IKE_SA_DELETE": ("DELETING", None),
    "PARENT_I0": ("CONNECTING", True),
    "PARENT_I1": ("CONNECTING", True),
    "PARENT_I2": ("CONNECTING", True),
    "PARENT_I3": ("ESTABLISHED", True),
    "PARENT_R0": ("CONNECTING", False),
    "PARENT_R1": ("CONNECTING", False),
    "PARENT_R2": ("ESTABLISHED", False),
    "IKESA_DEL": ("DELETING", None),
    "MAIN_R0": ("CONNECTING", False),
    "MAIN_R1": ("CONNECTING", False),
    "MAIN_R2": ("CONNECTING", False),
    "MAIN_R3": ("ESTABLISHED", False),
    "MAIN_I1": ("CONNECTING", True),
    "MAIN_I2": ("CONNECTING", True),
    "MAIN_I3": ("CONNECTING", True),
    "MAIN_I4": ("ESTABLISHED", True),
    "AGGR_R0": ("CONNECTING", False),
    "AGGR_R1": ("CONNECTING", False),
    "AGGR_R2": ("ESTABLISHED", False),
    "AGGR_I1": ("CONNECTING", True),
    "AGGR_I2": ("ESTABLISHED", True),
    "XAUTH_R0": ("ESTABLISHED", None),
    "XAUTH_R1": ("ESTABLISHED", None),
    "XAUTH_I0": ("ESTABLISHED", None),
    "XAUTH_I1": ("ESTABLISHED", None),
    "MODE_CFG_R0": ("ESTABLISHED", None),
    "MODE_CFG_R1": ("ESTABLISHED", None),
    "MODE_CFG_R2": ("ESTABLISHED", None),
    "MODE_CFG_I1": ("ESTABLISHED", None),
}
_CHILD_STATES: dict[str, str] = {
    "V2_ESTABLISHED_CHILD_SA": "INSTALLED",
    "ESTABLISHED_CHILD_SA": "INSTALLED",
    "V2_IKE_AUTH_CHILD_I0": "INSTALLING",
    "V2_IKE_AUTH_CHILD_R0": "INSTALLING",
    "V2_NEW_CHILD_I0": "INSTALLING",
    "V2_NEW_CHILD_I1": "INSTALLING",
    "V2_NEW_CHILD_R0": "INSTALLING",
    "V2_REKEY_CHILD_I0": "REKEYING",
    "V2_REKEY_CHILD_I1": "REKEYING",
    "V2_REKEY_CHILD_R0": "REKEYING",
    "V2_CHILD_SA_DELETE": "DELETING",
    "V2_IPSEC_I": "INSTALLED",
    "V2_IPSEC_R": "INSTALLED",
    "CHILDSA_DEL": "DELETING",
    "QUICK_I1": "INSTALLING",
    "QUICK_R0": "INSTALLING",
    "QUICK_R1": "INSTALLING",
    "QUICK_I2": "INSTALLED",
    "QUICK_R2": "INSTALLED",
}
_IKEV1_PREFIXES = ("MAIN_", "AGGR_", "QUICK_", "XAUTH_", "MODE_CFG_", "INFO")


def _state_version(name: str) -> int | None:
    if name.startswith(_IKEV1_PREFIXES):
        return 1
    if name.startswith(("V2_", "PARENT_", "IKESA_", "CHILDSA_", "ESTABLISHED_")):
        return 2
    return None


@dataclass(frozen=True)
class _Kind:
    """What a state line says: an IKE SA or an IPsec (child) SA, its canonical state, who
    initiated it (None: not said) and the IKE version (None: not said)."""

    sa: str  # "ike" | "child"
    state: str
    initiator: bool | None
    version: int | None


# pluto's story of a state: the words in brackets after the state name up to 5.3, the only
# words from 5.4 on (programs/pluto/ikev1_states.c S(...), ikev2_states.c and the
# ikev2_*.c V2_STATE(...) of each release; 3.x "PARENT SA established", "sent v2I1").
_STORIES: tuple[tuple[re.Pattern[str], str, str, int | None], ...] = (
    (re.compile(r"established IKE SA|PARENT SA established"), "ike", "ESTABLISHED", 2),
    # IKEv1: 4.x words it "IKE SA established", 3.x and 5.x "ISAKMP SA established"
    (re.compile(r"ISAKMP SA established|IKE SA established"), "ike", "ESTABLISHED", 1),
    (re.compile(r"established Child SA"), "child", "INSTALLED", 2),
    # IKEv1 Quick Mode, and 3.x's IKEv2 STATE_V2_IPSEC_I/R
    (re.compile(r"IPsec SA established"), "child", "INSTALLED", None),
    (re.compile(r"Quick Mode|\bQ[IR]\d\b"), "child", "INSTALLING", 1),
    (re.compile(r"CREATE_CHILD_SA.*rekey IKE SA"), "ike", "REKEYING", 2),
    (re.compile(r"CREATE_CHILD_SA.*rekey (?:Child|IPsec) SA"), "child", "REKEYING", 2),
    (re.compile(r"CREATE_CHILD_SA|creating child"), "child", "INSTALLING", 2),
    (re.compile(r"XAUTH|ModeCfg|MODE_CFG"), "ike", "ESTABLISHED", 1),
    (re.compile(r"Main Mode|Aggressive Mode|\b[MA][IR]\d\b"), "ike", "CONNECTING", 1),
    (
        re.compile(
            r"IKE_SA_INIT|IKE_AUTH|IKE_INTERMEDIATE|IKE_SESSION_RESUME|waiting for KE"
            r"|\bv2[IR]\d\b|larval"
        ),
        "ike",
        "CONNECTING",
        2,
    ),
    (re.compile(r"deleted state|deleting"), "ike", "DELETING", None),
)
# how a state names its IKE SA: 5.x "IKE SA #1" / "ISAKMP SA #1", 4.x "IKE SA #1", 3.x
# "isakmp#1"
_PARENT = re.compile(r"(?:\b(?P<v2>IKE) SA #|\b(?P<v1>ISAKMP) SA #|\bisakmp#)(?P<serial>\d+)")


def _story_initiator(story: str) -> bool | None:
    """Who initiated, as the story tells it: "sent IKE_SA_INIT request" (initiator), "sent
    IKE_SA_INIT response", "expecting Main Mode request" (responder)."""
    lowered = story.lower()
    if re.search(r"\binitiator\b", lowered):
        return True
    if re.search(r"\bresponder\b", lowered):
        return False
    m = re.match(r"sent .*?\b(request|response|reply)\b", lowered)
    if m:
        return m.group(1) == "request"
    if lowered.startswith("expecting "):
        return False
    return None


def _classify(state_raw: str | None, story: str, rest: str) -> _Kind | None:
    """A state line's kind from its state name (3.x to 5.3) or else its story (5.4 on);
    None when neither is known."""
    name = state_raw.removeprefix("STATE_") if state_raw else None
    parent = _PARENT.search(rest)
    if name in _IKE_STATES:
        canonical, initiator = _IKE_STATES[name]
        if initiator is None:
            initiator = _story_initiator(story)
        return _Kind("ike", canonical, initiator, _state_version(name))
    if name in _CHILD_STATES:
        return _Kind("child", _CHILD_STATES[name], None, _state_version(name))
    found = next((entry for entry in _STORIES if entry[0].search(story)), None)
    if found is None:
        return None
    _, sa, state, version = found
    if sa == "ike" and state == "DELETING" and parent:
        sa = "child"
    if parent and version is None:
        version = 2 if parent.group("v2") else 1
    return _Kind(sa, state, _story_initiator(story) if sa == "ike" else None, version)


@dataclass
class _Conn:
    """What `ipsec status` says about one connection (or one instance of it)."""

    name: str
    lines: set[int] = field(default_factory=set)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    ike_suites: str | None = None
    esp_suites: str | None = None
    ah_suites: str | None = None
    newest_ike_suite: str | None = None
    newest_child_suite: tuple[str, str] | None = None  # (kind, suite)


def _split_outside_brackets(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in "[<":
            depth += 1
        elif char in "]>" and depth:
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


_HOST_END = re.compile(
    r"(?P<host>[^<\[]+?)(?:<(?P<alias>[^>]*)>)?(?:\[(?P<id>[^\]]*)\])?(?::(?P<pp>\d+/\d+))?"
)
_ID_FLAGS = re.compile(r"(?:^|,)\+?(?:[A-Z]{1,2}(?:[=?!][A-Z])?\+?)+$")


@dataclass(frozen=True)
class _End:
    host: str | None
    client: str | None
    id: str | None
    protoport: str | None


def _parse_end(text: str, *, local: bool) -> _End:
    """One end of the connection line: 'client===host[id]---nexthop' (local side) or
    'nexthop---host[id]===client' (remote side)."""
    parts = _split_outside_brackets(text, "===")
    if local:
        client, host_part = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
        host_part = _split_outside_brackets(host_part, "---")[0]
    else:
        host_part, client = (parts[0], parts[1]) if len(parts) > 1 else (parts[0], None)
        host_part = _split_outside_brackets(host_part, "---")[-1]
    host_part = host_part.strip().removeprefix("...")
    m = _HOST_END.fullmatch(host_part)
    if not m:
        return _End(None, client, None, None)
    raw_id = m.group("id")
    end_id = None
    if raw_id:
        end_id = _ID_FLAGS.sub("", raw_id) or None
    return _End(m.group("host"), client.strip() if client else None, end_id, m.group("pp"))


def _addr(host: str | None) -> tuple[str, ...]:
    """A host for local_addrs/remote_addrs: an address or name; '%any' kept (wildcard);
    other %keywords (%defaultroute, %opportunisticgroup...) are not addresses."""
    if not host:
        return ()
    host = host.strip()
    if host == "%any":
        return ("%any",)
    if host.startswith("%"):
        return ()
    return (host,)


_PROTO_NAMES = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "47": "gre"}


def _selector(subnet: str, protoport: str | None) -> str:
    """'10.0.0.0/24' and Libreswan's protoport '17/1701' -> '10.0.0.0/24[udp/1701]' (the
    selector notation strongSwan prints)."""
    if not protoport or protoport in ("0/0", "0"):
        return subnet
    proto, _, port = protoport.partition("/")
    proto = _PROTO_NAMES.get(proto, proto)
    return f"{subnet}[{proto}/{port}]" if port and port != "0" else f"{subnet}[{proto}]"


def _conn_from_status(conn: _Conn, ctx: ParseContext) -> Connection:
    f = conn.fields
    spd = f.get("spd", {})
    local_end = remote_end = _End(None, None, None, None)
    if spd.get("spd"):
        halves = _split_outside_brackets(spd["spd"], "...")
        if len(halves) >= 2:
            local_end = _parse_end(halves[0], local=True)
            remote_end = _parse_end("...".join(halves[1:]), local=False)
    ids = f.get("ids", {})
    local_id = normalise_id(ids.get("our_id"), ids.get("our_idtype")) if ids else None
    remote_id = normalise_id(ids.get("their_id"), ids.get("their_idtype")) if ids else None
    if not ids:
        local_id = normalise_id(local_end.id)
        remote_id = normalise_id(remote_end.id)
    policy_tokens = set(f.get("policy", {}).get("policy", "").split("+")) - {""}
    version = _policy_version(policy_tokens) if policy_tokens else None
    pfs = ("PFS" in policy_tokens) if policy_tokens else None
    mode = None
    if policy_tokens & {"ENCRYPT", "AUTHENTICATE"}:
        # POLICY_TUNNEL set -> tunnel; an IPsec policy without it is transport mode
        mode = "tunnel" if "TUNNEL" in policy_tokens else "transport"
    ike = suite_proposals(conn.ike_suites, "ike") if conn.ike_suites else ()
    child_kind, child_suites = ("esp", conn.esp_suites)
    if child_suites is None and conn.ah_suites is not None:
        child_kind, child_suites = ("ah", conn.ah_suites)
    child_proposals = suite_proposals(child_suites, child_kind) if child_suites else ()
    child_proposals = _with_pfs(child_proposals, pfs, ike)
    lifetimes = f.get("lifetimes", {})
    dpd_settings = f.get("dpd", {}).get("settings", "")
    dpd = {
        "dpdaction": _setting(dpd_settings, r"(?:dpd)?action"),
        "dpddelay": _setting(dpd_settings, r"(?:dpd)?delay"),
    }
    # 4.x "nat-traversal: encaps:yes", 5.x "encapsulation:auto", 3.x on the dpd line
    encaps = _setting(f.get("nat", {}).get("settings", ""), r"encaps(?:ulation)?")
    if encaps is None:
        # 3.x: "dpd: action:hold; delay:0; timeout:0; nat-t: encaps:auto; ..."
        m = re.search(r"\b(force_encaps|encaps):(\w+)", dpd_settings)
        if m and m.group(1) == "encaps":
            encaps = m.group(2)
        elif m:
            encaps = "yes" if m.group(2) == "yes" else "no"
    auth = f.get("auth", {})
    source = _source(ctx, conn.lines)
    local_ts = (_selector(local_end.client, local_end.protoport),) if local_end.client else ()
    remote_ts = (_selector(remote_end.client, remote_end.protoport),) if remote_end.client else ()
    child = ChildConfig(
        name=conn.name,
        local_ts=local_ts,
        remote_ts=remote_ts,
        mode=mode,
        proposals=child_proposals,
        life_time_s=int(lifetimes["ipsec_life"]) if lifetimes.get("ipsec_life") else None,
        start_action="start" if "UP" in policy_tokens else None,
        dpd_action=_dpd_action(dpd.get("dpdaction"), dpd.get("dpddelay")),
        source=source,
    )
    return Connection(
        name=conn.name,
        version=version,
        local_addrs=_addr(local_end.host),
        remote_addrs=_addr(remote_end.host),
        local_id=local_id,
        remote_id=remote_id,
        local_auth=_auth(auth.get("our_auth")),
        remote_auth=_auth(auth.get("their_auth")),
        proposals=ike,
        life_time_s=int(lifetimes["ike_life"]) if lifetimes.get("ike_life") else None,
        encap=_encap(encaps),
        fragmentation=_fragmentation(policy_tokens),
        dpd_delay_s=_seconds(dpd.get("dpddelay")) if dpd.get("dpddelay") else None,
        aggressive=("AGGRESSIVE" in policy_tokens) if policy_tokens else None,
        children=(child,),
        source=source,
    )


def _setting(settings: str, key: str) -> str | None:
    """The value of `key:value` in a status line's settings ("passive; dpdaction:hold;
    dpddelay:0s"), key a regular expression; None when absent."""
    m = re.search(rf"(?:^|[;,]\s*|\s)(?:{key}):\s*([^;,\s]+)", settings)
    return m.group(1) if m else None


def _fragmentation(tokens: set[str]) -> str | None:
    """IKE fragmentation from the policy flags: IKE_FRAG_FORCE, IKE_FRAG_ALLOW, else off."""
    if not tokens:
        return None
    if "IKE_FRAG_FORCE" in tokens:
        return "force"
    return "yes" if "IKE_FRAG_ALLOW" in tokens else "no"


def _timers(rest: str) -> tuple[int | None, int | None]:
    """(rekey in, lifetime left) from a state line's events: 'REKEY in 14126s; REPLACE in
    14396s' (4.x) or 'EVENT_SA_REPLACE in 27450s' / 'EVENT_SA_EXPIRE in 86390s' (3.x)."""
    rekey = lifetime = None
    for m in re.finditer(r"(\w+) in (-?\d+)s", rest):
        event, seconds = m.group(1), int(m.group(2))
        if seconds < 0:
            continue
        if event in ("REKEY",) or (event.startswith("EVENT_") and "REPLACE" in event):
            rekey = seconds if rekey is None else rekey
        elif event in ("REPLACE", "EXPIRE") or event == "EVENT_SA_EXPIRE":
            lifetime = seconds if lifetime is None else lifetime
    return rekey, lifetime


def _humanised_bytes(text: str | None) -> int | None:
    """pluto's readable_humber: '84B', '8KB', '2MB' (rounded down by pluto) -> bytes."""
    if not text:
        return None
    m = re.fullmatch(r"(\d+)(B|KB|MB|GB)!?", text.strip())
    if not m:
        return None
    return int(m.group(1)) * {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[m.group(2)]


@dataclass(frozen=True)
class _Saids:
    protocol: str | None
    spi_in: str | None
    spi_out: str | None
    tunnel: bool
    bytes_in: int | None
    bytes_out: int | None


def _parse_saids(text: str, local_hosts: tuple[str, ...], remote_hosts: tuple[str, ...]) -> _Saids:
    """'esp.9894a50e@20.240.192.55 esp.84ac8cb5@10.0.0.5 tun.0@... Traffic: ESPin=0B ...'.

    A said names the SA's destination: @remote is the outbound SA, @local the inbound one;
    pluto prints the outbound one first (state.c), which decides when the hosts are unknown.
    """
    saids_part, _, traffic = text.partition("Traffic:")
    protocol = None
    spi_in = spi_out = None
    seen: list[tuple[str, str, str]] = []
    # an SPI that is not hex is one the output hides (Libreswan's test suite prints
    # esp.ESPSPIi@...): the SA and its direction are known, its SPI is not
    for m in re.finditer(r"\b(esp|ah|comp)\.([0-9A-Za-z]+)@(\S+)", saids_part):
        seen.append((m.group(1), m.group(2), m.group(3)))
    for index, (proto, spi, dest) in enumerate(seen):
        if proto == "comp":
            continue
        if protocol is None:
            protocol = proto.upper()
        if proto.upper() != protocol:
            continue
        value = _spi(spi) if re.fullmatch(r"(?:0x)?[0-9a-fA-F]+", spi) else None
        if dest in local_hosts:
            spi_in = value
        elif dest in remote_hosts or index == 0:
            spi_out = value
        else:
            spi_in = value
    counters = dict(re.findall(r"\b([A-Z]+(?:in|out|max))=(\S+)", traffic))
    prefix = protocol or "ESP"
    return _Saids(
        protocol=protocol,
        spi_in=spi_in,
        spi_out=spi_out,
        tunnel=bool(re.search(r"\btun\.[0-9a-fA-F]+@", saids_part)),
        bytes_in=_humanised_bytes(counters.get(f"{prefix}in")),
        bytes_out=_humanised_bytes(counters.get(f"{prefix}out")),
    )


_WHERE = re.compile(r"(?:\[\d+\])*(?: (?:\.\.\.)?(?P<addr>\S+?))?:(?P<port>\d+)(?:\(tcp\))?")


def _instance_peer(where: str) -> tuple[str | None, int | None]:
    """A state line's ':4500', '[1] 192.1.3.33:500' or '[1] ...193.110.157.102:500' ->
    (instance peer address or None, remote port)."""
    m = _WHERE.fullmatch(where)
    if not m:
        return None, None
    return m.group("addr"), int(m.group("port"))


@parser(PLATFORM, "ipsec-status")
@parser(PLATFORM, "ipsec-whack-status")
@parser(PLATFORM, "ipsec-briefstatus")
@parser(PLATFORM, "ipsec-whack-briefstatus")
@parser(PLATFORM, "ipsec-showstates")
@parser(PLATFORM, "ipsec-whack-showstates")
@parser(PLATFORM, "ipsec-connectionstatus")
@parser(PLATFORM, "ipsec-whack-connectionstatus")
def parse_status(text: str, ctx: ParseContext) -> Fragment:
    """`ipsec status`: the connection list -> Connection + ChildConfig, the state list ->
    IkeSa with their ChildSa. `ipsec showstates` (the state list), `ipsec connectionstatus`
    (5.x, the connection list) and `ipsec briefstatus` print parts of it."""
    results = run_ttp(PLATFORM, "ipsec-status", _numbered(text, strip_whack_codes=True))
    markers = group_items(results, "markers")
    states = group_items(results, "states")
    spds = group_items(results, "spd")
    if not (markers or states or spds):
        raise ParseError(f"not `ipsec status` output: {_first_line(text)[:200]}")

    conns: dict[tuple[str, str], _Conn] = {}

    def conn_of(row: dict[str, str]) -> _Conn:
        key = (row["name"], row.get("instance", "").strip())
        if key not in conns:
            conns[key] = _Conn(row["name"])
        conns[key].lines.add(_line(row))
        return conns[key]

    for group in ("spd", "orientation", "auth", "lifetimes", "policy", "ids", "dpd", "nat"):
        for row in group_items(results, group):
            conn_of(row).fields[group] = row
    for row in group_items(results, "newest"):
        conn_of(row).fields["newest"] = row
    for row in group_items(results, "algorithms"):
        conn = conn_of(row)
        if row["kind"] == "IKE":
            conn.ike_suites = row["suites"]
        elif row["kind"] == "ESP":
            conn.esp_suites = re.sub(r";\s*pfsgroup=.*$", "", row["suites"])
        else:
            conn.ah_suites = re.sub(r";\s*pfsgroup=.*$", "", row["suites"])
    for row in group_items(results, "newest_algorithms"):
        if row["kind"] in ("IKEv2", "IKEv1", "IKE"):
            conn_of(row).newest_ike_suite = row["suite"]
        else:
            conn_of(row).newest_child_suite = (row["kind"].lower(), row["suite"])

    fragment = Fragment()
    connections: dict[str, Connection] = {}
    # a template connection and its instances share the configuration: the template (no
    # instance suffix) describes the connection, an instance only its own SAs
    for (name, _instance), conn in sorted(conns.items(), key=lambda kv: kv[0][1] != ""):
        if name in connections:
            continue
        connections[name] = _conn_from_status(conn, ctx)
        if conn.fields.get("orientation", {}).get("orientation") == "unoriented":
            fragment.notes.append(
                f"ipsec status: connection {name!r} is unoriented: pluto found neither end on"
                " this host; its left end was taken as local"
            )
    fragment.connections.extend(connections.values())
    for row in markers:
        loaded = re.match(r"\s*loaded (\d+)", row.get("rest", ""))
        if row["marker"] == "Total IPsec connections:" and loaded and loaded.group(1) == "0":
            # a fact, not an empty output: pluto runs and holds no connection at all
            fragment.notes.append("ipsec status: pluto has no connection loaded")
            fragment.understood = True

    text_lines = [_WHACK_CODE.sub("", line) for line in re.split(r"\r?\n", text)]
    fragment.ike_sas.extend(
        _sas_from_states(results, conns, connections, ctx, fragment, text_lines)
    )
    for row in group_items(results, "pending"):
        fragment.notes.append(
            f"ipsec status: #{row['serial']} {row['what']} for {row['name']!r}: waiting for"
            " its IKE SA"
        )
    _unplaced_states(text_lines, results, fragment)
    return fragment


def _unplaced_states(
    text_lines: list[str], results: list[dict[str, Any]], fragment: Fragment
) -> None:
    """Every "#serial: ..." line of the state list that no template line matched: unplaced
    (the rest of `ipsec status` - interfaces, algorithms, options - is not SA state)."""
    placed = {
        _line(row)
        for group in ("states", "saids", "pending")
        for row in group_items(results, group)
    }
    for number, line in enumerate(text_lines, 1):
        if number not in placed and re.match(r"#\d+: ", line):
            fragment.leave_unplaced(number, line, "ipsec status: state line not understood")


def _newest_serials(conn: _Conn) -> tuple[str | None, str | None]:
    """(newest IKE SA, newest IPsec SA) serials of a connection: 3.x/4.x "newest ISAKMP SA:
    #1; newest IPsec SA: #2;", 5.x "established IKE SA: #1; established Child SA: #2;" on its
    routing: (and host:) line; None for none (#0 or not listed)."""
    newest = conn.fields.get("newest", {})
    ike = newest.get("newest_ike")
    ipsec = newest.get("newest_ipsec")
    later = " ".join(
        conn.fields.get(group, {}).get("rest", "") for group in ("orientation", "newest")
    )
    m = re.search(r"established (?:IKE|ISAKMP) SA: #(\d+)", later)
    ike = ike or (m.group(1) if m else None)
    m = re.search(r"established (?:Child|IPsec) SA: #(\d+)", later)
    ipsec = ipsec or (m.group(1) if m else None)
    return (None if ike == "0" else ike), (None if ipsec == "0" else ipsec)


def _sas_from_states(
    results: list[dict[str, Any]],
    conns: dict[tuple[str, str], _Conn],
    connections: dict[str, Connection],
    ctx: ParseContext,
    fragment: Fragment,
    text_lines: list[str],
) -> list[IkeSa]:
    """The state list -> IkeSa with their ChildSa, joined by the IKE SA serial a child
    names; text_lines are the output's lines (for the ones left unplaced)."""
    saids_by_serial = {row["serial"]: row for row in group_items(results, "saids")}
    # "IKEv2 algorithm newest:" / "ESP algorithm newest:" describe the connection's newest
    # IKE SA / IPsec SA only (newest IKE SA: #3; newest IPsec SA: #4)
    newest_suite: dict[str, Proposal] = {}
    for info in conns.values():
        newest_ike, newest_ipsec = _newest_serials(info)
        if newest_ike and info.newest_ike_suite:
            newest_suite[newest_ike] = suite_proposal(info.newest_ike_suite, "ike")
        if newest_ipsec and info.newest_child_suite:
            child_kind, child_suite = info.newest_child_suite
            newest_suite[newest_ipsec] = suite_proposal(child_suite, child_kind)

    ike_sas: dict[str, IkeSa] = {}
    # (parent serial, child, conn name, the state line's number)
    children: list[tuple[str | None, ChildSa, str, int]] = []
    for row in group_items(results, "states"):
        name = row["name"]
        serial = row["serial"]
        rest = row.get("rest", "")
        kind = _classify(row.get("state"), row.get("story", ""), rest)
        conn = connections.get(name)
        instance_addr, remote_port = _instance_peer(row["where"])
        lines = [_line(row)]
        saids_row = saids_by_serial.get(serial)
        if saids_row:
            lines.append(_line(saids_row))
        rekey, lifetime = _timers(rest)
        parent = _PARENT.search(rest)
        parent_serial = parent.group("serial") if parent else None
        # 3.x printed some IPsec SAs with the IKE SA's state name; the SA line tells
        is_child = (kind is not None and kind.sa == "child") or (
            saids_row is not None and (kind is None or parent_serial not in (None, "0", serial))
        )
        if is_child:
            child = _child_from_state(
                row,
                kind.state if kind and kind.sa == "child" else None,
                saids_row,
                conn,
                instance_addr,
                newest_suite.get(serial),
                ctx,
                lines,
            )
            children.append((parent_serial, child, name, _line(row)))
            continue
        if kind is None:
            if (row.get("state") or "").removeprefix("STATE_").startswith("INFO"):
                # an IKEv1 informational exchange in flight: no SA of its own
                fragment.notes.append(f"ipsec status: #{serial} is an informational exchange")
                continue
            fragment.leave_unplaced(
                _line(row),
                text_lines[_line(row) - 1],
                "ipsec status: a state this parser does not know",
            )
            continue
        suite = newest_suite.get(serial)
        ike_sas[serial] = IkeSa(
            name=name,
            unique_id=f"#{serial}",
            state=kind.state,
            version=kind.version,
            local_addr=_first(conn.local_addrs) if conn else None,
            remote_addr=instance_addr or (_first(conn.remote_addrs) if conn else None),
            remote_port=remote_port,
            local_id=conn.local_id if conn else None,
            remote_id=conn.remote_id if conn else None,
            initiator=kind.initiator,
            encryption=_only(suite.encryption) if suite else None,
            integrity=_only(suite.integrity) if suite else None,
            prf=_only(suite.prf) if suite else None,
            dh_group=_only(suite.dh_groups) if suite else None,
            auth_method=conn.local_auth if conn else None,
            lifetime_s=lifetime,
            rekey_in_s=rekey,
            source=_source(ctx, lines),
        )
    orphans: dict[str, list[ChildSa]] = {}
    established: dict[str | None, list[str]] = {}
    for serial, ike in ike_sas.items():
        if ike.state == "ESTABLISHED":
            established.setdefault(ike.name, []).append(serial)
    for parent_serial, child, name, line in children:
        if parent_serial is None:
            # pluto names the IKE SA only once the child is established; one in negotiation
            # ("sent CREATE_CHILD_SA request") goes over its connection's established IKE
            # SA, which is known when the connection has exactly one
            candidates = established.get(name, [])
            parent_serial = candidates[0] if len(candidates) == 1 else None
        if parent_serial and parent_serial in ike_sas:
            ike = ike_sas[parent_serial]
            ike_sas[parent_serial] = replace(ike, child_sas=(*ike.child_sas, child))
            continue
        orphans.setdefault(name, []).append(child)
        # kept under a stand-in IKE SA below, and said: its IKE SA is gone (IKEv1 after the
        # ISAKMP SA expired), not listed, or not named on the line
        fragment.leave_unplaced(
            line,
            text_lines[line - 1],
            "ipsec status: IPsec SA whose IKE SA is not listed"
            + (f" (#{parent_serial})" if parent_serial else ""),
        )
    out = list(ike_sas.values())
    for name, orphan_children in orphans.items():
        conn = connections.get(name)
        out.append(
            IkeSa(
                name=name,
                local_addr=_first(conn.local_addrs) if conn else None,
                remote_addr=_first(conn.remote_addrs) if conn else None,
                child_sas=tuple(orphan_children),
            )
        )
    return out


def _first(values: tuple[str, ...]) -> str | None:
    value = values[0] if values else None
    return None if value == "%any" else value


def _only(values: tuple[str, ...]) -> str | None:
    return values[0] if len(values) == 1 else None


def _child_from_state(
    row: dict[str, str],
    state: str | None,
    saids_row: dict[str, str] | None,
    conn: Connection | None,
    instance_addr: str | None,
    suite: Proposal | None,
    ctx: ParseContext,
    lines: list[int],
) -> ChildSa:
    rekey, lifetime = _timers(row.get("rest", ""))
    local_hosts = conn.local_addrs if conn else ()
    remote_hosts = conn.remote_addrs if conn else ()
    if instance_addr:
        remote_hosts = (*remote_hosts, instance_addr)
    saids = _parse_saids(saids_row["saids"], local_hosts, remote_hosts) if saids_row else None
    return ChildSa(
        name=row["name"],
        unique_id=f"#{row['serial']}",
        state=state or ("INSTALLED" if saids_row else None),
        mode=("tunnel" if saids.tunnel else "transport") if saids else None,
        protocol=saids.protocol if saids else None,
        encryption=_only(suite.encryption) if suite else None,
        integrity=_only(suite.integrity) if suite else None,
        spi_in=saids.spi_in if saids else None,
        spi_out=saids.spi_out if saids else None,
        bytes_in=saids.bytes_in if saids else None,
        bytes_out=saids.bytes_out if saids else None,
        rekey_in_s=rekey,
        lifetime_s=lifetime,
        source=_source(ctx, lines),
    )


# --- ipsec trafficstatus ----------------------------------------------------------------------


def _attributes(text: str) -> dict[str, str]:
    """The key=value pairs of a trafficstatus line ("type=ESP, inBytes=84, id='@east'")."""
    return {m.group(1): m.group(2).strip("'") for m in re.finditer(r"(\w+)=('[^']*'|[^,]*)", text)}


@parser(PLATFORM, "ipsec-trafficstatus")
@parser(PLATFORM, "ipsec-whack-trafficstatus")
def parse_trafficstatus(text: str, ctx: ParseContext) -> Fragment:
    """`ipsec trafficstatus`: one ChildSa (with exact byte counters) per established IPsec
    SA. The output does not name the IKE SA, so each comes under an IkeSa that has only the
    connection name and the peer's id (unique_id None)."""
    results = run_ttp(PLATFORM, "ipsec-trafficstatus", _numbered(text, strip_whack_codes=True))
    rows = group_items(results, "sas")
    if not rows:
        raise ParseError(f"not `ipsec trafficstatus` output: {_first_line(text)[:200]}")
    fragment = Fragment()
    _unplaced_lines(text, rows, fragment, "ipsec trafficstatus: not an IPsec SA line")
    for row in rows:
        attributes = _attributes(row["attributes"])
        child = ChildSa(
            name=row["name"],
            unique_id=f"#{row['serial']}",
            # trafficstatus lists the IPsec SAs that are established (Read-status-output.md)
            state="INSTALLED",
            protocol=attributes.get("type"),
            bytes_in=_int(attributes.get("inBytes")),
            bytes_out=_int(attributes.get("outBytes")),
            source=_source(ctx, [_line(row)]),
        )
        fragment.ike_sas.append(
            IkeSa(
                name=row["name"],
                # an instance of a template connection names its peer: '[1] 192.1.3.209',
                # '[1] ...192.1.2.23'
                remote_addr=_instance_addr(row.get("instance", "")),
                remote_id=normalise_id(attributes.get("id")),
                child_sas=(child,),
                source=_source(ctx, [_line(row)]),
            )
        )
    fragment.notes.append(
        "ipsec trafficstatus: IPsec SA "
        + ", ".join(f"#{row['serial']} ({row['name']})" for row in rows)
        + " listed without their IKE SA; the IKE SAs come from `ipsec status`"
    )
    return fragment


def _instance_addr(instance: str) -> str | None:
    m = re.fullmatch(r"\s*(?:\[\d+\])*\s*(?:\.\.\.)?([0-9A-Fa-f.:]+)\s*", instance)
    return m.group(1) if m and re.search(r"[.:]", m.group(1)) else None


def _unplaced_lines(text: str, rows: list[dict[str, Any]], fragment: Fragment, reason: str) -> None:
    """Every non-blank line of a one-line-per-fact output that no row came from."""
    placed = {_line(row) for row in rows}
    for number, line in enumerate(re.split(r"\r?\n", text), 1):
        if number not in placed and _WHACK_CODE.sub("", line).strip():
            fragment.leave_unplaced(number, line, reason)


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


# --- ipsec globalstatus -----------------------------------------------------------------------


@parser(PLATFORM, "ipsec-globalstatus")
@parser(PLATFORM, "ipsec-whack-globalstatus")
def parse_globalstatus(text: str, ctx: ParseContext) -> Fragment:
    """`ipsec globalstatus`: pluto's counters. The model has no place for counters, so the
    ones that matter for a diagnosis become one note (the output is understood: OK)."""
    rows = group_items(run_ttp(PLATFORM, "ipsec-globalstatus", _numbered(text)), "counters")
    if not rows:
        raise ParseError(f"not `ipsec globalstatus` output: {_first_line(text)[:200]}")
    counters = {row["key"]: row["value"].strip() for row in rows}
    fragment = Fragment(understood=True)
    _unplaced_lines(text, rows, fragment, "ipsec globalstatus: not a key=value counter")
    wanted = (
        ("current.states.ike", "IKE SAs now"),
        ("current.states.ipsec", "IPsec SAs now"),
        ("total.ikev2.ike.started", "IKEv2 IKE SAs started"),
        ("total.ikev2.ike.established", "IKEv2 IKE SAs established"),
        ("total.ikev2.child.started", "IKEv2 child SAs started"),
        ("total.ikev2.child.established", "IKEv2 child SAs established"),
        ("total.ikev1.isakmp.established", "IKEv1 ISAKMP SAs established"),
        ("total.ikev1.ipsec.established", "IKEv1 IPsec SAs established"),
        ("total.ike.traffic.in", "IKE bytes in"),
        ("total.ike.traffic.out", "IKE bytes out"),
        ("total.ipsec.traffic.in", "IPsec bytes in"),
        ("total.ipsec.traffic.out", "IPsec bytes out"),
    )
    shown = [f"{label} {counters[key]}" for key, label in wanted if key in counters]
    if shown:
        fragment.notes.append("ipsec globalstatus: " + "; ".join(shown))
    return fragment


# --- ipsec --version --------------------------------------------------------------------------


@parser(PLATFORM, "ipsec-version")
def parse_version(text: str, ctx: ParseContext) -> Fragment:
    """`ipsec --version` -> software 'Libreswan 4.10'."""
    rows = group_items(run_ttp(PLATFORM, "ipsec-version", _numbered(text)), "version")
    if not rows:
        raise ParseError(f"not Libreswan's `ipsec --version` output: {_first_line(text)[:200]}")
    return Fragment(software=f"Libreswan {rows[0]['version'].removeprefix('U')}")


# --- pluto's log ------------------------------------------------------------------------------

_LEVEL = re.compile(r"^(?P<level>ERROR|WARNING|EXPECTATION FAILED|ASSERTION FAILED|FATAL ERROR): ")
_SA_PREFIX = re.compile(
    r'^"(?P<name>[^"]+)"(?:\[\d+\])*(?: (?:\.\.\.)?[0-9A-Fa-f.:]+)?'
    r"(?: #(?P<serial>\d+))?: (?P<rest>.*)$"
)
# another program's syslog line, with or without the host (journalctl --no-hostname)
_FOREIGN_SYSLOG = re.compile(
    r"^(?:[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\S*"
    r"(?: \S+)? [\w./-]+(?:\[\d+\])?: "
)

# The flat wordings are data: signatures/libreswan.yml (log_signatures).

# notifications this peer sent / the peer sent, as pluto words them
_SENT_NOTIFY = (
    re.compile(
        r"responding to (?P<exchange>\S+) (?:message|request) \(ID \d+\) from \S+ with"
        r" (?:un)?encrypted notification (?:v2N_)?(?P<notify>\w+)"
    ),
    re.compile(r"responder SA processing returned (?:v2N_)?(?P<notify>\w+)"),
    # 5.x: "sending notification AUTHENTICATION_FAILED to 192.1.2.23:500", "Child SA's Traffic
    # Selector request {...} does not match ...; responding with TS_UNACCEPTABLE"
    re.compile(r"\bsending (?:\w+ )?notification (?:v2N_)?(?P<notify>[A-Z_]+) to "),
    re.compile(r"; responding with (?:v2N_)?(?P<notify>[A-Z_]+)$"),
)
_RECEIVED_NOTIFY = (
    re.compile(r"IKE SA authentication request rejected by peer: (?:v2N_)?(?P<notify>\w+)"),
    re.compile(
        r"IKE_AUTH response contained the (?:CHILD SA )?error notification"
        r" '?(?:v2N_)?(?P<notify>\w+)"
    ),
    re.compile(r"received unauthenticated (?:v2N_)?(?P<notify>\w+)"),
    # 5.x words the peer's refusal of a Child SA in three ways (libreswan's test suite, v5.4:
    # ikev2-35-mismatched-child, ikev2-child-restart-mismatch, ikev2-allow-narrow-02)
    re.compile(r"IKE_AUTH response rejected Child SA with (?:v2N_)?(?P<notify>\w+)"),
    re.compile(r"CREATE_CHILD_SA failed with error notification (?:v2N_)?(?P<notify>\w+)"),
    re.compile(r"response for Child SA #\d+ was rejected with (?:v2N_)?(?P<notify>\w+)"),
    # 5.x initiator: the responder answered IKE_SA_INIT with a notify only
    # (auto-keep-02-revival-through-nat-cleanfail-ikev2, v5.4)
    re.compile(
        r"ignoring (?P<exchange>IKE_SA_INIT) response containing (?:v2N_)?(?P<notify>\w+)"
        r" notification"
    ),
)


_RESPONSE_PAYLOADS = re.compile(
    r"\bprocess(?:ing|ed) \w+ response from \S+ containing (?P<payloads>\S*\{[^}]*\})"
)


def log_causes(message: str) -> tuple[tuple[str, ...], str | None]:
    """The cause tokens one pluto message carries, and the notify direction if any."""
    found, direction = match_causes(message, PLATFORM)
    causes = list(found)
    for pattern in _SENT_NOTIFY:
        m = pattern.search(message)
        if m and m.group("notify") in NOTIFY_ERRORS:
            direction = "sent"
            _add(causes, m.group("notify"))
            exchange = m.groupdict().get("exchange")
            if exchange == "IKE_SA_INIT" and m.group("notify") == "NO_PROPOSAL_CHOSEN":
                _add(causes, "ike_proposal_mismatch")
    # 4.x/5.x list a response's payloads: "processing IKE_AUTH response from 192.1.2.23:UDP/500
    # containing SK{IDr,AUTH,N(TS_UNACCEPTABLE)}"
    m = _RESPONSE_PAYLOADS.search(message)
    if m:
        for notify in re.findall(r"\bN\((?:v2N_)?([A-Z_]+)\)", m.group("payloads")):
            if notify in NOTIFY_ERRORS:
                direction = "received"
                _add(causes, notify)
    for pattern in _RECEIVED_NOTIFY:
        m = pattern.search(message)
        if m and m.group("notify") in NOTIFY_ERRORS:
            direction = "received"
            _add(causes, m.group("notify"))
            exchange = m.groupdict().get("exchange")
            if exchange == "IKE_SA_INIT" and m.group("notify") == "NO_PROPOSAL_CHOSEN":
                _add(causes, "ike_proposal_mismatch")
    return tuple(causes), direction


# The IKE messages pluto records (at its default log level): which exchange, request or
# response, and where it went, for the ladder. Wordings: 5.x "sent IKE_SA_INIT request to
# 192.1.2.23:UDP/500", "processing decrypted IKE_AUTH request from ...", "processed
# IKE_SA_INIT response from ..."; 4.x "sent IKE_SA_INIT reply {...}", "STATE_PARENT_I1: sent
# v2I1, expected v2R1", "STATE_MAIN_R1: sent MR1, expecting MI2"; IKEv1 "responding to Main
# Mode", "sent Main Mode R1"; "STATE_MAIN_R2: retransmission; will wait 0.5 seconds"
_ADDRESS = r"(?P<addr>\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*[0-9A-Fa-f]):(?:UDP/|TCP/)?(?P<port>\d+)"
_V2_EXCHANGE = r"(?P<exchange>IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL|IKE_INTERMEDIATE)"
_PLUTO_SENT = re.compile(
    rf"^sent {_V2_EXCHANGE} (?P<kind>request|reply|response)(?: to {_ADDRESS})?"
)
_PLUTO_RECEIVED = re.compile(
    rf"^process(?:ing|ed)(?: decrypted)? {_V2_EXCHANGE} (?P<kind>request|response)"
    rf"(?: from {_ADDRESS})?"
)
_PLUTO_NOTIFIED = re.compile(
    rf"responding to {_V2_EXCHANGE}(?: \(\d+\))? (?:message|request) \((?:Message )?ID"
    rf" (?P<id>\d+)\)(?: from {_ADDRESS})? with (?:un)?encrypted notification"
    r" (?:v2N_)?(?P<notify>\w+)"
)
_PLUTO_V1_SENT = re.compile(
    r"^sent (?P<mode>Main|Aggressive|Quick) Mode (?P<kind>request|reply|response|[IR]\d)"
)
_PLUTO_V1_RECEIVED = re.compile(
    r"^(?:responding to (?P<mode>Main|Aggressive|Quick) Mode\b"
    r"|initial (?P<first>Main|Aggressive) Mode message received)"
)
_PLUTO_UNWANTED = re.compile(
    rf"^(?:ISAKMP_v2_(?P<exchange>[A-Z_]+) message received on "
    rf"|{_V2_EXCHANGE.replace('exchange', 'orphan')} (?P<kind>request|response) has no"
    r" corresponding IKE SA)"
)
_PLUTO_STATE_SENT = re.compile(
    r"^STATE_\w+: (?:received \w+, )?sent (?P<message>v2[IR]\d|[MAQ][IR]\d)"
)
_PLUTO_INITIATE = re.compile(r"^STATE_(?P<mode>MAIN|AGGR|QUICK)_I1: initiate")
_PLUTO_RETRANSMIT = re.compile(r"^(?P<state>\w+): retransmission; will wait")
_PLUTO_V1_NOTIFY = re.compile(rf"sending notification (?P<notify>[A-Z_]+) to {_ADDRESS}")
_PLUTO_DELETE = re.compile(
    r"^deleting (?:state|IKE SA) \((?P<state>\w+)\).* and sending notification"
)
_PACKET_FROM = re.compile(rf"^packet from {_ADDRESS}: ")
_MODE_EXCHANGE = {
    "main": "ID_PROT", "aggressive": "AGGRESSIVE", "aggr": "AGGRESSIVE", "quick": "QUICK_MODE",
    "m": "ID_PROT", "a": "AGGRESSIVE", "q": "QUICK_MODE",
}  # fmt: skip
# states whose retransmission resends a known exchange (4.x names, 5.x IKEv2 names)
_STATE_EXCHANGE = (
    ("MAIN", "ID_PROT"), ("AGGR", "AGGRESSIVE"), ("QUICK", "QUICK_MODE"),
    ("PARENT_I1", "IKE_SA_INIT"), ("IKE_SA_INIT", "IKE_SA_INIT"), ("PARENT_I2", "IKE_AUTH"),
    ("IKE_AUTH", "IKE_AUTH"), ("PARENT_R", "IKE_SA_INIT"),
)  # fmt: skip


def _unbracket(address: str | None) -> str | None:
    return address.strip("[]") if address else None


def _pluto_packet(rest: str, state_key: str, retransmits: dict[str, int]) -> IkeMessage | None:
    """The IKE message one pluto line records sending or receiving, None for other lines.
    `rest` is the line after its '"conn" #n: ' prefix; `retransmits` counts per state."""
    peer, peer_port = None, None
    if m := _PACKET_FROM.match(rest):  # 'packet from 203.0.113.1:500: responding to ...'
        peer, peer_port, rest = _unbracket(m["addr"]), int(m["port"]), rest[m.end() :]
    if m := _PLUTO_NOTIFIED.search(rest):
        notify = m["notify"]
        return IkeMessage(
            "sent",
            exchange=m["exchange"],
            response=True,
            message_id=int(m["id"]),
            destination=_unbracket(m["addr"]) or peer,
            destination_port=int(m["port"]) if m["port"] else peer_port,
            notifies=(notify,) if notify in NOTIFY_ERRORS else (),
        )
    if m := _PLUTO_SENT.match(rest) or _PLUTO_RECEIVED.match(rest):
        sent = rest.startswith("sent")
        address, port = _unbracket(m["addr"]), int(m["port"]) if m["port"] else None
        message = IkeMessage(
            "sent" if sent else "received",
            exchange=m["exchange"],
            response=m["kind"] != "request",
            message_id=0 if m["exchange"] == "IKE_SA_INIT" else None,
        )
        if sent:
            return replace(message, destination=address, destination_port=port)
        return replace(message, source=address, source_port=port)
    if m := _PLUTO_V1_SENT.match(rest):
        kind = m["kind"]
        return IkeMessage(
            "sent",
            exchange=_MODE_EXCHANGE[m["mode"].lower()],
            response=kind[0] == "R" or kind in ("reply", "response"),
        )
    if m := _PLUTO_V1_RECEIVED.match(rest):
        mode = m["mode"] or m["first"]
        exchange = _MODE_EXCHANGE[mode.lower()]
        return IkeMessage(
            "received", exchange=exchange, response=False, source=peer, source_port=peer_port
        )
    if m := _PLUTO_UNWANTED.match(rest):  # received, then dropped or refused
        return IkeMessage(
            "received",
            exchange=m["exchange"] or m["orphan"],
            response=m["kind"] == "response",
            source=peer,
            source_port=peer_port,
        )
    if m := _PLUTO_STATE_SENT.match(rest):
        name = m["message"]  # v2I1, v2R2, MR1, QI1...
        if name.startswith("v2"):
            exchange = "IKE_SA_INIT" if name.endswith("1") else "IKE_AUTH"
            response = name[2] == "R"
        else:
            exchange, response = _MODE_EXCHANGE[name[0].lower()], name[1] == "R"
        return IkeMessage("sent", exchange=exchange, response=response)
    if m := _PLUTO_INITIATE.match(rest):
        return IkeMessage("sent", exchange=_MODE_EXCHANGE[m["mode"].lower()], response=False)
    if m := _PLUTO_RETRANSMIT.match(rest):
        state = m["state"]
        key = f"{state_key} {state}"
        retransmits[key] = retransmits.get(key, 0) + 1
        resent = next((x for part, x in _STATE_EXCHANGE if part in state), None)
        responder = re.search(r"_R\d*$|_R_", state) is not None
        return IkeMessage(
            "sent",
            exchange=resent,
            response=responder,
            message_id=0 if resent == "IKE_SA_INIT" else None,
            retransmit=retransmits[key],
        )
    if m := _PLUTO_DELETE.match(rest):  # a Delete payload, in an informational request
        v1 = any(mode in m["state"] for mode in ("MAIN", "AGGR", "QUICK"))
        return IkeMessage(
            "sent", exchange="INFORMATIONAL_V1" if v1 else "INFORMATIONAL", response=False
        )
    if m := _PLUTO_V1_NOTIFY.search(rest):
        notify = m["notify"]
        return IkeMessage(
            "sent",
            exchange="INFORMATIONAL_V1",
            response=False,
            destination=_unbracket(m["addr"]),
            destination_port=int(m["port"]),
            notifies=(notify,) if notify in NOTIFY_ERRORS else (),
        )
    return None


@parser(PLATFORM, "cat-log-file")
def parse_log(text: str, ctx: ParseContext) -> Fragment:
    """pluto's log -> one LogEvent per line (debug lines "| ..." are counted, not kept).

    LogEvent.message is pluto's text after the time, without an "ERROR: " / "WARNING: "
    marker (that goes to `level`) and with its '"lab" #3: ' prefix kept: sa_name holds the
    connection name, and the model has no field for the state serial (#3).
    """
    results = run_ttp(PLATFORM, "cat-log-file", _numbered(text))
    by_line: dict[int, tuple[str | None, str]] = {}
    for group in ("syslog", "timed"):
        for row in group_items(results, group):
            by_line[_line(row)] = (row["time"], row["body"])
    foreign = 0
    for row in group_items(results, "lines"):  # the untimed shape, for lines not matched above
        body = row.get("body", "")
        if _line(row) in by_line or not body.strip():
            continue
        if _FOREIGN_SYSLOG.match(body):
            foreign += 1  # another program's syslog line
        else:
            by_line[_line(row)] = (None, body)
    events: list[LogEvent] = []
    retransmits: dict[str, int] = {}
    debug = 0
    for number in sorted(by_line):
        time, body = by_line[number]
        if body.startswith("|"):
            debug += 1
            continue
        level = None
        m = _LEVEL.match(body)
        if m:
            level = m.group("level").lower()
            body = body[m.end() :]
        sa_name = None
        rest = body
        m = _SA_PREFIX.match(body)
        if m:
            sa_name, rest = m.group("name"), m.group("rest")
            marker = _LEVEL.match(rest)
            if marker and level is None:
                # '"lab" #1: WARNING: ...': the marker after the SA's prefix (4.x, 5.x)
                level = marker.group("level").lower()
                rest = rest[marker.end() :]
                body = body[: m.start("rest")] + rest
        causes, direction = log_causes(rest)
        state_key = f"{sa_name} #{m['serial']}" if m else ""
        events.append(
            LogEvent(
                line=number,
                message=body,
                time=time,
                level=level,
                sa_name=sa_name,
                causes=causes,
                direction=direction,
                packet=_pluto_packet(rest, state_key, retransmits),
            )
        )
    if not events and not debug:
        raise ParseError(f"not a pluto log: {_first_line(text)[:200]}")
    fragment = Fragment(log=events)
    if debug:
        fragment.notes.append(f"pluto log: {debug} debug line(s) ('| ...') not kept as events")
    if foreign:
        fragment.notes.append(f"pluto log: {foreign} line(s) of other programs skipped")
    return fragment


# --- ipsec.conf -------------------------------------------------------------------------------


def _strip_comment(value: str) -> str:
    """ipsec.conf(5): white space followed by # to the end of the line is a comment."""
    value = re.split(r"\s#", value, maxsplit=1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


def _subnets(value: str | None) -> list[str]:
    """'10.0.0.0/24', '{10.0.0.0/24 10.1.0.0/24}', '10.0.0.0/24,10.1.0.0/24' -> list."""
    if not value:
        return []
    return [s for s in re.split(r"[\s,{}]+", value) if s]


def _resolve(
    name: str, sections: dict[str, dict[str, str]], seen: tuple[str, ...] = ()
) -> dict[str, str]:
    """A conn's settings with also= sections folded in (its own settings win)."""
    own = sections.get(name, {})
    merged: dict[str, str] = {}
    for included in _subnets(own.get("also")):
        if included in sections and included not in seen:
            merged.update(_resolve(included, sections, (*seen, name)))
    merged.update(own)
    return merged


_START_ACTIONS = {
    "add": "none",
    "start": "start",
    "up": "start",
    "route": "trap",
    "ondemand": "trap",
}
_IKEV2 = {"yes": 2, "insist": 2, "always": 2, "no": 1, "never": 1, "permit": 0, "propose": 0}


@parser(PLATFORM, "cat-conn-file")
def parse_conn_file(text: str, ctx: ParseContext) -> Fragment:
    """ipsec.conf -> one Connection (and its ChildConfig) per `conn` section.

    left is taken as the local end, as ipsec.conf(5) examples write it (pluto itself decides by
    the host's addresses; `ipsec status` shows its decision and wins when both are collected).
    The pre-shared key lives in ipsec.secrets, which is not collected: psk_fingerprint None.
    """
    results = run_ttp(PLATFORM, "cat-conn-file", _numbered(text))
    sections_rows = group_items(results, "sections")
    if not sections_rows:
        raise ParseError(
            f"not an ipsec.conf (no conn or config section): {_first_line(text)[:200]}"
        )
    sections: dict[str, dict[str, str]] = {}
    lines: dict[str, list[int]] = {}
    order: list[str] = []
    for section in sections_rows:
        if section["kind"] != "conn":
            continue
        name = section["name"]
        options: list[dict[str, Any]] = group_items([section], "options")
        values = sections.setdefault(name, {})
        lines.setdefault(name, []).append(_line(section))
        for option in options:
            values[option["key"].lower()] = _strip_comment(option["value"])
            lines[name].append(_line(option))
        if name not in order:
            order.append(name)
    fragment = Fragment()
    for row in group_items(results, "includes"):
        fragment.notes.append(
            f"{ctx.file}: line {row['n']} includes {row['path']}, which was not collected"
        )
    defaults = sections.get("%default", {})
    for name in order:
        if name == "%default":
            continue
        settings = {**defaults, **_resolve(name, sections)}
        if settings.get("auto", "").lower() == "ignore":
            fragment.notes.append(
                f"{ctx.file}: conn {name} has auto=ignore; pluto does not load it"
            )
            continue
        fragment.connections.append(_conn_from_config(name, settings, _source(ctx, lines[name])))
    # understood even when every conn is auto=ignore or only `config setup` is there: the
    # notes say what the file holds
    fragment.understood = not fragment.connections
    return fragment


def _conn_from_config(name: str, settings: dict[str, str], source: SourceRef | None) -> Connection:
    get = settings.get
    version = None
    if get("keyexchange"):
        version = {"ikev1": 1, "ikev2": 2, "ike": 0}.get(get("keyexchange", "").lower())
    elif get("ikev2"):
        version = _IKEV2.get(get("ikev2", "").lower())
    authby = _auth(get("authby")) if get("authby") and "|" not in get("authby", "") else None
    ike = tuple(suite_proposal(p, "ike") for p in _subnets_list(get("ike")))
    child_kind = "ah" if (get("phase2") or "").lower() == "ah" else "esp"
    child_text = get("esp") or get("phase2alg") or get("ah")
    child_proposals = tuple(suite_proposal(p, child_kind) for p in _subnets_list(child_text))
    pfs_text = (get("pfs") or "yes").lower()  # ipsec.conf(5): pfs defaults to yes
    child_proposals = _with_pfs(child_proposals, pfs_text in ("yes", "true"), ike)
    local_id = normalise_id(get("leftid")) if get("leftid") else _default_id(get("left"))
    remote_id = normalise_id(get("rightid")) if get("rightid") else _default_id(get("right"))
    mode = (get("type") or "tunnel").lower()  # ipsec.conf(5): type defaults to tunnel
    child = ChildConfig(
        name=name,
        local_ts=tuple(
            _selector(s, get("leftprotoport"))
            for s in _subnets(get("leftsubnet")) + _subnets(get("leftsubnets"))
        ),
        remote_ts=tuple(
            _selector(s, get("rightprotoport"))
            for s in _subnets(get("rightsubnet")) + _subnets(get("rightsubnets"))
        ),
        mode=mode if mode in ("tunnel", "transport") else None,
        proposals=child_proposals,
        life_time_s=_seconds(get("salifetime") or get("lifetime") or get("keylife")),
        start_action=_START_ACTIONS.get((get("auto") or "").lower()),
        dpd_action=_dpd_action(get("dpdaction"), get("dpddelay")),
        source=source,
    )
    return Connection(
        name=name,
        version=version,
        local_addrs=_addr(get("left")),
        remote_addrs=_addr(get("right")),
        local_id=local_id,
        remote_id=remote_id,
        local_auth=_auth(get("leftauth")) if get("leftauth") else authby,
        remote_auth=_auth(get("rightauth")) if get("rightauth") else authby,
        proposals=ike,
        life_time_s=_seconds(get("ikelifetime")),
        encap=_encap(get("encapsulation") or get("forceencaps")),
        psk_fingerprint=None,  # the key is in ipsec.secrets, not collected
        children=(child,),
        source=source,
    )


def _subnets_list(value: str | None) -> list[str]:
    """Comma-separated proposals ('aes256-sha2,aes128-sha2')."""
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _default_id(host: str | None) -> str | None:
    """ipsec.conf(5): leftid defaults to the address of left= (when it is an address)."""
    if host and re.fullmatch(r"[0-9.]+|[0-9A-Fa-f:]+", host.strip()):
        return host.strip()
    return None
