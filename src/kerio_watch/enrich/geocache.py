"""The geo table's arrays kept on disk between runs, so that a scan does not rebuild them.

Building :class:`~kerio_watch.enrich.geotable.Geoip2FastTable` from geoip2fast's data
file (gunzip, unpickle about a million integers, flatten them into arrays) costs about
0.2 s of CPU at every scan that meets an outside address: on a realistic site of
200,000 lines, a few per cent of the whole scan. The arrays themselves are 9 MB and
read back in about 0.01 s. So the first run writes them to a cache file and later runs
read them, as long as the data file is the one they were built from (same path, size
and modification time). The cached table is the same table, array for array, so
detection cannot change; a missing, stale, foreign or damaged cache file is ignored (and
written anew), and a cache that cannot be written is not an error.

The IPv6 table (:mod:`.geotable6`, from geoip2fast's IPv6 data file, read on the first
public IPv6 address) is cached the same way, in a file of its own.

The file holds no pickle: one line of JSON (the data file's identity, the column
lengths, the country codes and AS names), then the arrays' bytes. Its folder is
``$KERIO_WATCH_CACHE`` (empty: no cache), else ``$XDG_CACHE_HOME/kerio-watch``, else
``~/.cache/kerio-watch``.
"""

from __future__ import annotations

import array
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from kerio_watch.enrich.geotable import COLUMNS, Geoip2FastTable, load
from kerio_watch.enrich.geotable6 import COLUMNS6, Geoip6Table, load6

log = logging.getLogger(__name__)

CACHE_ENV = "KERIO_WATCH_CACHE"
FORMAT = 1
"""The cache file's layout; a file of another one is ignored."""
MAGIC = b"kerio-watch geo cache\n"


def cache_dir() -> Path | None:
    """Where cache files go (None: ``$KERIO_WATCH_CACHE`` is set and empty)."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kerio-watch"


class _Layout(NamedTuple):
    """One kind of table: its arrays, how it is built from the data file and how it
    is made of arrays read back, and the name of its cache files."""

    columns: tuple[tuple[str, str], ...]
    load: Callable[[Path], Any]
    of: Callable[..., Any]
    name: str


# the loaders are looked up when called (a test replaces them)
_V4 = _Layout(COLUMNS, lambda path: load(path), Geoip2FastTable.of, "geoip2fast")  # noqa: PLW0108
_V6 = _Layout(COLUMNS6, lambda path: load6(path), Geoip6Table.of, "geoip2fast6")  # noqa: PLW0108


def table(source: Path) -> Geoip2FastTable | None:
    """The table of geoip2fast's data file ``source``, from the cache when it holds this
    file's; else built by :func:`~.geotable.load` (and cached). None as ``load``."""
    built: Geoip2FastTable | None = _table(source, _V4)
    return built


def table6(source: Path) -> Geoip6Table | None:
    """The IPv6 table of geoip2fast's data file ``source`` (with IPv6), cached like
    :func:`table`; built by :func:`~.geotable6.load6`."""
    built: Geoip6Table | None = _table(source, _V6)
    return built


def _table(source: Path, layout: _Layout) -> Any:
    folder = cache_dir()
    try:
        identity = _identity(source)
    except OSError:
        return layout.load(source)
    path = folder / _name(source, layout.name) if folder is not None else None
    if path is not None:
        cached = _read(path, identity, layout)
        if cached is not None:
            return cached
    built = layout.load(source)
    if built is not None and path is not None:
        _write(path, identity, built, layout)
    return built


def _identity(source: Path) -> dict[str, Any]:
    st = source.stat()
    return {"format": FORMAT, "source": str(source), "size": st.st_size, "mtime": st.st_mtime_ns}


def _name(source: Path, kind: str = "geoip2fast") -> str:
    digest = hashlib.sha256(str(source).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{kind}-{digest[:16]}.bin"


def _body(built: Any, layout: _Layout = _V4) -> bytes:
    return b"".join(built.column(name).tobytes() for name, _ in layout.columns)


def _digest(body: bytes | memoryview) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _header(
    identity: dict[str, Any], built: Any, body: bytes, layout: _Layout = _V4
) -> dict[str, Any]:
    return {
        **identity,
        "byteorder": sys.byteorder,
        "columns": [
            (code, array.array(code).itemsize, len(built.column(name)))
            for name, code in layout.columns
        ],
        "digest": _digest(body),
        "countries": built.countries,
        "as_names": built.as_names,
    }


def _read(path: Path, identity: dict[str, Any], layout: _Layout = _V4) -> Any:
    """The cached table, if ``path`` holds one built from the data file ``identity``
    names (None for anything else: no file, another data file, a damaged file)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(MAGIC):
            return None
        end = data.index(b"\n", len(MAGIC))
        head = json.loads(data[len(MAGIC) : end])
        if any(head.get(k) != v for k, v in identity.items()) or head["byteorder"] != sys.byteorder:
            return None
        if _digest(memoryview(data)[end + 1 :]) != head["digest"]:
            return None  # damaged
        columns: list[array.array[int]] = []
        offset = end + 1
        for (_, code), (hcode, size, n) in zip(layout.columns, head["columns"], strict=True):
            column = array.array(code)
            if hcode != code or size != column.itemsize or n < 0:
                return None
            column.frombytes(data[offset : offset + n * size])
            if len(column) != n:
                return None
            offset += n * size
            columns.append(column)
        if offset != len(data):
            return None
        countries, as_names = head["countries"], head["as_names"]
        if not all(isinstance(x, str) for x in (*countries, *as_names)):
            return None
        return layout.of(list(countries), list(as_names), *columns)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _write(path: Path, identity: dict[str, Any], built: Any, layout: _Layout = _V4) -> None:
    """Write the cache file in one step (a reader sees the old file or the whole new
    one); a cache that cannot be written is only noted in the debug log."""
    body = _body(built, layout)
    head = json.dumps(_header(identity, built, body, layout), ensure_ascii=True).encode("ascii")
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".geo-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + head + b"\n")
            f.write(body)
        Path(tmp).replace(path)
        tmp = None
    except OSError as exc:
        log.debug("geo table not cached in %s: %s", path, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
