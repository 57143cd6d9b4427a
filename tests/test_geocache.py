"""The geo table kept on disk between runs (``enrich/geocache.py``): read back only for
the data file it was built from, array for array the same table, and never in the way
when it is missing, stale, damaged or cannot be written."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import pytest

from kerio_watch.enrich import geocache, geotable
from kerio_watch.enrich.geotable import COLUMNS, Geoip2FastTable


def _data_file(path: Path, names: tuple[str, ...] = ("Example Net", "Other AS")) -> Path:
    """A small data file in geoip2fast's IPv4 country-and-AS layout."""
    countries = ["--:reserved"] * 16 + ["DE:Germany", "FR:France"]
    first = [[0x01020300, 0x05060000], [0x0A000000]]  # 1.2.3.0/24, 5.6.0.0/16, 10/8
    columns = (
        None,
        None,
        countries,
        list(names),
        first,
        [[0x01020000], [0x05060000]],  # AS ranges: 1.2.0.0/16, 5.6.0.0/16
        [[16, 17], [3]],
        [[0], [1]],
        [[24, 16], [8]],
        [[16], [16]],
    )
    with gzip.open(path, "wb") as f:
        pickle.dump((120, {"country": True, "asn": True}, 0, columns), f)
    return path


def _same(a: Geoip2FastTable | None, b: Geoip2FastTable | None) -> None:
    assert a is not None and b is not None
    assert (a.countries, a.as_names) == (b.countries, b.as_names)
    for name, code in COLUMNS:
        assert a.column(name).typecode == code and a.column(name) == b.column(name)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(geocache.CACHE_ENV, str(folder))
    return folder


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_path: Path) -> None:
        raise AssertionError("built again instead of read from the cache")

    monkeypatch.setattr(geocache, "load", fail)


def test_a_second_run_reads_the_same_table_from_the_cache(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _data_file(tmp_path / "geo.dat.gz")
    fresh = geotable.load(source)
    _same(geocache.table(source), fresh)  # built, and written
    assert len(list(cache.iterdir())) == 1
    _no_build(monkeypatch)
    cached = geocache.table(source)
    _same(cached, fresh)
    assert cached is not None
    assert cached.lookup("1.2.3.4") == fresh.lookup("1.2.3.4") == ("DE", "Example Net")  # type: ignore[union-attr]
    assert cached.lookup("5.6.7.8") == ("FR", "Other AS")
    assert cached.lookup("10.1.1.1") == ("", "")  # a reserved range, no AS


def test_the_real_data_file_round_trips(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    geoip2fast = pytest.importorskip("geoip2fast")
    source = Path(geoip2fast.__file__).parent / "geoip2fast-asn.dat.gz"
    fresh = geotable.load(source)
    geocache.table(source)
    _no_build(monkeypatch)
    _same(geocache.table(source), fresh)


def test_a_changed_data_file_is_read_anew(tmp_path: Path, cache: Path) -> None:
    source = _data_file(tmp_path / "geo.dat.gz")
    geocache.table(source)
    _data_file(source, names=("Renamed Net", "Other AS"))
    os.utime(source, ns=(1, 1))  # another modification time, whatever the clock did
    table = geocache.table(source)
    assert table is not None and table.lookup("1.2.3.4") == ("DE", "Renamed Net")


@pytest.mark.parametrize("damage", ["flip", "cut", "junk", "empty"])
def test_a_damaged_cache_file_is_ignored_and_rewritten(
    tmp_path: Path, cache: Path, damage: str
) -> None:
    source = _data_file(tmp_path / "geo.dat.gz")
    fresh = geotable.load(source)
    geocache.table(source)
    (file,) = cache.iterdir()
    data = bytearray(file.read_bytes())
    if damage == "flip":
        data[-3] ^= 0xFF
    elif damage == "cut":
        data = data[:-5]
    elif damage == "junk":
        data = bytearray(b"kerio-watch geo cache\n{not json\n")
    else:
        data = bytearray()
    file.write_bytes(bytes(data))
    _same(geocache.table(source), fresh)
    assert file.read_bytes() != bytes(data)  # written anew


def test_no_cache_when_it_cannot_be_written_or_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _data_file(tmp_path / "geo.dat.gz")
    fresh = geotable.load(source)
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(geocache.CACHE_ENV, str(blocked / "cache"))
    _same(geocache.table(source), fresh)
    monkeypatch.setenv(geocache.CACHE_ENV, "")
    assert geocache.cache_dir() is None
    _same(geocache.table(source), fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "geo.dat.gz"]


def test_the_default_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(geocache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert geocache.cache_dir() == tmp_path / "kerio-watch"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert geocache.cache_dir() == Path.home() / ".cache" / "kerio-watch"


def test_another_layout_is_not_cached(tmp_path: Path, cache: Path) -> None:
    city = tmp_path / "city.dat.gz"
    with gzip.open(city, "wb") as f:
        pickle.dump((120, {"country": False, "city": True, "asn": True}, 0, ()), f)
    assert geocache.table(city) is None
    assert geocache.table(tmp_path / "missing.dat.gz") is None
    assert not cache.exists()
