"""The ETL: validates monthly extracts and loads them into the DuckDB warehouse.

It is the only writer of the warehouse. Each feed is declared once in `etl.feeds`; the
reader, the validator, the schema and the status report are all driven by those
declarations.
"""
