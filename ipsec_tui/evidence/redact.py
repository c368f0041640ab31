"""Secrets out of configurations and command output before anything is written.

Every capture, bundle and session log goes through `redact`. A secret's value is replaced by
`<redacted>` or, when the caller passes a per-run salt, by `<redacted:fp=XXXXXXXX>`: a keyed
fingerprint that lets the two peers of one collection be compared ("same PSK on both
sides?") without revealing the key. The salt lives only in memory for one run and is never
written, so a fingerprint cannot be brute-forced offline.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MARK = "<redacted"


@dataclass(frozen=True)
class SecretRule:
    """One kind of secret: a regex whose group 'secret' is the value to hide."""

    name: str
    pattern: re.Pattern[str]


def _rule(name: str, regex: str, flags: int = re.MULTILINE) -> SecretRule:
    return SecretRule(name, re.compile(regex, flags))


# A value: "double quoted", 'single quoted', or one run of non-space characters; never a
# keyword that introduces the value, never an already-redacted or device-masked value.
_KEYWORDS = r"(?:ascii-text|hexadecimal|key|address|hostname|local|remote|ENC|hex|\*+)(?=\s|$)"
_VALUE = (
    r"""(?!<redacted)(?!""" + _KEYWORDS + r""")"""
    r"""(?P<secret>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s;{}"']+)"""
)

RULES: tuple[SecretRule, ...] = (
    # PEM private keys (any platform, any file)
    _rule(
        "private-key",
        r"(?P<secret>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
        r".*?-----END [A-Z0-9 ]*PRIVATE KEY-----)",
        re.DOTALL,
    ),
    # strongSwan swanctl.conf / strongswan.conf: secret = ... (ike, eap, xauth, ntlm sections)
    _rule("strongswan-secret", r"^\s*(?:secret|pin|passphrase)\s*=\s*" + _VALUE),
    # ipsec.secrets (strongSwan legacy, Libreswan): ... : PSK "..." / XAUTH / EAP / RSA pass,
    # on one line: IOS-XE prints "Auth verify: PSK" at a line's end, and the next line's first
    # word ("Life/Active") is no secret
    _rule(
        "ipsec-secrets",
        r":[ \t]*(?:PSK|XAUTH|EAP|NTLM|PIN|P12|RSA[ \t]+\S+|ECDSA[ \t]+\S+)[ \t]+" + _VALUE,
    ),
    # Cisco IOS/IOS-XE: crypto isakmp key [0|6] KEY address ..., keyring pre-shared-key
    # Cisco ASA: tunnel-group ipsec-attributes (ASA masks shown PSKs as *****)
    _rule(
        "asa-psk",
        r"\bikev[12] (?:local-authentication |remote-authentication )?"
        r"pre-shared-key(?: hex)? (?:[0-9] )?+" + _VALUE,
    ),
    _rule("cisco-isakmp-key", r"^\s*(?:crypto )?isakmp key (?:[0-9] )?+" + _VALUE),
    _rule(
        "cisco-keyring-psk",
        r"\bpre-shared-key (?:address|hostname) \S+(?: \S+)? key "
        r"(?:[0-9] )?+" + _VALUE,
    ),
    _rule("cisco-pre-shared-key", r"\bpre-shared-key (?:(?:local|remote) )?(?:[0-9] )?+" + _VALUE),
    _rule("cisco-enable", r"^\s*enable (?:secret|password)(?: level \d+)?(?: [0-9])?+ " + _VALUE),
    _rule(
        "cisco-username",
        r"^\s*username \S+(?: privilege \d+)? (?:password|secret)"
        r"(?: [0-9])?+ " + _VALUE,
    ),
    _rule("cisco-key", r"^\s*(?:tacacs-server |radius-server )?key(?: [0-9])?+ " + _VALUE),
    # line vty/console `password 7 ...`, key chains, OSPF/BGP authentication
    _rule("cisco-line-password", r"^\s*password(?: [0-9])?+ " + _VALUE),
    _rule("cisco-key-string", r"\bkey-string(?: [0-9])?+ " + _VALUE),
    _rule("cisco-md5-key", r"\bmessage-digest-key \d+ md5(?: [0-9])?+ " + _VALUE),
    _rule("cisco-neighbor-password", r"\bneighbor \S+ password(?: [0-9])?+ " + _VALUE),
    _rule("snmp-community", r"^\s*snmp-server community " + _VALUE),
    _rule(
        "snmp-host-community",
        r"^\s*snmp-server host \S+(?: (?:informs|traps))?+"
        r"(?: version (?:1|2c|3 (?:auth|noauth|priv)))?+ " + _VALUE,
    ),
    # SNMPv3 users: `... v3 [encrypted] auth sha PASS priv aes 128 PASS` (Cisco and others)
    _rule("snmp-v3-auth", r"\bv3(?: encrypted)? auth (?:md5|sha\d*) " + _VALUE),
    _rule("snmp-v3-priv", r"\bpriv (?:3des|des56|des|aes(?: \d+)?+) " + _VALUE),
    # Cisco ASA: passwd
    _rule("asa-passwd", r"^\s*passwd " + _VALUE),
    # Junos: pre-shared-key ascii-text|hexadecimal "$9$..."; encrypted-password; secret "$9$"
    _rule("junos-psk", r"\bpre-shared-key (?:ascii-text|hexadecimal) " + _VALUE),
    _rule(
        "junos-password",
        r"\b(?:encrypted-password|authentication-key|privacy-key)(?: [0-9])?+ " + _VALUE,
    ),
    _rule("junos-secret", r"\bsecret (?P<secret>\"\$9\$[^\"]*\")"),
    _rule("junos-community", r"^\s*(?:set snmp )?community " + _VALUE),
    # FortiOS: set psksecret ENC ..., set password ENC ..., set passwd
    _rule(
        "fortios-secret",
        r"^\s*set (?:psksecret|psksecret-remote|password|passwd|secondary-secret|"
        r"community|secret|auth-pwd|priv-pwd|ppk-secret|key|passphrase|private-key) "
        r"(?:ENC )?" + _VALUE,
    ),
    # PAN-OS: set ... pre-shared-key key VALUE, phash, SNMP; and the XML form <key>...</key>
    _rule("panos-psk", r"\bpre-shared-key key " + _VALUE),
    _rule(
        "panos-secret",
        r"\b(?:phash|snmp-community-string|community-string|authpwd|privpwd) " + _VALUE,
    ),
    _rule(
        "panos-xml-key",
        r"<(?:key|phash|password|authpwd|privpwd|community|secret)>(?P<secret>[^<]+)</",
    ),
    # FortiOS `diagnose vpn tunnel list` prints each SA's ESP keys: `esp=aes key=16 HEX`,
    # `ah=sha1 key=20 HEX` (the key length stays: the parser reads the cipher from it)
    _rule("fortios-sa-key", r"\b(?:esp|ah)=\S+ key=\d+ (?P<secret>[0-9a-fA-F]{8,})\b"),
    # Linux `ip xfrm state` prints the kernel SAs' keys (as root): ESP session keys
    _rule(
        "xfrm-key",
        r"^\s*(?:auth|auth-trunc|enc|aead|comp)\s+\S+\s+(?!<redacted)(?P<secret>0x[0-9a-fA-F]+)",
    ),
    # user:password@ in URLs (strongswan.conf database URIs, proxies...)
    _rule("url-credentials", r"\b[a-z][a-z0-9+.-]*://[^:/\s@]+:(?!<redacted)(?P<secret>[^@\s/]+)@"),
)


def fingerprint(secret: str, salt: bytes) -> str:
    return hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()[:8]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


@dataclass(frozen=True)
class Redaction:
    """Redacted text and the secrets that were removed (kept in memory only)."""

    text: str
    secrets: tuple[str, ...]
    kinds: tuple[str, ...]


def redact(text: str, salt: bytes | None = None, known_secrets: Iterable[str] = ()) -> Redaction:
    """Replace every secret value in `text`; also any of `known_secrets` found verbatim."""
    found: list[str] = []
    kinds: list[str] = []

    def replace_with(rule: SecretRule) -> Callable[[re.Match[str]], str]:
        def sub(match: re.Match[str]) -> str:
            value = match.group("secret")
            if _unquote(value).startswith(MARK):  # already redacted: keep its fingerprint
                return match.group(0)
            plain = _unquote(value)
            found.append(plain)
            kinds.append(rule.name)
            mark = f"{MARK}:fp={fingerprint(plain, salt)}>" if salt else f"{MARK}>"
            start, end = match.span("secret")
            whole = match.group(0)
            offset = match.start()
            quote = value[0] if value[0] in "\"'" and value[-1] == value[0] else ""
            return whole[: start - offset] + quote + mark + quote + whole[end - offset :]

        return sub

    for rule in RULES:
        text = rule.pattern.sub(replace_with(rule), text)
    for secret in {s for s in known_secrets if s and len(s) >= 4}:
        if secret in text:
            found.append(secret)
            kinds.append("known-secret")
            mark = f"{MARK}:fp={fingerprint(secret, salt)}>" if salt else f"{MARK}>"
            text = text.replace(secret, mark)
    return Redaction(text, tuple(found), tuple(kinds))


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


def leaks(text: str, known_secrets: Iterable[str] = ()) -> list[str]:
    """What still looks like a secret in already-redacted text: rule names or 'known secret'.

    Used to fail closed: a writer refuses to finish when this is not empty.
    """
    problems = []
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            if not match.group("secret").strip("\"'").startswith(MARK):
                problems.append(f"{rule.name} at offset {match.start()}")
    problems += ["a known secret" for s in set(known_secrets) if s and len(s) >= 4 and s in text]
    return problems
