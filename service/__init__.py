"""Koshiki: the back end public agencies trust with their official social media accounts."""
