"""The shared kernel: database, errors, identity, time, HTTP helpers. Small on purpose."""
