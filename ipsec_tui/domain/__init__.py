"""Pure data model of two IPsec peers and what was learned about them. Standard library only."""
