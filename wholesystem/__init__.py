"""wholesystem: shared whole-system metrics for NHS integration boards.

This package holds what the layers share: the typed settings object and the `wholesystem`
command line. The layers themselves live in `etl/`, `metrics/`, `dashboard/` and
`sample_data/`.
"""
