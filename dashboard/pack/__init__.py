"""The board pack: one area (or every area side by side) at one board date, "as presented".

`build_pack` reads every number through `dashboard.access` inside `access.reading(version)`,
so a pack always comes from one kept snapshot; it renders one HTML document (`render`) with
the charts inline as SVG, prints that same document to PDF with Chromium when a PDF is
asked for, stores the file in `pack_store.packs_dir` and registers it with the snapshot
version it used (`pack_store.record_pack`), so that snapshot is never pruned and the pack
can be regenerated with the same numbers. `routes` serves it from the dashboard and
`wholesystem pack` from the command line.
"""

from __future__ import annotations

from dashboard.pack.build import PackError, build_pack

__all__ = ["PackError", "build_pack"]
