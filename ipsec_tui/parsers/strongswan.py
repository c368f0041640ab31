"""strongswan parsers."""
