"""Customer time zones: the zone check of the data and the send window of every list row.

The expected windows are computed here with Python's zoneinfo (a reference independent of the
engine's ICU), for customers in Asia/Shanghai (no DST), Europe/London and America/New_York
(a DST change inside the lists' dates)."""

from __future__ import annotations

import csv
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import write_project

from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.engine import DataError, run_lists
from stratlang.engine import timezones as tz
from stratlang.engine.output import LIST_COLUMNS

# New York moves to summer time on 2026-03-08, London on 2026-03-29 (a 23-hour day)
AS_OF = dt.date(2026, 3, 6)


def project_text(strategy_zone: str | None = "Asia/Shanghai", zone_field: bool = True) -> str:
    zone = f'timezone "{strategy_zone}"' if strategy_zone else ""
    field = "tz    string optional timezone" if zone_field else ""
    return f"""
strategy "T" {{ period 2026-01-01 .. 2026-12-31  locale en  {zone} }}
schema customer {{
  id    string key
  {field}
  score int
}}
objective F1 "Grow" {{ perspective financial  target g "g" >= 5% by 2026-12-31 }}
channel phone "Phone" {{ kind outbound_call  capacity unlimited  quiet 21:00 .. 09:00 }}
channel sms "SMS" {{ kind sms  capacity unlimited }}
channel app "App" {{ kind push  capacity unlimited  quiet 12:00 .. 14:30 }}
script call "c" {{ channel phone  pitch "hi" }}
script text "t" {{ channel sms  pitch "hi"  opt_out "STOP" }}
script note "n" {{ channel app  pitch "hi" }}
event signup "Signed up"
segment all "All" {{ rule score >= 0 }}
segment none "None" {{ rule score < 0 }}
play p "P" {{ segment all  priority 5  control 20%  supports F1
  step 1 phone using call
  step 2 sms   using text after 3d
  step 3 sms   using text after 20d
  step 4 phone using call after 1d
  step 5 app   using note after 1d
  target t "t" >= 1% by 2026-12-31 }}
play ev "E" {{ segment none  when event signup within 5d  priority 1  control 10%  supports F1
  step 1 phone using call
  target t "t" >= 1% by 2026-12-31 }}
"""


ZONES = ["Asia/Shanghai", "Europe/London", "America/New_York", ""]
# the steps of play p: (day after the as-of day, quiet hours of its channel)
STEPS = [
    (0, (dt.time(21), dt.time(9))),
    (3, None),
    (23, None),
    (24, (dt.time(21), dt.time(9))),
    (25, (dt.time(12), dt.time(14, 30))),
]


def make(tmp_path, rows, **kw):
    entry = write_project(tmp_path, {"main.strat": project_text(**kw)})
    res = check_entry(entry)
    errors = [d for d in res.diagnostics if d.severity.name == "ERROR"]
    assert not errors, errors
    data = tmp_path / "customers.csv"
    header = ["id", "tz", "score"] if kw.get("zone_field", True) else ["id", "score"]
    lines = [",".join(header)]
    for i, zone in enumerate(rows):
        lines.append(",".join([f"c{i}", zone, str(i)] if "tz" in header else [f"c{i}", str(i)]))
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return res.model, data, entry


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def utc(local: dt.datetime, zone: str) -> str:
    instant = local.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_window(zone: str, day: dt.date, quiet) -> tuple[str, str]:
    """From the end of the quiet hours on `day` to their next start, local to `zone`; without
    quiet hours the whole local day."""
    start, end = quiet or (dt.time(0), dt.time(0))
    begin = dt.datetime.combine(day, end)
    until_day = day if quiet is not None and start > end else day + dt.timedelta(days=1)
    return utc(begin, zone), utc(dt.datetime.combine(until_day, start), zone)


def test_windows_in_each_customers_zone(tmp_path):
    model, data, _ = make(tmp_path, ZONES)
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    rows = read(tmp_path / "out" / "p.csv")
    assert list(rows[0]) == [*LIST_COLUMNS, "timezone", "send_from", "send_until"]
    assert len(rows) == len(ZONES) * len(STEPS)
    for r in rows:
        own = ZONES[int(r["key"][1:])]
        zone = own or "Asia/Shanghai"  # no zone of their own: the strategy's
        assert r["timezone"] == zone
        day, quiet = STEPS[int(r["step"]) - 1]
        date = AS_OF + dt.timedelta(days=day)
        assert r["date"] == date.isoformat()
        assert (r["send_from"], r["send_until"]) == expected_window(zone, date, quiet), r


def test_dst_changes_move_the_window_in_utc(tmp_path):
    """The same local hours are other UTC hours after the change; the day of the change is 23
    hours long (London, 2026-03-29)."""
    model, data, _ = make(tmp_path, ["Europe/London", "America/New_York"])
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    got = {
        (r["key"], r["step"]): (r["send_from"], r["send_until"])
        for r in read(tmp_path / "out" / "p.csv")
    }
    assert got["c0", "1"] == ("2026-03-06T09:00:00Z", "2026-03-06T21:00:00Z")  # GMT
    assert got["c0", "3"] == ("2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z")  # the short day
    assert got["c0", "4"] == ("2026-03-30T08:00:00Z", "2026-03-30T20:00:00Z")  # BST
    assert got["c1", "1"] == ("2026-03-06T14:00:00Z", "2026-03-07T02:00:00Z")  # EST
    assert got["c1", "2"] == ("2026-03-09T04:00:00Z", "2026-03-10T04:00:00Z")  # EDT
    # quiet hours within the day (12:00 .. 14:30): from 14:30 to 12:00 the next day
    assert got["c1", "5"] == ("2026-03-31T18:30:00Z", "2026-04-01T16:00:00Z")


def test_no_zone_without_a_strategy_zone_leaves_the_window_empty(tmp_path):
    model, data, _ = make(tmp_path, ["", "America/New_York"], strategy_zone=None)
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    rows = read(tmp_path / "out" / "p.csv")
    for r in rows:
        if r["key"] == "c0":
            assert (r["timezone"], r["send_from"], r["send_until"]) == ("", "", "")
        else:
            assert r["timezone"] == "America/New_York" and r["send_from"] and r["send_until"]


def test_strategy_zone_alone_applies_to_everyone(tmp_path):
    model, data, _ = make(tmp_path, ["", ""], zone_field=False)
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    rows = read(tmp_path / "out" / "p.csv")
    assert {r["timezone"] for r in rows} == {"Asia/Shanghai"}
    first = [r for r in rows if r["step"] == "1"]
    assert {(r["send_from"], r["send_until"]) for r in first} == {
        ("2026-03-06T01:00:00Z", "2026-03-06T13:00:00Z")
    }


def test_lists_without_zones_are_unchanged(tmp_path):
    model, data, _ = make(tmp_path, ["", ""], strategy_zone=None, zone_field=False)
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    with open(tmp_path / "out" / "p.csv", encoding="utf-8") as f:
        assert f.readline().strip() == ",".join(LIST_COLUMNS)


def test_undated_steps_keep_the_zone_but_have_no_window(tmp_path):
    """An event trigger's steps have no date: the operational system sends them when the event
    fires, in the customer's zone (written), within the quiet hours it knows."""
    text = project_text().replace(
        "segment none  when event signup within 5d  priority 1",
        "segment all  when event signup within 5d  priority 9",
    )
    model = check_entry(write_project(tmp_path, {"main.strat": text})).model
    data = tmp_path / "customers.csv"
    data.write_text("id,tz,score\nc0,Europe/London,1\nc1,,2\n", encoding="utf-8")
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    rows = read(tmp_path / "out" / "ev.csv")
    assert [(r["key"], r["timezone"]) for r in rows] == [
        ("c0", "Europe/London"),
        ("c1", "Asia/Shanghai"),
    ]
    for r in rows:
        assert (r["date"], r["send_from"], r["send_until"]) == ("", "", "")


def test_each_variant_arm_gets_the_window_of_its_own_channel(tmp_path):
    text = project_text().replace(
        "  step 5 app   using note after 1d\n",
        "  step 5 app   using note after 1d\n"
        '  variant same "Same" 50%\n'
        '  variant call "Call" 50% { step 1 phone using call  step 2 phone using call after 1d }\n',
    )
    res = check_entry(write_project(tmp_path, {"main.strat": text}))
    assert not [d for d in res.diagnostics if d.severity.name == "ERROR"]
    model = res.model
    data = tmp_path / "customers.csv"
    data.write_text(
        "id,tz,score\n" + "".join(f"c{i},Europe/London,{i}\n" for i in range(40)), encoding="utf-8"
    )
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    rows = [r for r in read(tmp_path / "out" / "p.csv") if r["variant"]]
    assert {r["variant"] for r in rows} == {"same", "call"}
    for r in rows:
        date = dt.date.fromisoformat(r["date"])
        if r["variant"] == "call":  # the arm's own steps: two calls
            quiet = (dt.time(21), dt.time(9))
        else:  # the play's steps
            quiet = STEPS[int(r["step"]) - 1][1]
        assert (r["send_from"], r["send_until"]) == expected_window("Europe/London", date, quiet)


def test_parquet_and_xlsx_carry_the_window(tmp_path):
    import duckdb
    from openpyxl import load_workbook

    model, data, _ = make(tmp_path, ["Europe/London"])
    run_lists(model, data, out_dir=tmp_path / "pq", fmt="parquet", as_of=AS_OF)
    got = duckdb.sql(
        f"SELECT timezone, send_from, send_until FROM read_parquet('{tmp_path / 'pq' / 'p.parquet'}') "
        "ORDER BY step"
    ).fetchall()
    assert got[0] == ("Europe/London", "2026-03-06T09:00:00Z", "2026-03-06T21:00:00Z")
    run_lists(model, data, out_dir=tmp_path / "xl", fmt="xlsx", as_of=AS_OF)
    sheet = load_workbook(tmp_path / "xl" / "p.xlsx").active
    values = list(sheet.values)
    assert values[0][-3:] == ("timezone", "send_from", "send_until")
    assert values[1][-3:] == ("Europe/London", "2026-03-06T09:00:00Z", "2026-03-06T21:00:00Z")


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        ("asia/shanghai", "Asia/Shanghai"),
        ("Shanghai", "Asia/Shanghai"),
        ("Europe/Londn", "Europe/London"),
        ("America/New York", "America/New_York"),
        ("Beijing", "Asia/Shanghai"),
        ("UTC+8", "Etc/GMT-8"),
    ],
)
def test_unknown_zone_names_row_column_and_closest(tmp_path, value, meant):
    model, data, _ = make(tmp_path, ["Asia/Shanghai", "", value, value])
    with pytest.raises(DataError) as e:
        run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    msg = str(e.value)
    assert f"column `tz`: `{value}` in row 3" in msg
    assert "(2 rows in all)" in msg
    assert f"did you mean `{meant}`" in msg
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("GMT+8", "did you mean `Etc/GMT-8` (UTC+8: the sign is POSIX's)?"),
        ("UTC-05:00", "did you mean `Etc/GMT+5` (UTC-5: the sign is POSIX's)?"),
        ("UTC+0", "did you mean `UTC`?"),
        ("北京时间", "did you mean `Asia/Shanghai`?"),
        ("CST", "an abbreviation can mean several zones"),  # China, or US Central time
        ("Mars/Olympus_Mons", ""),
    ],
)
def test_hints_for_what_people_write(value, hint):
    import duckdb

    got = tz._hint(value, tz.valid_names(duckdb.connect()))
    assert hint in got and (got == "") == (hint == "")


def test_a_zone_only_duckdb_knows_is_refused(tmp_path):
    """`CTT` is a zone to DuckDB's ICU (a Java-style alias) but not an IANA name: refused, so
    every zone in the lists means the same to zoneinfo (the checker) and the engine."""
    model, data, _ = make(tmp_path, ["CTT"])
    with pytest.raises(DataError, match=r"column `tz`: `CTT` in row 1 is not a time zone"):
        run_lists(model, data, as_of=AS_OF)


def test_valid_names_are_both_engines_names():
    import duckdb

    con = duckdb.connect()
    names = set(tz.valid_names(con))
    duck = {r[0] for r in con.execute("SELECT name FROM pg_timezone_names()").fetchall()}
    assert names == (tz.python_names() & duck)
    assert {"Asia/Shanghai", "Europe/London", "America/New_York", "UTC"} <= names
    assert "localtime" not in names and "CTT" not in names
    tz.register_names(con)  # twice on one connection is fine
    assert len(tz.valid_names(con)) == len(names)


def test_cli_unknown_zone_exits_2_and_writes_nothing(tmp_path):
    _register()
    _, data, entry = make(tmp_path, ["Mars/Olympus_Mons"])
    out = tmp_path / "lists"
    r = CliRunner().invoke(
        main, ["lists", str(entry), "--data", str(data), "-o", str(out), "--as-of", "2026-03-06"]
    )
    assert r.exit_code == 2, r.output
    assert "column `tz`: `Mars/Olympus_Mons` in row 1 is not a time zone" in r.output
    assert not out.exists()


def test_gap_and_overlap_read_in_standard_time():
    """A local time a DST change skips (01:30 on London's spring day) or repeats (01:30 on its
    autumn day) is read in standard time (GMT), as DuckDB's ICU does (docs/data.md)."""
    import duckdb

    con = duckdb.connect()
    q = "SELECT strftime(timezone('UTC', timezone('Europe/London', ?::TIMESTAMP)), '%H:%M')"
    assert con.execute(q, ["2026-03-29 01:30:00"]).fetchone() == ("01:30",)
    assert con.execute(q, ["2026-10-25 01:30:00"]).fetchone() == ("01:30",)


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from stratlang.engine.spark import get_session

    return get_session("local[2]")


def java_zones(spark) -> set[str]:
    return set(spark.sparkContext._jvm.java.time.ZoneId.getAvailableZoneIds())


@pytest.mark.slow
def test_spark_lists_equal_duckdb_bytes(spark, tmp_path):
    """Byte-identical lists, also for a zone Java's time-zone data may not know yet (the
    windows are computed in DuckDB for both engines, so Spark's JDK does not matter)."""
    import duckdb

    newer = sorted(set(tz.valid_names(duckdb.connect())) - java_zones(spark))
    model, data, _ = make(tmp_path, (ZONES + newer[:1]) * 5)
    for fmt in ("csv", "parquet"):
        run_lists(model, data, out_dir=tmp_path / f"d-{fmt}", fmt=fmt, as_of=AS_OF)
        run_lists(
            model,
            data,
            engine="spark",
            spark_session=spark,
            out_dir=tmp_path / f"s-{fmt}",
            fmt=fmt,
            as_of=AS_OF,
        )
        for name in ("p", "ev"):
            a = (tmp_path / f"d-{fmt}" / f"{name}.{fmt}").read_bytes()
            assert a == (tmp_path / f"s-{fmt}" / f"{name}.{fmt}").read_bytes(), (fmt, name)


@pytest.mark.slow
def test_spark_puts_the_windows_at_the_same_instants(spark, tmp_path):
    """Spark's `to_utc_timestamp(local, zone)` of each written window's local start and end
    gives the UTC text DuckDB wrote (Shanghai, London and New York across their DST changes)."""
    model, data, _ = make(tmp_path, ZONES)
    run_lists(model, data, out_dir=tmp_path / "out", as_of=AS_OF)
    rows = [r for r in read(tmp_path / "out" / "p.csv") if r["timezone"]]
    local = []
    for r in rows:
        day, quiet = STEPS[int(r["step"]) - 1]
        start, end = quiet or (dt.time(0), dt.time(0))
        date = dt.date.fromisoformat(r["date"])
        until = date if quiet is not None and start > end else date + dt.timedelta(days=1)
        local.append(
            (
                r["timezone"],
                dt.datetime.combine(date, end).isoformat(sep=" "),
                dt.datetime.combine(until, start).isoformat(sep=" "),
                r["send_from"],
                r["send_until"],
            )
        )
    fmt = "yyyy-MM-dd'T'HH:mm:ss'Z'"
    got = (
        spark.createDataFrame(local, "zone string, a string, b string, f string, u string")
        .selectExpr(
            f'date_format(to_utc_timestamp(to_timestamp(a), zone), "{fmt}") = f AS same_from',
            f'date_format(to_utc_timestamp(to_timestamp(b), zone), "{fmt}") = u AS same_until',
        )
        .collect()
    )
    assert got and all(r.same_from and r.same_until for r in got)
