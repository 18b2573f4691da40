"""Importing leads and accounts from files somebody exported: read row by row, bad rows reported.

An import file comes from a CRM or a spreadsheet, so it is as large, as oddly encoded and as
broken in places as those tools make it; reading it must neither load it whole nor stop at
the first row it cannot read.
"""
