"""``kerio-watch report``, ``kerio-watch user`` and ``kerio-watch serve``."""

from __future__ import annotations

import errno
import ipaddress
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import click

from kerio_watch.cli.common import config_file, load, parse_time
from kerio_watch.cli.hints import invocation, pip_install
from kerio_watch.cli.options import config_option, db_option, output_option
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.errors import (
    ConfigError,
    InstallError,
    ListenError,
    UsageError,
)
from kerio_watch.report.build import build_report
from kerio_watch.report.model import Period, jsonable
from kerio_watch.report.periods import combine, newest_until
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.views import account_queue, incident_actions, print_actions, queue_line
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import default_db_path
from kerio_watch.textsafe import json_text, printable

DATABASE_NEWEST = "the newest activity in the database"
ACCOUNT_NEWEST = (
    "the account's newest activity (or, if later, the last signal of an incident about a "
    "machine it uses; with neither, the newest activity in the database)"
)
"""What ``user``'s period ends after by default (:meth:`TimelineBuilder.default_period`)."""


def since_until(newest: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    """``--since`` and ``--until`` (server local time unless an offset is given);
    ``newest``: what the default ``--until`` comes after, as the command finds it."""

    def decorate(f: click.decorators.FC) -> click.decorators.FC:
        f = click.option(
            "--until",
            help="End of the period, ISO 8601 (server time unless an offset is given). "
            f"Default: after {newest}.",
        )(f)
        return click.option(
            "--since",
            help="Start of the period, ISO 8601, e.g. 2026-03-16 or 2026-03-16T08:00. "
            "Default: 7 days before --until.",
        )(f)

    return decorate


def mail_server_option(f: click.decorators.FC) -> click.decorators.FC:
    """``--mail-server IP``."""
    return click.option(
        "--mail-server",
        metavar="IP",
        help="The mail server's LAN address, written into the egress firewall rule "
        "(default: a MAIL_SERVER_IP placeholder).",
    )(f)


LISTEN_HINTS = {
    errno.EADDRINUSE: "another program (another kerio-watch serve?) uses that port: stop "
    "it, or choose another port with --port or [web] port",
    errno.EACCES: "ports below 1024 need privileges kerio-watch should not have: use a "
    "port above 1023 (the default is 8025), behind a reverse proxy if need be",
    errno.EADDRNOTAVAIL: "that address is not one of this machine's: use one of its own "
    "(--host or [web] host)",
}


def _cannot_listen(host: str, port: int, exc: OSError) -> ListenError:
    """Why the dashboard cannot listen, and what to do (exit 5: a service that cannot
    be used, not wrong usage)."""
    hint = LISTEN_HINTS.get(exc.errno or 0)
    return ListenError(
        f"cannot listen on {host}:{port}: {exc.strerror or exc}" + (f" ({hint})" if hint else "")
    )


def _check_ip(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise click.BadParameter(
            f"expected an IP address, got {value!r}", param_hint="--mail-server"
        ) from None


def _period(
    st: ServerTime,
    since: str | None,
    until: str | None,
    days: int | None,
    default_until: Callable[[], int | None],
) -> Period:
    """The period the options describe (see :mod:`kerio_watch.report.periods`).

    Raises:
        UsageError: a bad time, three contradicting options, or an empty period.
    """
    tb = st.timebase()
    since_ts = parse_time(since, tb, "--since") if since else None
    until_ts = parse_time(until, tb, "--until") if until else None
    try:
        return combine(since_ts, until_ts, days, default_until, st)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


FORMAT_OF_SUFFIX = {".html": "html", ".htm": "html", ".json": "json", ".txt": "text", "": "text"}
"""The report format an ``-o`` file's name asks for (without ``--format``)."""


def _format_for(output_format: str | None, output: Path | None) -> str:
    """``--format``, else the one the ``-o`` file's name asks for, else text.

    Raises:
        click.BadParameter: the file's name asks for a format there is none of (a
            ``.pdf`` got plain text).
    """
    if output_format:
        return output_format
    if output is None:
        return "text"
    found = FORMAT_OF_SUFFIX.get(output.suffix.lower())
    if found is None:
        raise click.BadParameter(
            f"{output.name}: no report format for {output.suffix!r} files; name it .html, "
            ".json or .txt, or give --format html, text or json",
            param_hint="'-o' / '--output'",
        )
    return found


def _write(text: str, output: Path | None) -> None:
    with open_output(output) as out:
        out.write(text)


@click.command()
@db_option
@config_option
@since_until(DATABASE_NEWEST)
@click.option("--days", type=click.IntRange(1, 366), help="Length of the period (default 7).")
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["html", "text", "json"]),
    help="html (one offline file with charts), text (terminal) or json. "
    "Default: from the -o file name (.html, .json, .txt), else text.",
)
@output_file_option()
@mail_server_option
def report(
    db_path: Path | None,
    config_path: Path | None,
    since: str | None,
    until: str | None,
    days: int | None,
    output_format: str | None,
    output: Path | None,
    mail_server: str | None,
) -> None:
    """A digest of a period: incidents, senders against their norms, outside hosts,
    off-hours mail, bounces, password guessing, traffic, hardening advice.

    The default period is the last 7 days of log time in the database.
    """
    config = load(config_path)
    server = _check_ip(mail_server)
    fmt = _format_for(output_format, output)
    store = open_store(db_path, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        period = _period(st, since, until, days, lambda: newest_until(store))
        r = build_report(store, config, period, st, server)
    finally:
        store.close()
    if fmt == "json":
        _write(json_text(jsonable(r, st.iso), indent=2) + "\n", output)
    elif fmt == "html":
        from kerio_watch.report.html import render_html  # noqa: PLC0415 (only html needs Jinja)

        _write(render_html(r, st), output)
    else:
        from kerio_watch.report.text import render_report_text  # noqa: PLC0415

        with open_output(output) as out:
            render_report_text(make_console(out, document=True), r, st)
    if output is not None:
        click.echo(f"report written to {output}", err=True)


@click.command()
@click.argument("address")
@db_option
@config_option
@since_until(ACCOUNT_NEWEST)
@click.option("--days", type=click.IntRange(1, 366), help="Length of the period (default 7).")
@output_option("text", "json", help="text for people, json for tools.")
@output_file_option()
@click.option(
    "--limit", type=int, default=200, show_default=True, help="Timeline lines shown (0: all)."
)
def user(
    address: str,
    db_path: Path | None,
    config_path: Path | None,
    since: str | None,
    until: str | None,
    days: int | None,
    output_format: str,
    output: Path | None,
    limit: int,
) -> None:
    """One account's timeline (logins, sends, bounces, failed logins, incidents) beside
    what is normal for it.

    The default period is the account's last 7 days of activity.
    """
    from kerio_watch.report.timeline import TimelineBuilder  # noqa: PLC0415

    config = load(config_path)
    account = address.strip().lower()
    store = open_store(db_path, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        builder = TimelineBuilder(store, config, st)
        period = _period(st, since, until, days, lambda: builder.default_period(account).until)
        view = builder.build(account, period)
        queue = account_queue(store, account)
        contained = [r for i in view.incidents for r in incident_actions(store, i.id)]
    finally:
        store.close()
    if view.normal is None and not view.entries and not view.incidents:
        raise UsageError(
            f"{printable(account)}: no such account in the state database "
            "(check the address, or scan the logs first)"
        )
    if output_format == "json":
        data = jsonable(view, st.iso)
        data["queue"] = queue and {**queue, "polled": st.iso(int(queue["polled"]))}
        data["containment"] = [r.to_dict(st.iso) for r in contained]
        _write(json_text(data, indent=2) + "\n", output)
        return
    from kerio_watch.report.account_text import render_account_text  # noqa: PLC0415

    with open_output(output) as out:
        console = make_console(out)
        render_account_text(console, view, st, limit)
        if queue:
            console.print(f"Kerio queue (API): {queue_line(queue)}", markup=False)
        if contained:
            print_actions(console, contained)


@click.command()
@db_option
@config_option
@click.option("--host", help="Address to listen on (default: [web] host, else 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port (default: [web] port, else 8025)."
)
@mail_server_option
@click.option(
    "--hash-password",
    is_flag=True,
    help="Ask for a password and print the [web] password_hash line for it; do not serve.",
)
def serve(
    db_path: Path | None,
    config_path: Path | None,
    host: str | None,
    port: int | None,
    mail_server: str | None,
    hash_password: bool,
) -> None:
    """The web dashboard: incidents with their evidence, acknowledge or resolve, account
    pages with charts and timelines, search, reports.

    Listens on 127.0.0.1:8025 by default. Every page needs a login: the [web]
    password, a configured token, or a token generated now and printed with the
    login URL. Refuses a non-loopback address without a configured password or token.
    """
    try:
        from kerio_watch.web import security  # noqa: PLC0415
        from kerio_watch.web.app import create_app  # noqa: PLC0415
        from kerio_watch.web.server import make_server  # noqa: PLC0415
        from kerio_watch.web.settings import is_loopback, web_settings  # noqa: PLC0415
    except ImportError as exc:
        raise InstallError(
            f"the dashboard cannot start: {exc.name} is missing from this installation; "
            f"install it with: {pip_install('web')}"
        ) from None
    if hash_password:
        _print_password_hash(security.hash_password)
        return
    config = load(config_path)
    settings = web_settings(config)
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port
    if not is_loopback(bind_host) and not settings.has_login:
        raise _open_without_login(bind_host, config_file(config))
    db = db_path if db_path is not None else default_db_path()
    open_store(db, readonly=True).close()  # fail now, clearly, if there is no database
    start_token = None if settings.has_login else secrets.token_urlsafe(32)
    app = create_app(settings, db, config, _check_ip(mail_server), start_token)
    try:
        server = make_server(app, bind_host, bind_port)
    except OSError as exc:
        raise _cannot_listen(bind_host, bind_port, exc) from None
    _announce(bind_host, server.effective_port, db, start_token, is_loopback(bind_host))
    sys.stdout.flush()
    try:
        server.run()
    finally:
        server.close()


def _print_password_hash(hash_password: Callable[[str], str]) -> None:
    """Ask for a password and print the ``[web]`` lines that configure it."""
    password = click.prompt("Password for the dashboard", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise UsageError("use at least 10 characters")
    click.echo("[web]")
    click.echo(f'password_hash = "{hash_password(password)}"')


def _open_without_login(bind_host: str, source: str) -> ConfigError:
    """The refusal to serve a non-loopback address without a password or token."""
    return ConfigError(
        [
            f"refusing to listen on {bind_host}, which is not a loopback address, without "
            f"a password or token: set [web] password_hash ({invocation()} serve "
            f"--hash-password) or token_file in {source}, or use --host 127.0.0.1"
        ]
    )


def _announce(bind_host: str, port: int, db: Path, start_token: str | None, loopback: bool) -> None:
    """Say where the dashboard listens, and the login link of a token made for this run."""
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    url = f"http://{shown}:{port}"
    click.echo(f"kerio-watch dashboard on {url} (state: {db})", err=True)
    if start_token:
        click.echo(f"Log in at {url}/login?token={start_token}")
        click.echo(
            "  (a token for this run only; set [web] password_hash to log in with a password)",
            err=True,
        )
    if not loopback:
        click.echo("  plain HTTP on the network: put a TLS reverse proxy in front of it", err=True)


COMMANDS = [report, user, serve]
