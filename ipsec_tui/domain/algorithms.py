"""Canonical algorithm names, so proposals compare by meaning across implementations.

Canonical names are strongSwan's proposal keywords: `aes256`, `aes256gcm16`, `3des`,
`sha256`, `prfsha256`, `modp2048`, `ecp256`, `curve25519`... DH groups also by IANA number.
`AES_CBC-256`, `AES_CBC_256`, `aes256` and Cisco's `AES-CBC, keysize: 256` are all `aes256`.
Every function returns None for text it does not recognise (never a guess).
"""

from __future__ import annotations

import functools
import re

from ipsec_tui.domain.model import Proposal

# IANA "Transform Type 4 - Key Exchange Method" numbers -> canonical name
DH_GROUPS: dict[int, str] = {
    1: "modp768",
    2: "modp1024",
    5: "modp1536",
    14: "modp2048",
    15: "modp3072",
    16: "modp4096",
    17: "modp6144",
    18: "modp8192",
    19: "ecp256",
    20: "ecp384",
    21: "ecp521",
    22: "modp1024s160",
    23: "modp2048s224",
    24: "modp2048s256",
    25: "ecp192",
    26: "ecp224",
    27: "ecp224bp",
    28: "ecp256bp",
    29: "ecp384bp",
    30: "ecp512bp",
    31: "curve25519",
    32: "curve448",
}
DH_NUMBERS: dict[str, int] = {name: number for number, name in DH_GROUPS.items()}
_DH_ALIASES = {"x25519": "curve25519", "x448": "curve448", "ecp256": "ecp256"}

_INTEGRITY = {
    "sha1": "sha1",
    "sha": "sha1",
    "sha96": "sha1",
    "hmacsha1": "sha1",
    "hmacsha196": "sha1",
    "sha196": "sha1",
    "sha1160": "sha1",
    "sha256": "sha256",
    "sha2256": "sha256",
    "hmacsha2256128": "sha256",
    "hmacsha2256": "sha256",
    "sha256128": "sha256",
    "sha384": "sha384",
    "sha2384": "sha384",
    "hmacsha2384192": "sha384",
    "hmacsha2384": "sha384",
    "sha512": "sha512",
    "sha2512": "sha512",
    "hmacsha2512256": "sha512",
    "hmacsha2512": "sha512",
    "md5": "md5",
    "hmacmd5": "md5",
    "hmacmd596": "md5",
    "md596": "md5",
    "aesxcbc": "aesxcbc",
    "aesxcbc96": "aesxcbc",
    "xcbc": "aesxcbc",
    "aescmac": "aescmac",
    "aescmac96": "aescmac",
    "sha25696": "sha256_96",
    # Junos (`hmac-sha-256-128`, `hmac-sha256-128`), FortiOS and PAN-OS spellings
    "hmacsha256128": "sha256",
    "hmacsha256": "sha256",
    "hmacsha384192": "sha384",
    "hmacsha384": "sha384",
    "hmacsha512256": "sha512",
    "hmacsha512": "sha512",
    "hmacsha225696": "sha256_96",  # strongSwan's HMAC_SHA2_256_96
}
_NO_INTEGRITY = {"none", "null", "integnone", ""}


def _squash(text: str) -> str:
    """Lowercase, without separators: 'HMAC_SHA2_256-128' -> 'hmacsha2256128'."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def dh_group(text: str | int | None) -> str | None:
    """'MODP_2048', 'modp2048', 'DH19', 'group 14', '19', 'CURVE_25519' -> canonical name."""
    if text is None:
        return None
    if isinstance(text, int):
        return DH_GROUPS.get(text)
    # Cisco IKEv2 proposals: 'DH_GROUP_256_ECP/Group 19' names the group by number last
    listed = re.search(r"(?i)/\s*group\s*(\d{1,2})\s*$", text)
    if listed:
        return DH_GROUPS.get(int(listed.group(1)))
    t = _squash(text)
    if t in ("none", "null", "nopfs", "no", "disabled", "n"):
        return "none"
    m = re.fullmatch(r"(?:dh|group|dhgroup|dhgrp|pfsgroup|pfs)?(\d{1,2})", t)
    if m:
        return DH_GROUPS.get(int(m.group(1)))
    m = re.fullmatch(r"(modp|ecp|curve)(\d+)(s\d+|bp)?", t)
    if m:
        name = f"{m.group(1)}{m.group(2)}{m.group(3) or ''}"
        return name if name in DH_NUMBERS else None
    return _DH_ALIASES.get(t)


def dh_number(name: str | None) -> int | None:
    return DH_NUMBERS.get(name) if name else None


def integrity(text: str | None) -> str | None:
    """'HMAC_SHA2_256_128', 'sha256', 'SHA256', 'esp-sha256-hmac' -> 'sha256'; AEAD: None."""
    if text is None:
        return None
    t = _squash(re.sub(r"(?i)^(esp|ah)-|-hmac$", "", text.strip()))
    if t in _NO_INTEGRITY:
        return None
    if t.startswith("prf"):
        return None
    return _INTEGRITY.get(t)


def prf(text: str | None) -> str | None:
    """'PRF_HMAC_SHA2_256', 'prfsha256', 'SHA256' (Cisco PRF:), 'HMAC_SHA2_256' -> 'prfsha256'."""
    if text is None:
        return None
    t = _squash(text)
    t = t.removeprefix("prf")
    if t in ("aesxcbc", "aes128xcbc", "xcbc"):
        return "prfaesxcbc"
    if t in ("aescmac", "aes128cmac"):
        return "prfaescmac"
    base = _INTEGRITY.get(t)
    if base is None:
        # an integrity name with truncation ("HMAC_SHA2_256_128") also names its PRF
        base = _INTEGRITY.get(re.sub(r"(\d{3})(96|128|192|256)$", r"\1", t))
    return f"prf{base}" if base in ("sha1", "sha256", "sha384", "sha512", "md5") else None


_ENC_KEYWORD = re.compile(
    r"(?P<cipher>aes|camellia|chacha20poly1305|3des|des|null|blowfish|cast)"
    r"(?P<key>\d{3})?(?P<mode>gcm|ccm|ctr|gmac)?(?P<icv>8|12|16|64|96|128)?"
)


def encryption(text: str | None, keysize: int | None = None) -> str | None:
    """Canonical encryption name.

    Accepts strongSwan's 'AES_CBC-256', 'AES_CBC_256', 'AES_GCM_16-256', 'aes256gcm16',
    Libreswan's 'AES_GCM_16_128', 'aes_gcm128', Cisco's 'AES-CBC' with keysize 256,
    'AES-GCM', 'esp-256-aes', 'esp-gcm 256', '3DES', 'CHACHA20_POLY1305'.
    """
    if text is None:
        return None
    raw = text.strip().lower()
    raw = re.sub(r"^(esp|ah)-", "", raw)
    m = re.fullmatch(r"(\d{3})-aes", raw)  # Cisco transform 'esp-256-aes'
    if m:
        raw, keysize = "aes", int(m.group(1))
    raw = re.sub(r"^gcm\b", "aes_gcm", raw)  # Cisco 'esp-gcm' / 'esp-gcm 256'
    raw = re.sub(r"^gmac\b", "aes_gmac", raw)  # Cisco 'esp-gmac' / 'esp-gmac 256'
    m = re.fullmatch(r"(aes[_-](?:gcm|gmac|cbc|ctr|ccm)|aes|gcm)[ ,]+(?:keysize:?\s*)?(\d{3})", raw)
    if m:
        raw, keysize = m.group(1), int(m.group(2))
    t = raw.replace("-", "_").replace(" ", "_")
    if t in ("3des", "3des_cbc", "des3_cbc", "des_ede3", "3des_ede"):
        return "3des"
    if t in ("des", "des_cbc"):
        return "des"
    if t in ("null", "enc_null", "esp_null"):
        return "null"
    if t.replace("_", "") in ("chacha20poly1305", "chacha20poly1305"):
        return "chacha20poly1305"
    # Junos/PAN-OS/FortiOS: aes256-cbc, aes-256-cbc, aes-256-gcm, aes-cbc (256 bits)
    vendor = re.fullmatch(r"(aes|camellia)_?(\d{3})_?(cbc|gcm|ctr|ccm)", t) or re.fullmatch(
        r"(aes|camellia)_(cbc|gcm|ctr|ccm)_\((\d{3})_bits\)", t
    )
    if vendor:
        cipher, first, second = vendor.groups()
        key, mode = (first, second) if first.isdigit() else (second, first)
        t = f"{cipher}_{mode}_{key}"
    # structured forms: AES_CBC_256, AES_CBC-256, AES_GCM_16_256, AES_GCM_16-256, AES_CTR_128
    m = re.fullmatch(r"(aes|camellia)_?(cbc|ctr|gcm|gmac|ccm)?(?:_(8|12|16))?(?:_(\d{3}))?", t)
    if m:
        cipher, mode, icv, key = m.groups()
        key_bits = int(key) if key else keysize
        if key_bits is None:
            key_bits = 128  # AES without a key size is AES-128 on every platform we read
        if mode == "gmac":  # AES-GMAC (ASA 'aes-gmac-256', IOS 'esp-gmac'): no ICV suffix
            return f"{cipher}{key_bits}gmac"
        if mode in ("gcm", "ccm"):
            return f"{cipher}{key_bits}{mode}{icv or 16}"
        if mode == "ctr":
            return f"{cipher}{key_bits}ctr"
        return f"{cipher}{key_bits}"
    # Libreswan short forms: aes_gcm128, aes_gcm_c256, aes_ccm_a128; the letter is the ICV
    # length (IANA ESP transforms 18/19/20: _a 8, _b 12, _c or none 16 octets)
    m = re.fullmatch(r"(aes)_?(gcm|ccm)(?:_?([abc]))?_?(\d{3})?", t)
    if m:
        key_bits = int(m.group(4)) if m.group(4) else (keysize or 128)
        icv = {"a": 8, "b": 12}.get(m.group(3) or "c", 16)
        return f"aes{key_bits}{m.group(2)}{icv}"
    # strongSwan keywords: aes256, aes256gcm16, aes128ctr, camellia256
    m = _ENC_KEYWORD.fullmatch(t.replace("_", ""))
    if m and m.group("cipher") in ("aes", "camellia"):
        key_bits = int(m.group("key")) if m.group("key") else (keysize or 128)
        mode = m.group("mode")
        if mode in ("gcm", "ccm"):
            return f"{m.group('cipher')}{key_bits}{mode}{m.group('icv') or 16}"
        return f"{m.group('cipher')}{key_bits}{mode or ''}"
    return None


def is_aead(name: str | None) -> bool:
    return bool(name and ("gcm" in name or "ccm" in name or "gmac" in name or "poly1305" in name))


_KIND_ORDER = ("encryption", "integrity", "prf", "dh")


def classify(token: str) -> tuple[str, str] | None:
    """One algorithm token of any family -> (family, canonical name)."""
    t = token.strip()
    if not t:
        return None
    low = t.lower()
    if low.startswith("prf"):
        name = prf(t)
        return ("prf", name) if name else None
    if low in ("none", "null") or low.startswith("nopfs"):
        return None
    group = dh_group(t) if re.match(r"(?i)(modp|ecp|curve|x25519|x448|dh\d)", t) else None
    if group:
        return ("dh", group)
    enc = encryption(t)
    if enc:
        return ("encryption", enc)
    integ = integrity(t)
    if integ:
        return ("integrity", integ)
    return None


@functools.lru_cache(maxsize=4096)  # pure; a hub's configuration repeats a few proposals
def proposal_from_keywords(text: str, kind: str = "ike") -> Proposal:
    """strongSwan keyword proposal 'aes256-sha256-modp2048' (or Libreswan's 'aes256-sha2_256;
    modp2048') -> Proposal. For IKE without an explicit PRF, the PRFs follow the integrity
    algorithms, as strongSwan and Libreswan derive them."""
    found: dict[str, list[str]] = {k: [] for k in _KIND_ORDER}
    for token in re.split(r"[-;+]", text.strip()):
        token = token.strip()
        if token.lower() in ("none", "nopfs"):
            found["dh"].append("none")
            continue
        hit = classify(token)
        if hit and hit[1] not in found[hit[0]]:
            found[hit[0]].append(hit[1])
    if kind == "ike" and not found["prf"]:
        found["prf"] = [
            f"prf{i}"
            for i in found["integrity"]
            if i in ("sha1", "sha256", "sha384", "sha512", "md5")
        ]
    return Proposal(
        encryption=tuple(found["encryption"]),
        integrity=tuple(found["integrity"]),
        prf=tuple(found["prf"]) if kind == "ike" else (),
        dh_groups=tuple(found["dh"]),
    )


@functools.lru_cache(maxsize=4096)  # pure; a hub prints the same few suites thousands of times
def proposal_from_suite(text: str, kind: str = "ike") -> Proposal:
    """A negotiated or listed suite: 'AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048'
    (strongSwan), 'IKE:AES_CBC_256/...'; each token is classified by its own name."""
    body = re.sub(r"^(IKE|ESP|AH):", "", text.strip())
    found: dict[str, list[str]] = {k: [] for k in _KIND_ORDER}
    for token in body.split("/"):
        hit = classify(token)
        if hit and hit[1] not in found[hit[0]]:
            found[hit[0]].append(hit[1])
    return Proposal(
        tuple(found["encryption"]),
        tuple(found["integrity"]),
        tuple(found["prf"]),
        tuple(found["dh"]),
    )


# --- FortiOS proposals (additive, for the FortiOS parsers) ----------------------------------

_FORTIOS_SUITE = re.compile(
    r"(?P<enc>aes|aria|camellia|3des|des|null|seed)-(?P<key>\d{3})(?P<gcm>gcm)?"
    r"(?:-(?P<integ>md5|sha1|sha256|sha384|sha512))?"
)


def proposal_from_fortios(text: str, kind: str = "ike") -> Proposal:
    """A FortiOS proposal: `aes256-sha1`, `aes128gcm`, `chacha20poly1305` (configuration and
    `diagnose vpn ike gateway list`), or `aes-256-sha512` (IKEv2 in `get vpn ike gateway`),
    whose key size is a dash-token of its own that strongSwan keywords would misread."""
    match = _FORTIOS_SUITE.fullmatch(text.strip().lower())
    if match:
        text = f"{match.group('enc')}{match.group('key')}{match.group('gcm') or ''}"
        if match.group("integ"):
            text += f"-{match.group('integ')}"
    return proposal_from_keywords(text, kind=kind)
