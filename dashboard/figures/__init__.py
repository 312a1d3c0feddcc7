"""Figure builders: pure functions from small DataFrames to charts.

Each module builds one kind of chart from the frames `dashboard.access` returns, with no
reads of its own, so that it can be tested with hand-built frames. Charts are
`plotly.graph_objects` figures (never `plotly.express`, which is too slow for callbacks);
the board's sparklines are small SVG images, because a table of 20 to 50 rows draws far
faster with images than with one plotly graph per cell.
"""
