"""Certificates for `lab up --auth cert`: a chain per site, made with strongSwan's `pki`.

Each site has its own root CA, an issuing CA under it and the gateway's certificate (its IKE
identity as subjectAltName), all RSA-4096, so an IKE_AUTH carries two large certificates
(gateway and issuing CA): big enough to need IKE fragmentation on a 1280-byte path. The keys
are made at `up` inside the lab's folder and removed by `down`.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.shell import run
from ipsec_tui.lab.strongswan import CERT_FILE

KEY_BITS = 4096
ORG = "O=ipsec-tui lab"


def _key(path: Path) -> None:
    pem = run(
        ["pki", "--gen", "--type", "rsa", "--size", str(KEY_BITS), "--outform", "pem"],
        timeout=120,
    ).stdout
    path.touch(mode=0o600)
    path.write_text(pem)


def _issue(work: Path, name: str, dn: str, ca: str | None, *extra: str) -> None:
    """Sign `name`.key's public key with `ca` (self-signed when None) into `name`.pem."""
    key = work / f"{name}.key"
    if ca is None:
        argv = ["pki", "--self", "--ca", "--in", str(key), "--type", "rsa"]
    else:
        pub = work / f"{name}.pub"
        pub.write_text(
            run(["pki", "--pub", "--in", str(key), "--type", "rsa", "--outform", "pem"]).stdout
        )
        argv = ["pki", "--issue", "--in", str(pub), "--type", "pub"]
        argv += ["--cacert", str(work / f"{ca}.pem"), "--cakey", str(work / f"{ca}.key")]
    argv += ["--dn", dn, "--lifetime", "365", "--outform", "pem", *extra]
    (work / f"{name}.pem").write_text(run(argv).stdout)


def make_certificates(swanctl_dirs: dict[topo.Site, Path]) -> list[str]:
    """Write each site's key and certificate and the CAs it trusts into its swanctl folder:
    private/, x509/ (gateway), x509ca/ (its root and issuing CA, and the peer's root)."""
    work = Path(tempfile.mkdtemp(prefix="certs-", dir=topo.lab_dir()))
    try:
        names = [f"{s.name}-{part}" for s in swanctl_dirs for part in ("root", "issuing", "gw")]
        with ThreadPoolExecutor(max_workers=2) as pool:  # RSA-4096 key generation is slow
            list(pool.map(lambda n: _key(work / f"{n}.key"), names))
        for s in swanctl_dirs:
            root, issuing, gw = (f"{s.name}-{part}" for part in ("root", "issuing", "gw"))
            _issue(work, root, f"C=CH, {ORG}, CN={s.name} Root CA", None)
            _issue(work, issuing, f"C=CH, {ORG}, CN={s.name} Issuing CA", root, "--ca")
            _issue(
                work,
                gw,
                f"C=CH, {ORG}, CN={s.ike_id}",
                issuing,
                "--san",
                s.ike_id,
                "--flag",
                "serverAuth",
            )
        done = []
        for s, swanctl in swanctl_dirs.items():
            other = next(o for o in swanctl_dirs if o is not s)
            for sub in ("private", "x509", "x509ca"):
                (swanctl / sub).mkdir(parents=True, exist_ok=True)
            key = swanctl / "private" / CERT_FILE
            key.touch(mode=0o600)
            key.write_text((work / f"{s.name}-gw.key").read_text())
            shutil.copy(work / f"{s.name}-gw.pem", swanctl / "x509" / CERT_FILE)
            for ca in (f"{s.name}-root", f"{s.name}-issuing", f"{other.name}-root"):
                shutil.copy(work / f"{ca}.pem", swanctl / "x509ca" / f"{ca}.pem")
            done.append(
                f"{s.name}: RSA-{KEY_BITS} chain {s.name} Root CA -> {s.name} Issuing CA -> "
                f"{s.ike_id}; trusts {other.name} Root CA"
            )
        return done
    finally:
        shutil.rmtree(work, ignore_errors=True)
