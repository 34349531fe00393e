"""Writers of the statutory returns and reports: CIN census XML, Annex A CSV/XLSX, scorecard.

Sits beside `models` and `notifications` in the layers: imports `timescales` (the pure figures)
and file-format libraries only, never the database, Prefect or the CLI.
"""
