"""Customer time zones: the data check of the zone field, and each list row's send window.

A customer's zone is the schema's `timezone` field, else the strategy's `timezone`, else none
(docs/data.md, "Time zones and send windows"). A channel's `quiet` hours are local to the
customer: a step dated D on a channel quiet from S to E may be sent from E on D to the next S,
written in UTC (`2026-03-05T01:00:00Z`); a channel without quiet hours gives the whole local day.

Valid zone names are the IANA names both Python's `zoneinfo` (the checker reads the strategy's
zone with it) and DuckDB's ICU know: a small table (`NAMES`) the data is checked against in SQL.
The windows are computed once per (zone, date, channel) with DuckDB's ICU `timezone()`, so DST is
honoured, and joined to the list rows: no conversion per row, and no Python loop over rows. The
lists are written by DuckDB whichever engine assigned the customers, so Spark's lists carry the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

from ..backends.sql import ident, string, typed_null
from ..diagnostics import closest
from ..model import Model, Schema

if TYPE_CHECKING:
    from .data import SQLConnection

# appended to the list rows when the project has a zone (`enabled`)
COLUMNS = ("timezone", "send_from", "send_until")
NAMES = "__zone_names"  # name: every valid zone name
ZONES = "__zones"  # play_order, key, zone: the zone of each listed customer that has one
WINDOWS = "__windows"  # zone, date, channel, send_from, send_until
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def enabled(model: Model) -> bool:
    """Whether the lists carry COLUMNS: the schema has a zone field or the strategy a zone."""
    return zone_field(model.schema) is not None or model.strategy.timezone is not None


def zone_field(schema: Schema | None) -> str | None:
    return schema.timezone_field if schema is not None else None


@functools.cache
def python_names() -> frozenset[str]:
    # `localtime` is the machine's own zone, not a name a customer can carry
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def register_names(con: SQLConnection) -> None:
    """The table NAMES: zone names Python's zoneinfo and DuckDB both know (once per connection)."""
    values = exp.Values(
        expressions=[exp.Tuple(expressions=[string(n)]) for n in sorted(python_names())],
        alias=exp.TableAlias(this=ident("__v"), columns=[ident("name")]),
    )
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {NAMES} AS SELECT name FROM "
        f"{values.sql(dialect='duckdb')} WHERE name IN (SELECT name FROM pg_timezone_names())"
    )


def valid_names(con: SQLConnection) -> list[str]:
    register_names(con)
    return [r[0] for r in con.execute(f"SELECT name FROM {NAMES} ORDER BY name").fetchall()]


# What people write for China's time (the zone of the examples' banks), which no IANA name spells
CHINA = frozenset({"beijing", "peking", "china", "北京", "北京时间", "中国", "中国标准时间"})
# `UTC+8`, `GMT-05:00`, `+08`: a fixed offset in whole hours
OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?00)?", re.IGNORECASE)
# `CST`, `IST`: abbreviations that name several zones (CST: China, and US Central time)
ABBREVIATION = re.compile(r"[A-Z]{2,5}")


def nearest(value: str, names: Sequence[str]) -> str | None:
    """The valid zone a mistyped one most likely meant, else None: the same name in another case
    or with spaces for underscores, a zone of that city (`Shanghai`), China's zone for Beijing,
    the `Etc/GMT…` zone of a whole-hour offset (`UTC+8`: `Etc/GMT-8`, POSIX's sign), a near
    spelling. Never for an abbreviation (`CST` is more than one zone)."""
    wanted = value.strip().replace(" ", "_")
    by_lower = {n.lower(): n for n in names}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    if wanted.lower() in CHINA:
        return "Asia/Shanghai"
    offset = OFFSET.fullmatch(wanted)
    if offset is not None:
        hours = int(offset.group(2))
        name = "UTC" if hours == 0 else f"Etc/GMT{'-' if offset.group(1) == '+' else '+'}{hours}"
        return name if name in names else None
    if ABBREVIATION.fullmatch(wanted):
        return None
    city = wanted.rsplit("/", 1)[-1].lower()
    cities = sorted(n for n in names if n.rsplit("/", 1)[-1].lower() == city)
    if cities:
        return cities[0]
    near = closest(wanted, names) or difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
    return near[0] if near else None


def _hint(value: str, names: Sequence[str]) -> str:
    near = nearest(value, names)
    if near is None:
        if ABBREVIATION.fullmatch(value.strip()):
            return "; an abbreviation can mean several zones: give the region's name"
        return ""
    if near.startswith("Etc/GMT"):  # POSIX: Etc/GMT-8 is 8 hours ahead of UTC
        sign = "+" if near[7] == "-" else "-"
        return f"; did you mean `{near}` (UTC{sign}{near[8:]}: the sign is POSIX's)?"
    return f"; did you mean `{near}`?"


def check_values(con: SQLConnection, view: str, row: str, schema: Schema) -> list[str]:
    """The data check of the zone field on `view` (the file under schema names, its 1-based row
    number in the column `row`): the first value that is not a valid zone, with its row, how many
    rows have one, and the zone it most likely meant. NULL is no problem here (optional or not is
    the NULL check's business): such a customer takes the strategy's zone."""
    name = zone_field(schema)
    if name is None:
        return []
    register_names(con)
    value = f"CAST(__v.{ident(name).sql('duckdb')} AS VARCHAR)"
    r = f"__v.{ident(row).sql('duckdb')}"
    found = con.execute(
        f"SELECT count(*), min({r}), arg_min({value}, {r}) "
        f"FROM {ident(view).sql('duckdb')} AS __v LEFT JOIN {NAMES} AS __n ON __n.name = {value} "
        f"WHERE {value} IS NOT NULL AND __n.name IS NULL"
    ).fetchone()
    assert found is not None  # an aggregate without GROUP BY: always one row
    count, first, bad = found
    if not count:
        return []
    from .data import _printable

    more = f" ({count} rows in all)" if count > 1 else ""
    hint = _hint(bad, valid_names(con))
    return [
        f"column `{name}`: `{_printable(bad)}` in row {first} is not a time zone (an IANA name "
        f"such as `Asia/Shanghai`){more}{hint}"
    ]


def _zone_of(model: Model) -> exp.Expr:
    """The list row's zone: the customer's (ZONES, joined as `__zones`), else the strategy's."""
    default = (
        string(model.strategy.timezone)
        if model.strategy.timezone is not None
        else typed_null("VARCHAR")
    )
    if zone_field(model.schema) is None:
        return default
    own = exp.column("zone", table=ZONES, quoted=True)
    return exp.Coalesce(this=own, expressions=[default]) if model.strategy.timezone else own


def _time(t: dt.time | None) -> exp.Expr:
    return (
        typed_null("TIME")
        if t is None
        else exp.Cast(this=string(t.isoformat()), to=exp.DataType.build("TIME"))
    )


def prepare(con: SQLConnection, model: Model, steps: Sequence[exp.Expr]) -> None:
    """Create ZONES (the listed customers' own zones, from `customers` and `__assigned`) and
    WINDOWS (every zone in use x every dated step's date and channel: the send window in UTC).
    `steps`: the plays' step tables (with the columns `date` and `channel`)."""
    from .data import DataError

    register_names(con)
    strategy_zone = model.strategy.timezone
    if strategy_zone is not None:
        known = con.execute(f"SELECT count(*) FROM {NAMES} WHERE name = ?", [strategy_zone])
        if known.fetchone() == (0,):
            raise DataError(
                f"the strategy's time zone `{strategy_zone}` is not known to DuckDB",
                help="give an IANA zone name DuckDB knows (SELECT name FROM pg_timezone_names())",
            )
    zones: list[str] = []
    field = zone_field(model.schema)
    if field is not None:
        assert model.schema is not None and model.schema.key is not None
        key = ident(model.schema.key).sql("duckdb")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {ZONES} AS SELECT a.play_order, a.key, "
            f"CAST(c.{ident(field).sql('duckdb')} AS VARCHAR) AS zone "
            f"FROM __assigned AS a JOIN customers AS c ON c.{key} = a.key "
            f"WHERE a.kept AND c.{ident(field).sql('duckdb')} IS NOT NULL ORDER BY a.play_order"
        )
        zones.append(f"SELECT DISTINCT zone FROM {ZONES}")
    if strategy_zone is not None:
        zones.append(f"SELECT {string(strategy_zone).sql('duckdb')} AS zone")
    no_time = (None, None)
    quiet = exp.Values(
        expressions=[
            exp.Tuple(expressions=[string(ch.id), *(_time(t) for t in ch.quiet or no_time)])
            for ch in model.channels.values()
        ]
        or [exp.Tuple(expressions=[typed_null("VARCHAR"), _time(None), _time(None)])],
        alias=exp.TableAlias(
            this=exp.to_identifier("q"), columns=[ident(c) for c in ("channel", "q_start", "q_end")]
        ),
    )
    dated = " UNION ".join(
        f"SELECT DISTINCT date, channel FROM {s.sql(dialect='duckdb')}" for s in steps
    )
    local_from = "d.date + COALESCE(q.q_end, TIME '00:00:00')"
    local_until = (
        "CASE WHEN q.q_start IS NULL THEN (d.date + 1) + TIME '00:00:00' "
        "WHEN q.q_start > q.q_end THEN d.date + q.q_start ELSE (d.date + 1) + q.q_start END"
    )

    def utc(local: str) -> str:
        return f"strftime(timezone('UTC', timezone(z.zone, {local})), '{ISO_UTC}')"

    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {WINDOWS} AS SELECT z.zone, d.date, d.channel, "
        f"{utc(local_from)} AS send_from, {utc(local_until)} AS send_until "
        f"FROM ({' UNION '.join(zones) or 'SELECT NULL AS zone WHERE false'}) AS z, "
        f"({dated or 'SELECT NULL::DATE AS date, NULL AS channel WHERE false'}) AS d "
        f"LEFT JOIN {quiet.sql(dialect='duckdb')} ON q.channel = d.channel "
        "WHERE z.zone IS NOT NULL AND d.date IS NOT NULL"
    )


def with_window(
    rows: exp.Select, model: Model, play_order: int, assigned: str, steps: str
) -> exp.Select:
    """`rows` (a play's list rows: `assigned` customers x `steps`) with COLUMNS: the customer's
    zone and the step's send window (empty for a customer without a zone and an undated step)."""
    rows = rows.copy()
    if zone_field(model.schema) is not None:
        rows = rows.join(
            exp.to_table(ZONES),
            on=exp.and_(
                exp.EQ(
                    this=exp.column("play_order", table=ZONES, quoted=True),
                    expression=exp.Literal.number(play_order),
                ),
                exp.EQ(
                    this=exp.column("key", table=ZONES, quoted=True),
                    expression=exp.column("key", table=assigned, quoted=True),
                ),
            ),
            join_type="left",
        )
    zone = _zone_of(model)
    rows = rows.join(
        exp.to_table(WINDOWS),
        on=exp.and_(
            exp.EQ(this=exp.column("zone", table=WINDOWS, quoted=True), expression=zone.copy()),
            exp.EQ(
                this=exp.column("date", table=WINDOWS, quoted=True),
                expression=exp.column("date", table=steps, quoted=True),
            ),
            exp.EQ(
                this=exp.column("channel", table=WINDOWS, quoted=True),
                expression=exp.column("channel", table=steps, quoted=True),
            ),
        ),
        join_type="left",
    )
    return rows.select(
        exp.alias_(zone, "timezone", quoted=True),
        exp.alias_(exp.column("send_from", table=WINDOWS, quoted=True), "send_from", quoted=True),
        exp.alias_(exp.column("send_until", table=WINDOWS, quoted=True), "send_until", quoted=True),
    )
