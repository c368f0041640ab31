"""Secrets out of configurations and command output before anything is written.

Every capture, bundle and session log goes through `redact`. A secret's value is replaced by
`<redacted>` or, when the caller passes a per-run salt, by `<redacted:fp=XXXXXXXX>`: a keyed
fingerprint that lets the two peers of one collection be compared ("same PSK on both
sides?") without revealing the key. The salt lives only in memory for one run and is never
written, so a fingerprint cannot be brute-forced offline.

Time is linear in the input on any text: every rule starts with a literal keyword (the
regex engine finds it with a fast substring search), nothing a rule matches crosses a line
except the blocks that are multi-line by nature (PEM, hexdumps), and those end at the first
line that does not belong to them. Whether a keyword starts its line is checked once per
line, never by scanning back.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ipsec_tui.domain.model import MEMORY_FINGERPRINT_MARK

MARK = "<redacted"

# How far before a keyword a line-anchored rule looks for what may precede it ("crypto " in
# `crypto isakmp key`, the indices of an ipsec.secrets entry): bounded, so that a long line
# with many keywords costs no more than its length times this.
LEAD_MAX = 512
# The longest configuration command a log message quotes that we look at.
COMMAND_MAX = 4096
_CMD = rf"(?P<cmd>[^\n]{{0,{COMMAND_MAX}}})"

_INDENT = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class SecretRule:
    """One kind of secret: a regex whose group 'secret' is the value to hide.

    With `lead`, the match counts only where the keyword starts its line after indentation
    and `lead` (a short regex, often empty): configuration syntax anchored at line start.
    """

    name: str
    pattern: re.Pattern[str]
    lead: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Envelope:
    """A log message that quotes a typed configuration command in its group 'cmd'."""

    name: str
    pattern: re.Pattern[str]
    lead: re.Pattern[str] | None = None


# A value: "double quoted", 'single quoted', or one run of non-space characters; never a
# keyword that introduces the value, never an already-redacted or device-masked value. An
# unterminated quote runs to the end of its line: possessive, so it is never rescanned.
_KEYWORDS = r"(?:ascii-text|hexadecimal|key|address|hostname|local|remote|ENC|hex|\*+)(?=\s|$)"
_VALUE = (
    r"""(?!<redacted)(?!""" + _KEYWORDS + r""")"""
    r"""(?P<secret>"(?:[^"\\\n]++|\\.)*+"?|'[^'\n]*+'?|[^\s;{}"']++)"""
)
# A secret that stands on a continuation line of ipsec.secrets must look like one (quoted,
# 0x hex, 0s base64, 0t text): the next line of a show output ("Life/Active") is no secret.
_STRICT_VALUE = r"""(?!<redacted)(?P<secret>"[^"\n]*+"?|'[^'\n]*+'?|0[xXsStT]\S++)"""
_TYPE = r"(?: [0-9](?= ))?+"  # Cisco's encryption type digit before a value (0, 5, 7, 8, 9)


def _rules(
    name: str, keywords: Iterable[str], tail: str, lead: str | None = None
) -> tuple[SecretRule, ...]:
    """One rule per keyword: the keyword first (fast search), then `tail` (group 'secret')."""
    made = []
    for keyword in keywords:
        literal = re.escape(keyword)
        # a whole word: the character before the keyword is no word character; checked after
        # the literal so the literal stays the pattern's prefix
        boundary = rf"(?<!\w{literal})" if keyword[0].isalnum() else ""
        made.append(
            SecretRule(
                name,
                re.compile(literal + boundary + tail),
                None if lead is None else re.compile(lead),
            )
        )
    return tuple(made)


RULES: tuple[SecretRule, ...] = (
    # PEM private keys and PGP private key blocks: the body, to the END line or, for a
    # truncated block, to the end of its run of base64, header and blank lines
    SecretRule(
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?\n"
            r"(?P<secret>(?:[ \t]*+(?!-----)(?:[\w+/=-]++|[A-Za-z][\w-]*+:[^\n]*+)?"
            r"[ \t]*+\r?\n)*+(?:[ \t]*+(?!-----)[\w+/=-]++[ \t]*+(?![^\n]))?)"
        ),
    ),
    # strongSwan swanctl.conf / strongswan.conf: secret = ... (ike, eap, xauth, ntlm sections)
    *_rules("strongswan-secret", ("secret", "pin", "passphrase"), r"[ \t]*=[ \t]*" + _VALUE, ""),
    # ipsec.secrets (strongSwan, Libreswan, Openswan): ... : PSK "..." / XAUTH / EAP / RSA
    # file pass. Keywords are case-insensitive (Libreswan's tokeqword); the colon stands
    # apart (Libreswan's status prints `"lab":   xauth us:none`). On one line: IOS-XE
    # prints "Auth verify: PSK" at a line's end, and the next line's first word is no secret
    *_rules(
        "ipsec-secrets",
        (":",),
        r"(?<!\S:)[ \t]*(?i:psk|xauth|eap|ntlm|pin|p12|(?:rsa|ecdsa)[ \t]+[^\s{]\S*"
        r"|ppks[ \t]+(?:\"[^\"\n]*+\"|\S++))[ \t]+" + _VALUE,
    ),
    # ... the secret on the next (indented) line: `: PSK` / `    "secret"`
    *_rules(
        "ipsec-secrets-continued",
        (":",),
        r"(?<!\S:)(?:[ \t]*(?i:psk|xauth)[ \t]*\r?\n[ \t]+"
        r"|[ \t]*\r?\n[ \t]+(?i:psk|xauth)[ \t]+)" + _STRICT_VALUE,
    ),
    # ... the old form without a kind, a quoted string after the colon ("old PSK format: just
    # a string" in FreeS/WAN's, Openswan's and strongSwan 4's pluto): only where the colon is
    # a token of its own after index tokens and the string ends the line
    *_rules(
        "ipsec-secrets-legacy",
        (":",),
        r"(?<!\S:)[ \t]+(?!<redacted)(?P<secret>\"[^\"\n]*+\"|'[^'\n]*+')"
        r"[ \t]*(?:#[^\n]*+)?(?![^\r\n])",
        r"(?:(?!:[ \t])\S++[ \t]++)*+",
    ),
    # ... and the private fields of an RSA key written into the file (`: RSA {` ... `}`)
    *_rules(
        "ipsec-secrets-rsa",
        (
            "PrivateExponent:",
            "Prime1:",
            "Prime2:",
            "Exponent1:",
            "Exponent2:",
            "Coefficient:",
        ),
        r"[ \t]*" + _VALUE,
        "",
    ),
    # Cisco ASA: tunnel-group ipsec-attributes, `ikev1 pre-shared-key [hex] ...` (ASA masks
    # shown PSKs as *****); IOS keyring `pre-shared-key [local|remote] [0|6] ...`
    *_rules(
        "cisco-pre-shared-key",
        ("pre-shared-key",),
        r" (?:(?:local|remote) )?(?:hex )?(?:[0-9] )?+" + _VALUE,
    ),
    # Cisco IOS keyring: pre-shared-key address|hostname X [mask] key [0|6] ...
    *_rules(
        "cisco-keyring-psk",
        ("pre-shared-key",),
        r" (?:address|hostname) \S++(?: (?!key )\S++)? key (?:[0-9] )?+" + _VALUE,
    ),
    # Cisco IOS IKEv2 profile: authentication local|remote pre-share key [0|6] ...
    *_rules("cisco-pre-share-key", ("pre-share key",), _TYPE + " " + _VALUE),
    # Cisco IOS/ASA: crypto isakmp key [0|6] KEY address ...
    *_rules("cisco-isakmp-key", ("isakmp key",), r" (?:[0-9] )?+" + _VALUE, r"(?:crypto )?"),
    *_rules(
        "cisco-enable",
        ("enable",),
        r" (?:secret|password)(?: level \d+)?" + _TYPE + " " + _VALUE,
        "",
    ),
    *_rules(
        "cisco-username",
        ("username",),
        r" \S++(?: (?!password |secret )\S++){0,8}? (?:password|secret)" + _TYPE + " " + _VALUE,
        "",
    ),
    # `key 7 ...` alone on its line: tacacs server / radius server / aaa-server sub-modes
    *_rules("cisco-key", ("key",), _TYPE + " " + _VALUE, r"(?:tacacs-server |radius-server )?"),
    # radius-server host X ... key 7 ..., tacacs-server host X key ..., server-private X key
    *_rules(
        "cisco-aaa-server-key",
        ("radius-server host", "tacacs-server host", "server-private"),
        r"(?: (?!key )\S++){1,16}? key" + _TYPE + " " + _VALUE,
    ),
    # line vty/console `password 7 ...`
    *_rules("cisco-line-password", ("password",), _TYPE + " " + _VALUE, ""),
    *_rules("cisco-key-string", ("key-string",), _TYPE + " " + _VALUE),
    *_rules("cisco-md5-key", ("message-digest-key",), r" \d+ md5" + _TYPE + " " + _VALUE),
    *_rules("cisco-neighbor-password", ("neighbor",), r" \S++ password" + _TYPE + " " + _VALUE),
    # ntp authentication-key 1 md5 KEY [7]
    *_rules(
        "cisco-ntp-key",
        ("ntp authentication-key",),
        r" \d+ (?i:md5|sha1|sha256|cmac-aes-128|hmac-sha\S*+)" + _TYPE + " " + _VALUE,
    ),
    *_rules("cisco-ppp-chap", ("ppp chap password",), _TYPE + " " + _VALUE),
    *_rules("cisco-ppp-pap", ("sent-username",), r" \S++ password" + _TYPE + " " + _VALUE),
    *_rules("cisco-wpa-psk", ("wpa-psk",), r" (?:ascii|hex)" + _TYPE + " " + _VALUE),
    *_rules("snmp-community", ("snmp-server community",), " " + _VALUE, ""),
    # IOS: snmp-server host ADDR [vrf V] [informs|traps] [version 1|2c|3 ...] COMMUNITY; an
    # address where the community would be is ASA's form (below), not a community
    *_rules(
        "snmp-host-community",
        ("snmp-server host",),
        r" \S++(?: vrf \S++)?(?: (?:informs|traps))?+"
        r"(?: version (?:1|2c|3 (?:auth|noauth|priv)))?+ "
        r"(?!\d{1,3}(?:\.\d{1,3}){3}(?!\S))(?!community )" + _VALUE,
        "",
    ),
    # ASA: snmp-server host IFC ADDR [trap|poll] community [0|8] COMMUNITY ...
    *_rules(
        "asa-snmp-host-community",
        ("snmp-server host",),
        r" \S++ \S++(?: (?:trap|poll))? community" + _TYPE + " " + _VALUE,
    ),
    # SNMPv3 users: `... v3 [encrypted] auth sha PASS priv aes 128 PASS` (Cisco and others)
    *_rules("snmp-v3-auth", ("v3",), r"(?: encrypted)? auth (?:md5|sha\d*+) " + _VALUE),
    *_rules("snmp-v3-priv", ("priv",), r" (?:3des|des56|des|aes(?: \d+)?+) " + _VALUE),
    # Cisco ASA: passwd
    *_rules("asa-passwd", ("passwd",), " " + _VALUE, ""),
    # Junos: pre-shared-key ascii-text|hexadecimal "$9$..."; encrypted-password; secret "$9$"
    *_rules("junos-psk", ("pre-shared-key",), r" (?:ascii-text|hexadecimal) " + _VALUE),
    *_rules(
        "junos-password",
        ("encrypted-password", "authentication-key", "privacy-key"),
        _TYPE + r" (?!(?:md5|sha\S*|type)(?:\s|$))" + _VALUE,
    ),
    *_rules("junos-ntp-key", ("authentication-key",), r" \d+ type \S++ value " + _VALUE),
    *_rules("junos-secret", ("secret",), r" (?P<secret>\"\$9\$[^\"\n]*+\"?)"),
    *_rules("junos-community", ("community",), " " + _VALUE, r"(?:set snmp )?"),
    # FortiOS: set psksecret ENC ..., set password ENC ..., set passwd
    *_rules(
        "fortios-secret",
        ("set",),
        r" (?:psksecret|psksecret-remote|password|passwd|secondary-secret|"
        r"community|secret|auth-pwd|priv-pwd|ppk-secret|key|passphrase|private-key) "
        r"(?:ENC )?" + _VALUE,
        "",
    ),
    # PAN-OS: set ... pre-shared-key key VALUE, phash, SNMP; and the XML form <key>...</key>
    *_rules("panos-psk", ("pre-shared-key",), r" key " + _VALUE),
    *_rules(
        "panos-secret",
        ("phash", "snmp-community-string", "community-string", "authpwd", "privpwd"),
        " " + _VALUE,
    ),
    *_rules(
        "panos-xml-key",
        ("<",),
        r"(?:key|phash|password|authpwd|privpwd|community|secret|snmp-community-string|"
        r"community-string)>(?!<redacted)(?P<secret>[^<\n]++)</",
    ),
    # FortiOS `diagnose vpn tunnel list` prints each SA's ESP keys: `esp=aes key=16 HEX`,
    # `ah=sha1 key=20 HEX` (the key length stays: the parser reads the cipher from it)
    *_rules(
        "fortios-sa-key",
        ("esp=", "ah="),
        r"\S+? key=\d+ (?P<secret>[0-9a-fA-F]{8,})(?![0-9A-Za-z_])",
    ),
    # Linux `ip xfrm state` prints the kernel SAs' keys (as root): ESP session keys
    *_rules(
        "xfrm-key",
        ("auth", "auth-trunc", "enc", "aead", "comp"),
        r"[ \t]++\S++[ \t]++(?!<redacted)(?P<secret>0x[0-9a-fA-F]++)",
        "",
    ),
    # Cloud VPN documents: the AWS configuration file's `- Pre-Shared Key : VALUE` (also
    # inside the CLI's JSON string, where a line ends in a `\n` escape: the value stops at
    # the backslash), its XML form `<pre_shared_key>`, and the JSON keys AWS, Azure and
    # Google print a tunnel's key under
    *_rules(
        "aws-config-psk",
        ("Pre-Shared Key",),
        r"[ \t]*:[ \t]*(?!<redacted)(?P<secret>[^\s\\\"']++)",
    ),
    *_rules("aws-xml-psk", ("<pre_shared_key>",), r"(?!<redacted)(?P<secret>[^<\n]++)</"),
    *_rules(
        "cloud-json-psk",
        ('"PreSharedKey"', '"sharedKey"', '"sharedSecret"'),
        r"[ \t]*:[ \t]*" + _VALUE,
    ),
    # user:password@ in URLs (strongswan.conf database URIs, proxies...)
    *_rules("url-credentials", ("://",), r"[^:/\s@]++:(?!<redacted)(?P<secret>[^@\s/]++)@"),
)

# Typed configuration quoted by a log message: the quoted command is checked by RULES as
# if it were a line of configuration (anchored rules see its start as a line start).
ENVELOPES: tuple[Envelope, ...] = (
    # Cisco IOS `archive log config`: %PARSER-5-CFGLOG_LOGGEDCMD: User:x  logged command:...
    Envelope("cisco-cfglog", re.compile(r"logged command:" + _CMD)),
    # ... and its `show archive log config all` table: `  1  1  admin@vty0  |cmd`
    Envelope(
        "cisco-archive-log",
        re.compile(r"\|" + _CMD),
        re.compile(r"\d+[ \t]+\d+[ \t]+\S+@\S+[ \t]+"),
    ),
    # Cisco IOS crashinfo / config logger: CMD: 'cmd' 00:06:54 ...
    Envelope("cisco-cmd", re.compile(r"CMD: '" + _CMD + r"'")),
    # Junos: UI_CMDLINE_READ_LINE: User 'x', command 'cmd '
    Envelope(
        "junos-cmdline",
        re.compile(r"UI_CMDLINE_READ_LINE: User '[^'\n]{0,256}', command '" + _CMD + r"'"),
    ),
    # Cisco ASA 111008: User 'x' executed the 'cmd' command.
    Envelope("asa-111008", re.compile(r"executed the '" + _CMD + r"' command")),
    # Cisco ASA 111009: User 'x' executed cmd: cmd
    Envelope("asa-111009", re.compile(r"executed cmd: " + _CMD)),
    # Cisco ASA 111010: User x, running APP from IP ADDR, executed cmd
    Envelope("asa-111010", re.compile(r", executed " + _CMD)),
)

_Spans = Iterator[tuple[int, int]]


class _LineStarts:
    """Where the line holding a position starts and its indentation ends.

    Positions must be asked in ascending order: each part of the text is scanned once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_end = -1
        self.indent_end = 0

    def indent_end_at(self, pos: int) -> int:
        if pos > self.line_end:
            text = self.text
            start = text.rfind("\n", max(self.line_end, 0), pos) + 1
            end = text.find("\n", pos)
            self.line_end = len(text) if end < 0 else end
            self.indent_end = _INDENT.match(text, start).end()  # type: ignore[union-attr]
        return self.indent_end


def _lead_ok(lines: _LineStarts, lead: re.Pattern[str], text: str, pos: int) -> bool:
    """Whether only indentation and `lead` stand between the line's start and `pos`."""
    indent_end = lines.indent_end_at(pos)
    if pos < indent_end or pos - indent_end > LEAD_MAX:
        return False
    return lead.fullmatch(text, indent_end, pos) is not None


def _matches(
    pattern: re.Pattern[str], lead: re.Pattern[str] | None, text: str
) -> Iterator[re.Match[str]]:
    lines = _LineStarts(text) if lead is not None else None
    for match in pattern.finditer(text):
        if lead is None or lines is None or _lead_ok(lines, lead, text, match.start()):
            yield match


def _rule_spans(rule: SecretRule, text: str) -> _Spans:
    for match in _matches(rule.pattern, rule.lead, text):
        start, end = match.span("secret")
        value = text[start:end]
        if rule.name == "private-key":  # the body without its surrounding blank space
            start += len(value) - len(value.lstrip())
            end = start + len(value.strip())
        if end > start:
            yield start, end


# strongSwan at log level 4 dumps keys: `Sk_ei secret => 16 bytes @ 0x7f53fc0132f0` and then
# one line per 16 bytes, `   0: 60 64 42 D3 ...  `dB...=;........` (each line carries the
# logger's prefix). Dumps whose label names a key or a secret are secrets.
_DUMP_HEADER = re.compile(r" => (?P<size>\d{1,9}) bytes @ (?:0x)?[0-9a-fA-F]+")
_DUMP_LABEL = re.compile(r"secret|key|skeyid|skeyseed|msk|psk|Sk_", re.IGNORECASE)
_DUMP_LINE = re.compile(
    r"[^\n]{0,256}?(?<![0-9A-Za-z])(?P<offset>\d{1,9}): "
    r"(?P<secret>[0-9A-F]{2}(?: [0-9A-F]{2}){0,15}(?:  [^\n]*+)?)"
)


def _hexdump_spans(text: str) -> _Spans:
    for header in _DUMP_HEADER.finditer(text):
        start = header.start()
        label = text[max(0, text.rfind("\n", max(0, start - 128), start) + 1, start - 128) : start]
        if not _DUMP_LABEL.search(label):
            continue
        size = int(header.group("size"))
        pos = text.find("\n", header.end())
        for index in range(min((size + 15) // 16, 1 << 20)):
            if pos < 0:
                break
            line = _DUMP_LINE.match(text, pos + 1)
            if line is None or int(line.group("offset")) != 16 * index:
                break
            secret_start, secret_end = line.span("secret")
            stripped = text[secret_start:secret_end].rstrip()
            if "\n" in text[pos + 1 : secret_start]:
                break
            yield secret_start, secret_start + len(stripped)
            pos = text.find("\n", secret_end)


# FortiOS SNMP communities: `config system snmp community` / `edit 1` / `set name "K"`.
# `set name` is a secret only there, so the block is followed line by line.
_FORTI_SNMP = re.compile(r"config system snmp community[ \t]*(?=\r?\n)")
_FORTI_NAME = re.compile(r"[ \t]*set name " + _VALUE)


def _fortios_snmp_spans(text: str) -> _Spans:
    pos = 0
    while True:
        block = _FORTI_SNMP.search(text, pos)
        if block is None:
            return
        depth = 1
        pos = text.find("\n", block.end())
        while depth and pos >= 0:
            start = pos + 1
            end = text.find("\n", start)
            line_end = len(text) if end < 0 else end
            word = text[start:line_end].strip()
            if word.startswith("config "):
                depth += 1
            elif word == "end":
                depth -= 1
            elif depth == 1 and word.startswith("set name "):
                name = _FORTI_NAME.match(text, start, line_end)
                if name is not None:
                    yield name.span("secret")
            pos = end
        if pos < 0:
            return


@dataclass(frozen=True)
class BlockRule:
    """A kind of secret that needs the lines around it: spans of secret values in a text."""

    name: str
    spans: Callable[[str], _Spans]


BLOCK_RULES: tuple[BlockRule, ...] = (
    BlockRule("strongswan-key-dump", _hexdump_spans),
    BlockRule("fortios-snmp-community", _fortios_snmp_spans),
)


def fingerprint(secret: str, salt: bytes) -> str:
    """A keyed fingerprint of a secret: equal secrets in one run give equal fingerprints."""
    return hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()[:8]


# a salt that lives as long as the process: raw keys of one analysis compare, nothing
# outside it can test a guess against a mark
_MEMORY_SALT = os.urandom(16)
_FINGERPRINT_MARK = re.compile(r"<redacted:fp=([0-9A-Za-z]+)>")


def memory_fingerprint(secret: str) -> str:
    """A raw secret's keyed fingerprint, comparable within this process only."""
    return f"{MEMORY_FINGERPRINT_MARK}{fingerprint(secret, _MEMORY_SALT)}"


def comparable_fingerprint(value: str) -> str | None:
    """What a secret, as a capture holds it, is compared by: the fingerprint its redaction
    mark carries; None when it is empty or was redacted without one; for a raw value (a
    capture written by hand or imported with its secrets) its fingerprint keyed with this
    process's salt, so the key itself never enters the model (equal keys, equal marks)."""
    match = _FINGERPRINT_MARK.search(value)
    if match:
        return match.group(1)
    if not value or value.startswith(MARK):
        return None
    return memory_fingerprint(value)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _is_redacted(value: str) -> bool:
    return _unquote(value).lstrip("\"'").startswith(MARK)


@dataclass(frozen=True)
class Redaction:
    """Redacted text and the secrets that were removed (kept in memory only)."""

    text: str
    secrets: tuple[str, ...]
    kinds: tuple[str, ...]


_Found = Callable[[str, str], str]  # (value, kind) -> replacement


def _replace(text: str, spans: _Spans, name: str, found: _Found) -> str:
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            continue
        value = text[start:end]
        if _is_redacted(value):
            continue
        pieces += (text[last:start], found(value, name))
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _apply_rules(text: str, found: _Found) -> str:
    for rule in RULES:
        text = _replace(text, _rule_spans(rule, text), rule.name, found)
    for block in BLOCK_RULES:
        text = _replace(text, block.spans(text), block.name, found)
    return text


def _commands(text: str) -> Iterator[tuple[str, int, int]]:
    """(envelope name, start, end) of each configuration command a log message quotes."""
    for envelope in ENVELOPES:
        for match in _matches(envelope.pattern, envelope.lead, text):
            yield envelope.name, *match.span("cmd")


def redact(text: str, salt: bytes | None = None, known_secrets: Iterable[str] = ()) -> Redaction:
    """Replace every secret value in `text`; also any of `known_secrets` found verbatim."""
    secrets: list[str] = []
    kinds: list[str] = []

    def found(value: str, kind: str) -> str:
        plain = _unquote(value)
        secrets.append(plain)
        kinds.append(kind)
        mark = f"{MARK}:fp={fingerprint(plain, salt)}>" if salt else f"{MARK}>"
        quote = value[0] if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0] else ""
        return quote + mark + quote

    for envelope in ENVELOPES:
        # each quoted command is redacted on its own, as a line of configuration
        pieces: list[str] = []
        last = 0
        for match in _matches(envelope.pattern, envelope.lead, text):
            start, end = match.span("cmd")
            clean = _apply_rules(text[start:end], found)
            if clean != text[start:end]:
                pieces += (text[last:start], clean)
                last = end
        if pieces:
            pieces.append(text[last:])
            text = "".join(pieces)
    text = _apply_rules(text, found)
    for secret in {s for s in known_secrets if s and len(s) >= 4}:
        if secret in text:
            secrets.append(secret)
            kinds.append("known-secret")
            mark = f"{MARK}:fp={fingerprint(secret, salt)}>" if salt else f"{MARK}>"
            text = text.replace(secret, mark)
    return Redaction(text, tuple(secrets), tuple(kinds))


# A secret found by a rule is also looked for everywhere else (a PSK repeated in a log line,
# where no rule recognises it) from this length on: shorter values ("yes", "public") would
# be found in ordinary text.
REPEATABLE_MIN_LENGTH = 8


def repeatable_secrets(texts: Iterable[str]) -> tuple[str, ...]:
    """The secrets the rules find in ``texts`` that are long enough to look for verbatim."""
    found: dict[str, None] = {}
    for text in texts:
        for secret in redact(text).secrets:
            if len(secret) >= REPEATABLE_MIN_LENGTH and not secret.startswith(MARK):
                found.setdefault(secret, None)
    return tuple(found)


def _leaks_in(text: str, offset: int) -> Iterator[str]:
    for rule in RULES:
        for start, end in _rule_spans(rule, text):
            if not _is_redacted(text[start:end]):
                yield f"{rule.name} at offset {offset + start}"
    for block in BLOCK_RULES:
        for start, end in block.spans(text):
            if not _is_redacted(text[start:end]):
                yield f"{block.name} at offset {offset + start}"


def leaks(text: str, known_secrets: Iterable[str] = ()) -> list[str]:
    """What still looks like a secret in already-redacted text: rule names or 'known secret'.

    Used to fail closed: a writer refuses to finish when this is not empty.
    """
    problems = [
        f"{problem} (in a command quoted by {name})"
        for name, start, end in _commands(text)
        for problem in _leaks_in(text[start:end], start)
    ]
    problems += _leaks_in(text, 0)
    problems += ["a known secret" for s in set(known_secrets) if s and len(s) >= 4 and s in text]
    return problems
