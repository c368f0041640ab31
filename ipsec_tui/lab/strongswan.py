"""strongSwan (charon + swanctl) on a lab gateway."""

from __future__ import annotations

from ipsec_tui.lab.config import GatewayConfig
from ipsec_tui.lab.topology import CHILD_NAME, TUNNEL_NAME

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
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
"""


def swanctl_conf(cfg: GatewayConfig) -> str:
    ts = ""
    if cfg.local_ts:
        ts += f"        local_ts = {cfg.local_ts}\n"
    if cfg.remote_ts:
        ts += f"        remote_ts = {cfg.remote_ts}\n"
    encap = "    encap = yes\n" if cfg.udp_encap else ""
    return f"""# written by ipsec-tui lab
connections {{
  {TUNNEL_NAME} {{
    version = 2
    mobike = no
    local_addrs = {cfg.local_addr}
    remote_addrs = {cfg.remote_addr}
    proposals = {cfg.ike_proposal}
    rekey_time = {cfg.ike_rekey_time_s}s
{encap}    local {{
      auth = psk
      id = {cfg.local_id}
    }}
    remote {{
      auth = psk
      id = {cfg.remote_id}
    }}
    children {{
      {CHILD_NAME} {{
{ts}        esp_proposals = {cfg.esp_proposal}
        mode = {cfg.mode}
        rekey_time = {cfg.rekey_time_s}s
        start_action = none
        dpd_action = restart
      }}
    }}
  }}
}}

secrets {{
  ike-{TUNNEL_NAME} {{
    id-local = {cfg.local_id}
    id-remote = {cfg.remote_id}
    secret = "{cfg.psk}"
  }}
}}
"""
