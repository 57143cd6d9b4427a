"""The address page: everything one address did, across accounts (``/addresses/<ip>``)."""

from __future__ import annotations

import ipaddress

from flask import Flask, abort, render_template

from kerio_watch.report.address import LABELS, address_view
from kerio_watch.web.context import networks, server_time, store


def address(ip: str) -> str:
    """Logins, submissions, failed logins and blocks of one address, and its incidents."""
    try:
        shown = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        abort(400, "not an IP address")
    view = address_view(store(), networks(), shown)
    return render_template("address.html", st=server_time(), view=view, labels=LABELS)


def register(app: Flask) -> None:
    """Add the address page to the application."""
    app.add_url_rule("/addresses/<path:ip>", "address", address)
