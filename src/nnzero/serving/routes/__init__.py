"""The page's views and the API routes of each: one module a view (DESIGN.md).

A view module has ``VIEW`` (its name and titles: the page loads ``static/views/<name>.js`` and
``<name>.html`` for it) and ``add_routes(app, service, **limits)``. ``app.create_app`` decides which
views a server offers (``GET /api/views``): predict always; the others when their capability is on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class View:
    """One view of the page: ``name`` picks its static module; the titles label its tab."""

    name: str
    title: str
    title_zh: str

    def describe(self) -> dict:
        return asdict(self)
