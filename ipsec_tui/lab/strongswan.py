"""strongSwan (charon + swanctl) on a lab gateway."""

from __future__ import annotations

from collections.abc import Sequence

from ipsec_tui.lab.config import ChildConfig, GatewayConfig

CHARON = "/usr/lib/ipsec/charon"
LOG_FILE = "/var/log/charon.log"
SWANCTL_CONF = "/etc/swanctl/swanctl.conf"


def strongswan_conf(libipsec: bool) -> str:
    """charon's settings: Debian's plugin set, a file log, quick retransmits for the lab."""
    libipsec_block = (
        "    # no ESP in this kernel: userspace ESP over a TUN device, UDP-encapsulated\n"
        "    kernel-libipsec {\n      load = yes\n    }\n"
        if libipsec
        else ""
    )
    # libipsec names the SPI of an ESP packet it has no SA for only at level 2
    esp_level = "      esp = 2\n" if libipsec else ""
    return f"""# written by ipsec-tui lab: Debian's defaults, then the lab's own settings
charon {{
  load_modular = yes
  plugins {{
    include /etc/strongswan.d/charon/*.conf
  }}
}}
include /etc/strongswan.d/*.conf

charon {{
  install_routes = yes
  # the lab wants a blocked peer's retransmits visible within seconds, not minutes
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 4
  plugins {{
{libipsec_block}  }}
  filelog {{
    charon {{
      path = {LOG_FILE}
      time_format = %Y-%m-%dT%H:%M:%S
      ike_name = yes
      append = yes
      flush_line = yes
      default = 1
{esp_level}    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
"""


CERT_FILE = "gateway.pem"  # in x509/, its key in private/; CAs in x509ca/


def _child(child: ChildConfig, cfg: GatewayConfig) -> str:
    ts = ""
    if child.local_ts:
        ts += f"        local_ts = {child.local_ts}\n"
    if child.remote_ts:
        ts += f"        remote_ts = {child.remote_ts}\n"
    return f"""      {child.name} {{
{ts}        esp_proposals = {child.esp_proposal}
        mode = {cfg.mode}
        rekey_time = {cfg.rekey_time_s}s
        start_action = none
        dpd_action = restart
      }}
"""


def _secret(cfg: GatewayConfig) -> str:
    if cfg.auth == "cert":
        return ""
    return f"""  ike-{cfg.name} {{
    id-local = {cfg.local_id}
    id-remote = {cfg.remote_id}
    secret = "{cfg.psk}"
  }}
"""


def _connection(cfg: GatewayConfig) -> str:
    encap = "    encap = yes\n" if cfg.udp_encap else ""
    if cfg.keyingtries != 1:
        encap += f"    keyingtries = {cfg.keyingtries}\n"
    if cfg.auth == "cert":
        local_auth = f"      auth = pubkey\n      certs = {CERT_FILE}\n"
        remote_auth = "      auth = pubkey\n"
    else:
        local_auth = remote_auth = "      auth = psk\n"
    children = "".join(_child(c, cfg) for c in cfg.all_children())
    return f"""  {cfg.name} {{
    version = {cfg.ike_version}
    mobike = no
    local_addrs = {cfg.local_addr}
    remote_addrs = {cfg.remote_addr}
    proposals = {cfg.ike_proposal}
    rekey_time = {cfg.ike_rekey_time_s}s
    dpd_delay = {cfg.dpd_delay_s}s
    fragmentation = {"yes" if cfg.fragmentation else "no"}
{encap}    local {{
{local_auth}      id = {cfg.local_id}
    }}
    remote {{
{remote_auth}      id = {cfg.remote_id}
    }}
    children {{
{children}    }}
  }}
"""


def swanctl_conf(cfgs: Sequence[GatewayConfig]) -> str:
    """One connection per tunnel (`lab`, `lab2`...), each with its own PSK entry."""
    secrets = "".join(_secret(cfg) for cfg in cfgs)
    connections = "".join(_connection(cfg) for cfg in cfgs)
    return f"# written by ipsec-tui lab\nconnections {{\n{connections}}}\n" + (
        f"\nsecrets {{\n{secrets}}}\n" if secrets else ""
    )
