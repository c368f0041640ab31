"""The real two-peer IPsec lab: network namespaces, IKE daemons, sshd, fault injection."""
