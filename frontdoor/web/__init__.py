"""The web dashboard and JSON API (FastAPI, server-rendered GOV.UK Design System pages).

Every page and API call needs a signed-in member of the staff roster; the roster's roles decide
what they see (:mod:`models.dashboard` applies the scope in SQL). Events recorded here go through
:func:`models.ingest.import_records`, the same validation as ``frontdoor import``.
"""

from frontdoor.web.app import create_app

__all__ = ["create_app"]
