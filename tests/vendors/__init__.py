"""Tests of the Juniper, Palo Alto and FortiGate platforms as a whole."""
