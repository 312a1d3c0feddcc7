"""The metrics engine: indicator definitions, statistics, SPC and the serving snapshot.
Built in a later issue; this package is empty until then.
"""
