"""Lead quality before routing: normalization, junk, identity, account matching, scoring.

Pure: no I/O, no clock; reference lists come from installed packages, loaded once.
"""
