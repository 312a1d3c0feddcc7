"""Synthetic sample data for wholesystem: a made-up two-area integration board system.

`sample_data.generate.generate` writes every feed of the data contract (organisations, GP
population files, patients, conditions, GP events, hospital spells, deaths, care home
admissions, surveys and aggregate indicators), deterministic by seed, so that the demo, the
tests and the benchmarks all start from nothing but the repo. See README.md in this folder.
"""
