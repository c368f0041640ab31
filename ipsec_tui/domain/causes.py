"""The vocabularies: cause tokens and exchanges carried by log events, and the diagnosis
causes.

Log parsers of every platform tag a `LogEvent` with these tokens, so the checks reason about
one vocabulary whatever the vendor's wording.
"""

from __future__ import annotations

# IKEv2 notify error types (RFC 7296 section 3.10.1) as they travel between peers. A log
# event carrying one also says `direction`: "received" (the peer sent it) or "sent".
NOTIFY_ERRORS = (
    "AUTHENTICATION_FAILED",
    "NO_PROPOSAL_CHOSEN",
    "TS_UNACCEPTABLE",
    "INVALID_KE_PAYLOAD",
    "SINGLE_PAIR_REQUIRED",
    "NO_ADDITIONAL_SAS",
    "INTERNAL_ADDRESS_FAILURE",
    "FAILED_CP_REQUIRED",
    "INVALID_SYNTAX",
    "INVALID_SPI",
    "CHILD_SA_NOT_FOUND",
    "TEMPORARY_FAILURE",
    "INVALID_IKE_SPI",
    "INVALID_MAJOR_VERSION",
)

# What a peer concluded locally, in its own words, normalised:
LOCAL_EVENTS = {
    "psk_mismatch": "the pre-shared key did not verify the peer's AUTH payload",
    "peer_id_mismatch": "no configuration matches the identity the peer presented",
    "cert_invalid": "the peer's certificate did not verify (expired, untrusted, wrong name)",
    "ike_proposal_mismatch": "no acceptable IKE proposal in what the peer offered",
    "child_proposal_mismatch": "no acceptable ESP/AH proposal in what the peer offered",
    "ts_mismatch": "the peer's traffic selectors match no local child configuration",
    "mode_mismatch": "the peer asked for another mode (transport/tunnel)",
    "retransmit": "a request was retransmitted: no answer (yet)",
    "giving_up": "gave up after the last retransmit: the peer never answered",
    "sa_install_failed": "negotiated, but the kernel or stack refused to install the SA",
    "rekey_failed": "a rekey failed",
    "child_failed": "the child SA could not be established",
    "ike_established": "an IKE SA was established",
    "child_established": "a child SA was established",
    "delete_received": "the peer deleted an SA",
    "dpd_timeout": "dead peer detection declared the peer dead",
    "decrypt_failed": "an IKEv1 message did not decrypt or verify (main mode: the keys differ)",
    "ike_version_mismatch": "the peer spoke an IKE version this side does not accept for it",
    "unknown_spi": "a packet or notify named an SPI this side holds no SA for",
    "fragmentation": "a message was lost or refused for its size (fragments, path MTU)",
    "received_proposals": "what the peer proposed (message carries the list)",
    "configured_proposals": "what this peer is configured to accept",
}

CAUSE_TOKENS = (*NOTIFY_ERRORS, *LOCAL_EVENTS)

# Which exchange a log line is about (`LogEvent.exchange`), where the line says: the IKEv2
# exchange types of RFC 7296 by their names, IKEv1's modes in lower case.
EXCHANGES = {
    "IKE_SA_INIT": "IKEv2's first exchange (message ID 0): proposals, key exchange, nonces",
    "IKE_AUTH": "IKEv2's second exchange (message ID 1): identities, certificates, AUTH",
    "CREATE_CHILD_SA": "IKEv2, on an established IKE SA: a rekey or a new child SA",
    "INFORMATIONAL": "on an established IKE SA: liveness (DPD), delete, notify (IKEv1 too)",
    "main": "IKEv1 main mode (phase 1), where the line does not single out messages 5-6",
    "main-auth": "IKEv1 main mode messages 5-6: identities and authentication, encrypted",
    "quick": "IKEv1 quick mode (phase 2): a child SA on an established ISAKMP SA",
    "on-sa": "an exchange on an established IKE SA that the line does not name (IKEv2 "
    "message ID 2 and up, a non-zero IKEv1 message ID, the state of an SA that is up)",
}
# The exchanges by what an unanswered request in them means:
FIRST_EXCHANGES = ("IKE_SA_INIT", "main")  # nothing came back yet: a new SA starts there
AUTH_EXCHANGES = ("IKE_AUTH", "main-auth")  # the first exchange went through: small packets pass
ON_SA_EXCHANGES = ("CREATE_CHILD_SA", "INFORMATIONAL", "quick", "on-sa")  # the SA was up

# The diagnosis vocabulary, most specific first where two could explain the same symptoms.
DIAGNOSIS_CAUSES = {
    "healthy": "the tunnel is up and carries traffic both ways",
    "ike-version-mismatch": "one peer speaks IKEv1, the other IKEv2 only (or the reverse)",
    "mtu-fragmentation": "packets are lost to their size: IKE fragments or big ESP packets",
    "dpd-timeout": "an established tunnel was torn down because the peer stopped answering",
    "stale-sa": "one peer still holds SAs the other no longer has (restart, crash, clear)",
    "peer-unreachable": "IKE requests get no answer: path, firewall or the peer's daemon",
    "psk-mismatch": "the two peers hold different pre-shared keys",
    "identity-mismatch": "an identity one peer presents is not the one the other expects",
    "cert-invalid": "a certificate does not verify",
    "ike-proposal-mismatch": "no IKE proposal in common",
    "child-proposal-mismatch": "no ESP/AH proposal in common",
    "pfs-mismatch": "one peer wants PFS (a DH group) for the child SA, the other not or another",
    "selector-mismatch": "the traffic selectors do not mirror each other",
    "mode-mismatch": "one peer wants transport mode, the other tunnel mode",
    "lifetime-mismatch": "the peers rekey at very different times",
    "nat-exemption-missing": "a NAT rule on one gateway rewrites tunnel traffic before IPsec",
    "no-return-path": "the tunnel is up but traffic flows one way only",
    "no-traffic": "the tunnel is up but nothing flows either way",
    "esp-blocked": "ESP sent by one peer never reaches the other",
    "sa-install-failed": "negotiated, but a peer's kernel or stack refused to install the SA",
    "rekey-failure": "rekeying fails",
    "unknown": "the evidence does not point at one cause",
}
# What a finding can vote for: every cause but the two the diagnosis concludes on its own
# when no finding votes (all is well, or nothing points anywhere).
VOTE_CAUSES = tuple(cause for cause in DIAGNOSIS_CAUSES if cause not in ("healthy", "unknown"))
