"""Query-string handling for the dashboard's lists: filters, sorting, paging, refresh.

Every value is checked against a fixed set (400 otherwise): nothing from the query
string reaches SQL except through :class:`~kerio_watch.store.incident_list.IncidentQuery`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, request, url_for

from kerio_watch.severity import Severity
from kerio_watch.store.query import SORTS, IncidentQuery

STATUSES = ("open", "closed", "benign", "resolved", "all")
SEVERITY_FILTERS = ("any", "low", "medium", "high", "critical")
PAGE_SIZE = 50
REFRESH_SECONDS = 60


@dataclass(frozen=True)
class ListArgs:
    """An incident list's filters, order and page, as asked in the query string."""

    status: str
    severity: str
    sort: str
    order: str
    page: int

    def query(self, size: int = PAGE_SIZE) -> IncidentQuery:
        """The store query for this page."""
        floor = 0 if self.severity == "any" else int(Severity.parse(self.severity))
        return IncidentQuery(
            status=None if self.status == "all" else self.status,
            min_severity=floor,
            sort=self.sort,
            descending=self.order == "desc",
            limit=size,
            offset=(self.page - 1) * size,
        )


MAX_PAGE = 100_000
"""The highest page number a list accepts."""


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        abort(400, f"{name} must be one of {', '.join(allowed)}")
    return value


def list_args(default_status: str = "open") -> ListArgs:
    """The current request's list arguments (400 when one is not allowed)."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        abort(400, f"page must be a whole number from 1 to {MAX_PAGE:,}")
    return ListArgs(
        _choice("status", STATUSES, default_status),
        _choice("severity", SEVERITY_FILTERS, "any"),
        _choice("sort", tuple(SORTS), "severity"),
        _choice("order", ("asc", "desc"), "desc"),
        int(page),
    )


def refresh_seconds() -> int | None:
    """Seconds between automatic reloads of a list page, None when turned off."""
    return None if request.args.get("refresh") == "off" else REFRESH_SECONDS


def here(**changes: Any) -> str:
    """The current page's URL with some query arguments changed (None removes one)."""
    args: dict[str, Any] = dict(request.args.items())
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    endpoint = request.endpoint or "incidents"
    return url_for(endpoint, **(request.view_args or {}), **args)


@dataclass(frozen=True)
class Pager:
    """Where a page is among all pages of a list."""

    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages (at least one)."""
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The 1-based number of the first row shown."""
        return 0 if not self.total else (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        """The 1-based number of the last row shown."""
        return min(self.total, self.page * self.size)
