"""The Dash front end for integration boards (board overview, indicator detail, network
comparison, locality drill-down). It reads only the published serving snapshot, never the
warehouse. Built in a later issue; this package is empty until then.
"""
