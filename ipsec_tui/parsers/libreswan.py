"""libreswan parsers."""
