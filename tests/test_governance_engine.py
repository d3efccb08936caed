"""The lists obey contact governance (issue 14): the global holdout, consent, variants and the
contact limits with a contact log. Property tests on generated projects, customers and logs
against a pure-Python reference of the same semantics (docs/governance.md, docs/data.md): a
violation is a defect."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_project

from stratlang.backends.sql import bucket_of, plan, render_sql
from stratlang.check import check_entry
from stratlang.cli import _register, main
from stratlang.diagnostics import Severity
from stratlang.engine import DataError, run_lists

AS_OF = dt.date(2026, 3, 1)

HEAD = """
strategy "T" {{ owner "Ops"  period 2026-01-01 .. 2026-12-31  locale en{holdout} }}
schema customer {{
  id      string key
  age     int
  sms_ok  bool optional
  call_ok bool optional
}}
objective F1 "Grow" {{ perspective financial  target g "g" >= 5% by 2026-12-31 }}
offer fund "Fund" {{ kind product }}
offer gift "Gift" {{ kind benefit }}
channel sms "SMS" {{ kind sms }}
channel app "App" {{ kind push }}
channel phone "Phone" {{ kind outbound_call }}
script s_sms "s" {{ channel sms  pitch "hi"  opt_out "TD" }}
script s_app "a" {{ channel app  pitch "hi" }}
script s_phone "p" {{ channel phone  pitch "hi" }}
"""
SCRIPTS = {"sms": "s_sms", "app": "s_app", "phone": "s_phone"}
KINDS = {"sms": "sms", "app": "push", "phone": "outbound_call"}


# --------------------------------------------------------------------------- generation


def _steps(rng: random.Random, n: int) -> list[tuple[str, int]]:
    """(channel, days after the previous step) for n steps."""
    return [
        (rng.choice(list(SCRIPTS)), 0 if i == 0 else rng.choice([0, 1, 2, 3, 5])) for i in range(n)
    ]


def _step_lines(steps: list[tuple[str, int]]) -> str:
    out = []
    for i, (ch, after) in enumerate(steps):
        delay = f" after {after}d" if i and after else ""
        out.append(f"step {i + 1} {ch} using {SCRIPTS[ch]}{delay}")
    return "  ".join(out)


def generate(seed: int) -> tuple[str, dict]:
    """A project text with holdout, a policy (2 limits, 2 consents), variants; and its shape."""
    rng = random.Random(seed)
    holdout = rng.choice([0, 3, 8, 15])
    limits = [(rng.randint(2, 4), rng.randint(3, 7), ()), (1, 1, ("outbound_call",))]
    text = HEAD.format(holdout=f"  holdout {holdout}%" if holdout else "")
    text += 'policy rules "R" {\n'
    for count, days, on in limits:
        text += f"  at most {count} per {days}d" + (f" on {', '.join(on)}" if on else "") + "\n"
    text += "  consent sms_ok on sms\n  consent call_ok on outbound_call\n}\n"
    plays = []
    for i in range(rng.randint(3, 5)):
        low = rng.randint(18, 50)
        high = low + rng.randint(10, 40)
        text += f'segment g{i} "G{i}" {{ rule age >= {low} and age < {high} }}\n'
        steps = _steps(rng, rng.randint(1, 3))
        variants = []
        if rng.random() < 0.5:
            k = rng.randint(2, 3)
            cuts = sorted(rng.sample(range(5, 100, 5), k - 1))
            shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100])]
            for j, share in enumerate(shares):
                own = _steps(rng, rng.randint(1, 2)) if rng.random() < 0.5 else None
                offer = "gift" if rng.random() < 0.3 else None
                variants.append((f"v{j}", share, own, offer))
        control = rng.choice([0, 10, 20])
        prio = rng.randint(1, 3)
        body = f"segment g{i}  offer fund  {_step_lines(steps)}  supports F1  priority {prio}"
        body += f"  control {control}%" if control else ""
        for vid, share, own, offer in variants:
            inner = []
            if offer:
                inner.append(f"offer {offer}")
            if own:
                inner.append(_step_lines(own))
            block = " { " + "  ".join(inner) + " }" if inner else ""
            body += f'\n  variant {vid} "{vid}" {share}%{block}'
        text += f'play p{i} "P{i}" {{\n  {body}\n  allow GOV702, GOV703\n}}\n'
        plays.append(f"p{i}")
    return text, {"holdout": holdout, "limits": limits, "plays": plays}


def customers(path: Path, seed: int, n: int = 600) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        f.write("id,age,sms_ok,call_ok\n")
        for i in range(n):
            b = ["true", "true", "false", ""]
            f.write(f"c{i},{rng.randint(16, 90)},{rng.choice(b)},{rng.choice(b)}\n")


def contact_log(path: Path, seed: int, n: int = 1500, keys: int = 650) -> None:
    """Rows around the as-of day (past contacts and steps already scheduled by earlier waves),
    some control rows, some without a date, some keys of no customer."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        f.write("key,channel,date,control\n")
        for _ in range(n):
            day = AS_OF + dt.timedelta(days=rng.randint(-9, 9))
            date = "" if rng.random() < 0.05 else day.isoformat()
            ctl = rng.choice(["true", "false", "false", "false", ""])
            f.write(f"c{rng.randrange(keys)},{rng.choice(list(SCRIPTS))},{date},{ctl}\n")


def _checked(tmp_path: Path, text: str):
    entry = write_project(tmp_path, {"main.strat": text})
    res = check_entry(entry)
    return res.model, [d for d in res.diagnostics if d.severity == Severity.ERROR]


def _lists_cli(tmp_path: Path, data: Path, log: Path | None = None):
    """`stratlang lists` on the project in tmp_path (output tmp_path/o, as of AS_OF)."""
    _register()
    args = ["lists", str(tmp_path / "main.strat"), "--data", str(data), "-o", str(tmp_path / "o")]
    args += ["--as-of", AS_OF.isoformat()] + (["--contacts", str(log)] if log else [])
    return CliRunner().invoke(main, args)


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- the reference


def _truth(v: str) -> bool:
    return v.strip().lower() == "true"


def reference(model, text: str, rows: list[dict], log: list[dict]) -> dict[str, dict]:
    """key -> {play, held, control, arm, dropped_from} by the documented semantics, in Python."""
    plans = [p for p in plan(model, AS_OF) if p.arm_order == 0]
    limits = [(lim, model.limit_channels(lim)) for _, lim in model.limits()]
    logged: dict[str, list[tuple[dt.date, str]]] = {}
    for r in log:
        if r["date"] and not _truth(r.get("control") or ""):
            logged.setdefault(r["key"], []).append((dt.date.fromisoformat(r["date"]), r["channel"]))
    bounds = bounds_of(text)
    bp = round((model.strategy.holdout or 0) * 100)
    seed = f"holdout:{model.strategy.holdout_seed}"

    def arm_of(play, key):
        if not play.variants:
            return None
        b, total = bucket_of(key, f"variant:{play.id}"), 0.0
        for i, v in enumerate(play.variants):
            total += v.share
            if i == len(play.variants) - 1 or b < round(total * 100):
                return v

    def fits(play, key) -> bool:
        if key not in logged:
            return True
        arm = arm_of(play, key)
        sched = [
            (AS_OF + dt.timedelta(days=math.floor(d)), s.channel)
            for s, d in zip(play.steps_of(arm), play.step_days(arm))
        ]
        for lim, chans in limits:
            w = max(1, math.ceil(lim.days))
            mine = [d for d, c in sched if c in chans]
            theirs = [d for d, c in logged[key] if c in chans]
            for d in mine:
                for start in range(-w + 1, 1):
                    lo = d + dt.timedelta(days=start)
                    hi = lo + dt.timedelta(days=w - 1)
                    n = sum(lo <= x <= hi for x in mine + theirs)
                    if n > lim.count:
                        return False
        return True

    def eligible(play, r) -> bool:
        low, high = bounds[play.segment]
        if not low <= int(r["age"]) < high:
            return False
        for ch in play.channels():
            for f in model.consent_fields(ch):
                if not _truth(r[f]):
                    return False
        return True

    out: dict[str, dict] = {}
    for r in rows:
        key = r["id"]
        first = got = None
        for p in plans:
            play = model.plays[p.id]
            if not eligible(play, r):
                continue
            first = first or play
            if fits(play, key):
                got = play
                break
        if first is None:
            continue
        held = bucket_of(key, seed) < bp if bp else False
        entry = {"held": held, "dropped_from": first.id if got is not first else None}
        if got is not None:
            arm = arm_of(got, key)
            control = not held and bucket_of(key, got.id) < round((got.control or 0) * 100)
            entry.update(play=got.id, control=control, arm=arm.id if arm else None)
        out[key] = entry
    return out


def bounds_of(text: str) -> dict[str, tuple[int, int]]:
    """Segment id -> (low, high) of the generated rules `age >= low [and age < high]`."""
    import re

    found = re.findall(r"segment (\w+) .*?rule age >= (\d+)(?: and age < (\d+))?", text)
    return {sid: (int(low), int(high or 10**6)) for sid, low, high in found}


# --------------------------------------------------------------------------- property tests


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_lists_obey_holdout_consent_and_limits(tmp_path, seed):
    for attempt in range(30):  # a schedule that breaks a limit on its own (GOV701): redraw
        text, shape = generate(seed * 100 + attempt)
        model, errors = _checked(tmp_path, text)
        if not errors:
            break
        assert all(d.code == "GOV701" for d in errors), errors
    assert not errors
    data, log = tmp_path / "c.csv", tmp_path / "log.csv"
    customers(data, seed)
    contact_log(log, seed + 100)
    out = tmp_path / "out"
    s = run_lists(model, data, out_dir=out, as_of=AS_OF, contacts=log)
    rows = {r["id"]: r for r in _read(data)}
    log_rows = _read(log)
    ref = reference(model, text, list(rows.values()), log_rows)

    listed: dict[str, list[dict]] = {}
    for p in shape["plays"]:
        for r in _read(out / f"{p}.csv"):
            listed.setdefault(r["key"], []).append(r)
    held = {r["key"]: r["play"] for r in _read(out / "holdout.csv")} if shape["holdout"] else {}

    # the invariants, read off the files alone
    bp = shape["holdout"] * 100
    for key, got in listed.items():
        assert not (bp and bucket_of(key, "holdout:holdout") < bp), f"held-out {key} listed"
        assert len({r["play"] for r in got}) == 1, f"{key} in two plays"
        play = model.plays[got[0]["play"]]
        for ch in play.channels():
            for f in model.consent_fields(ch):
                assert _truth(rows[key][f]), f"{key} lacks {f} for {play.id}"
    logged: dict[str, list[tuple[dt.date, str]]] = {}
    for r in log_rows:
        if r["date"] and not _truth(r["control"]):
            logged.setdefault(r["key"], []).append((dt.date.fromisoformat(r["date"]), r["channel"]))
    for key, got in listed.items():
        mine = [
            (dt.date.fromisoformat(r["date"]), r["channel"]) for r in got if r["control"] == "false"
        ]
        for _, lim in model.limits():
            chans = model.limit_channels(lim)
            w = max(1, math.ceil(lim.days))
            every = [d for d, c in mine + logged.get(key, []) if c in chans]
            for d, c in mine:
                if c not in chans:
                    continue
                for start in range(-w + 1, 1):
                    lo = d + dt.timedelta(days=start)
                    n = sum(lo <= x <= lo + dt.timedelta(days=w - 1) for x in every)
                    assert n <= lim.count, f"{key}: {n} contacts in {w}d around {d} ({lim.text})"

    # the exact assignment against the reference (so nobody whose first play fits is dropped)
    expect_listed = {k: v for k, v in ref.items() if not v["held"] and v.get("play")}
    assert set(listed) == set(expect_listed)
    for key, v in expect_listed.items():
        got = listed[key]
        assert got[0]["play"] == v["play"], key
        assert (got[0]["control"] == "true") == v["control"], key
        want_variant = v["arm"] if v["arm"] and not v["control"] else ""
        assert {r.get("variant", "") for r in got} <= {want_variant}, key
        play = model.plays[v["play"]]
        arm = next((a for a in play.variants if a.id == v["arm"]), None)
        assert [r["script"] for r in got] == [st.script for st in play.steps_of(arm)]
    expect_held = {k: v.get("play") for k, v in ref.items() if v["held"] and v.get("play")}
    assert held == expect_held
    summary = json.loads((out / "summary.json").read_text())
    dropped: dict[str, int] = {}
    for v in ref.values():
        if v["dropped_from"] and not v["held"]:
            dropped[v["dropped_from"]] = dropped.get(v["dropped_from"], 0) + 1
    assert summary["dropped_by_policy"] == sum(dropped.values()) == s.dropped_by_policy
    assert {
        p: d["dropped_by_policy"] for p, d in summary["plays"].items() if d["dropped_by_policy"]
    } == dropped
    if shape["holdout"]:
        assert summary["holdout"]["customers"] == len(expect_held)
    assert summary["contacts"]["unknown_keys"] == sum(1 for r in log_rows if r["key"] not in rows)


# --------------------------------------------------------------------------- focused cases

FIXED = (
    HEAD.format(holdout='  holdout 10%  holdout_seed "fy"')
    + """
policy rules "R" {
  at most 2 per 7d
  at most 1 per 1d on outbound_call
  consent sms_ok on sms
  consent call_ok on outbound_call
}
segment all "All" { rule age >= 0 }
play first "First" {
  segment all  offer fund  step 1 sms using s_sms  step 2 app using s_app after 2d
  supports F1  priority 2  control 10%
  variant a "A" 60%
  variant b "B" 40% { offer gift  step 1 phone using s_phone }
  allow GOV702, GOV703
}
play second "Second" {
  segment all  offer fund  step 1 app using s_app  supports F1  priority 1
  allow GOV702, GOV703
}
"""
)


@pytest.fixture
def fixed(tmp_path):
    model, errors = _checked(tmp_path, FIXED)
    assert not errors, errors
    data = tmp_path / "c.csv"
    customers(data, 7, 400)
    return model, data


def test_holdout_file_and_summary(tmp_path, fixed):
    model, data = fixed
    s = run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF)
    held = _read(tmp_path / "o" / "holdout.csv")
    assert held and list(held[0]) == ["key", "play"]
    assert [r["key"] for r in held] == sorted(r["key"] for r in held)
    for r in held:
        assert bucket_of(r["key"], "holdout:fy") < 1000
    assert s.holdout["seed"] == "fy" and s.holdout["share"] == 10
    assert s.holdout["customers"] == len(held) == sum(s.holdout["plays"].values())
    listed = {r["key"] for p in ("first", "second") for r in _read(tmp_path / "o" / f"{p}.csv")}
    assert not listed & {r["key"] for r in held}
    assert "holdout.csv" in s.files


def test_holdout_is_independent_of_the_control_hash():
    keys = [f"c{i}" for i in range(20000)]
    both = sum(bucket_of(k, "holdout:holdout") < 1000 and bucket_of(k, "p") < 1000 for k in keys)
    assert 120 < both < 280  # about 1% of 20000 when independent


def test_variants_column_steps_and_counts(tmp_path, fixed):
    model, data = fixed
    s = run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF)
    rows = _read(tmp_path / "o" / "first.csv")
    assert list(rows[0])[-1] == "variant"
    by_key: dict[str, list[dict]] = {}
    for r in rows:
        by_key.setdefault(r["key"], []).append(r)
    n = {"a": 0, "b": 0}
    for key, got in by_key.items():
        arm = "a" if bucket_of(key, "variant:first") < 6000 else "b"
        if got[0]["control"] == "true":
            assert {r["variant"] for r in got} == {""}
        else:
            assert {r["variant"] for r in got} == {arm}
            n[arm] += 1
        want = ["s_sms", "s_app"] if arm == "a" else ["s_phone"]
        assert [r["script"] for r in got] == want
        if arm == "b":
            assert got[0]["offer"] == "gift"
    assert s.plays["first"]["variants"] == n
    assert {r["variant"] for r in _read(tmp_path / "o" / "second.csv")} == {""}


def test_consent_missing_or_false_falls_to_the_next_play(tmp_path, fixed):
    model, data = fixed
    run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF)
    rows = {r["id"]: r for r in _read(data)}
    first = {r["key"] for r in _read(tmp_path / "o" / "first.csv")}
    second = {r["key"] for r in _read(tmp_path / "o" / "second.csv")}
    for key in first:  # every arm's channels: sms and phone
        assert _truth(rows[key]["sms_ok"]) and _truth(rows[key]["call_ok"])
    assert second  # customers without consent for `first` fall to `second` (app: no consent)
    for key in second:
        assert not (_truth(rows[key]["sms_ok"]) and _truth(rows[key]["call_ok"]))


def test_no_log_warns_once_and_lists_as_the_schedule_allows(tmp_path, fixed):
    model, data = fixed
    r = _lists_cli(tmp_path, data)
    assert r.exit_code == 0, r.output
    assert r.stderr.count("no contact log was given") == 1
    assert "customers held out (10%, seed `fy`)" in r.stderr
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["dropped_by_policy"] == 0 and "contacts" not in s


def test_contact_log_limits_and_cli(tmp_path, fixed):
    model, data = fixed
    log = tmp_path / "log.csv"
    # c1: an sms yesterday and one tomorrow -> `first` arm a (sms day 0, app day 2) breaks 2 per 7d
    log.write_text(
        "key,channel,date,control\n"
        "c1,sms,2026-02-28,false\nc1,sms,2026-03-02,\n"
        "c2,sms,2026-02-28,true\nc2,sms,2026-03-02,true\n"  # control rows: not contacts
        "c3,sms,,false\nc3,sms,,false\n"  # undated rows: not contacts
        "nobody,sms,2026-03-01,false\n",
        encoding="utf-8",
    )
    r = _lists_cli(tmp_path, data, log)
    assert r.exit_code == 0, r.output
    assert "no contact log" not in r.stderr
    assert "1 of 7 rows belong to no customer" in r.stderr
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["contacts"] == {
        "file": "log.csv",  # relative to the project root (tmp_path), as in every output
        "rows": 7,
        "contacts": 3,
        "unknown_keys": 1,
        "example_unknown_key": "nobody",
    }
    ref = reference(model, FIXED, _read(data), _read(log))
    for key in ("c1", "c2", "c3"):
        v = ref.get(key)
        where = {
            p
            for p in ("first", "second")
            for x in _read(tmp_path / "o" / f"{p}.csv")
            if x["key"] == key
        }
        assert where == ({v["play"]} if v and v.get("play") and not v["held"] else set()), key


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "key,channel,date\nc1,smss,2026-03-01\n",
            ["column `channel`", "`smss` in row 1", "`sms`"],
        ),
        ("key,channel,date\nc1,sms,2026-02-30\nc2,sms,x\n", ["column `date`", "row 1", "2 rows"]),
        ("key,channel\nc1,sms\n", ["missing column `date`"]),
        ("key,channel,date,control\nc1,sms,2026-03-01,maybe\n", ["column `control`", "row 1"]),
    ],
)
def test_bad_contact_logs_are_refused_with_nothing_written(tmp_path, fixed, text, words):
    model, data = fixed
    log = tmp_path / "log.csv"
    log.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as e:
        run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF, contacts=log)
    shown = " ".join(e.value.problems)
    for w in words:
        assert w in shown, shown
    assert "contact log" in str(e.value)
    assert not (tmp_path / "o").exists()


def test_bad_log_cli_exit_code(tmp_path, fixed):
    _, data = fixed
    log = tmp_path / "log.csv"
    log.write_text("key,channel,date\nc1,fax,2026-03-01\n", encoding="utf-8")
    r = _lists_cli(tmp_path, data, log)
    assert r.exit_code == 2 and "`fax` in row 1" in r.output + r.stderr
    assert not (tmp_path / "o").exists()


def test_sql_shows_the_assignment_without_the_log(tmp_path, fixed):
    model, _ = fixed
    sql = render_sql(model, "duckdb")
    assert "-- contact limits: enforced by `lists --contacts FILE`" in sql
    assert "__fit" not in sql and "holdout:fy" in sql and "variant:first" in sql
    for dialect in ("spark", "postgres", "trino", "bigquery", "snowflake"):
        render_sql(model, dialect)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 5])
def test_spark_lists_equal_duckdb_with_governance(tmp_path, seed):
    """Holdout, consent, variants and the contact log's limits: the same files from Spark."""
    from stratlang.engine.spark import get_session

    for attempt in range(30):
        text, _ = generate(seed * 100 + attempt)
        model, errors = _checked(tmp_path, text)
        if not errors:
            break
    assert not errors
    data, log = tmp_path / "c.csv", tmp_path / "log.csv"
    customers(data, seed)
    contact_log(log, seed + 100)
    a = run_lists(model, data, out_dir=tmp_path / "d", as_of=AS_OF, contacts=log)
    b = run_lists(
        model,
        data,
        engine="spark",
        out_dir=tmp_path / "s",
        as_of=AS_OF,
        contacts=log,
        spark_session=get_session("local[2]"),
    )
    assert a.dropped_by_policy and a.dropped_by_policy == b.dropped_by_policy
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "s").iterdir())
    for n in names:
        assert (tmp_path / "d" / n).read_bytes() == (tmp_path / "s" / n).read_bytes(), n


@pytest.mark.parametrize("dialect", ["duckdb", None])
def test_holdout_and_variant_buckets_in_sql_equal_python(dialect):
    """Both forms of the hash (DuckDB's cast, the portable one every other dialect runs)."""
    import duckdb

    from stratlang.backends.sql import _bucket, col

    keys = [f"c{i}" for i in range(300)] + ["", "客户-7", "a|b"]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(k,) for k in keys])
    for text in ("holdout:fy2026", "variant:spring_push"):
        q = f"SELECT k, {_bucket(col('k'), text, dialect).sql('duckdb')} FROM t"
        assert dict(con.execute(q).fetchall()) == {k: bucket_of(k, text) for k in keys}


def test_a_parquet_log_and_an_earlier_lists_file_are_logs(tmp_path, fixed):
    """The lists' own CSV (key, …, date, channel, …, control) is a valid log; Parquet too."""
    import duckdb

    model, data = fixed
    first = run_lists(model, data, out_dir=tmp_path / "w1", as_of=AS_OF)
    earlier = tmp_path / "w1" / "first.csv"
    again = run_lists(model, data, out_dir=tmp_path / "w2", as_of=AS_OF, contacts=earlier)
    # the same wave again: every listed customer of `first` already has its contacts
    assert again.contacts["contacts"] == sum(1 for r in _read(earlier) if r["control"] == "false")
    assert (
        again.dropped_by_policy and again.plays["first"]["listed"] < first.plays["first"]["listed"]
    )
    pq = tmp_path / "log.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv_auto('{earlier.as_posix()}')) TO '{pq.as_posix()}' (FORMAT parquet)"
    )
    from_pq = run_lists(model, data, out_dir=tmp_path / "w3", as_of=AS_OF, contacts=pq)
    assert from_pq.dropped_by_policy == again.dropped_by_policy
    for p in ("first", "second"):
        assert (tmp_path / "w2" / f"{p}.csv").read_bytes() == (
            tmp_path / "w3" / f"{p}.csv"
        ).read_bytes()


def test_build_passes_the_contact_log_to_the_lists(tmp_path, fixed):
    model, data = fixed
    log = tmp_path / "log.csv"
    log.write_text("key,channel,date\nc1,sms,2026-02-28\nc1,sms,2026-03-02\n", encoding="utf-8")
    _register()
    entry = str(tmp_path / "main.strat")
    args = ["build", entry, "-o", str(tmp_path / "b"), "--data", str(data), "--as-of", "2026-03-01"]
    r = CliRunner().invoke(main, [*args, "--contacts", str(log)])
    assert r.exit_code == 0, r.output
    assert "no contact log" not in r.stderr
    direct = run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF, contacts=log)
    for p in ("first", "second"):
        assert (tmp_path / "b" / "lists" / f"{p}.csv").read_bytes() == (
            tmp_path / "o" / f"{p}.csv"
        ).read_bytes()
    assert direct.contacts["contacts"] == 2
    r = CliRunner().invoke(
        main, ["build", entry, "-o", str(tmp_path / "c"), "--contacts", str(log)]
    )
    assert r.exit_code == 2 and "--contacts needs --data" in r.output + r.stderr


def test_capacity_is_charged_to_each_arms_first_channel(tmp_path):
    """Arm `b` calls (phone: 2 a day over a 10-day window = 20 customers); arm `a` texts
    (unlimited): only arm b's treated customers are cut, the lowest hashes kept."""
    import hashlib

    text = (
        HEAD.format(holdout="")
        .replace("period 2026-01-01 .. 2026-12-31", "period 2026-03-01 .. 2026-03-10")
        .replace(
            'channel phone "Phone" { kind outbound_call }',
            'channel phone "Phone" { kind outbound_call  capacity 2 per day }',
        )
        + """
segment all "All" { rule age >= 0 }
play p "P" {
  segment all  offer fund  step 1 sms using s_sms  supports F1  control 10%
  variant a "A" 50%
  variant b "B" 50% { step 1 phone using s_phone }
}
"""
    ).replace('target g "g" >= 5% by 2026-12-31', 'target g "g" >= 5% by 2026-03-10')
    model, errors = _checked(tmp_path, text)
    assert not errors, errors
    data = tmp_path / "c.csv"
    customers(data, 3, 300)
    s = run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF)
    rows = _read(tmp_path / "o" / "p.csv")
    treated = {"a": [], "b": []}
    for i in range(300):
        key = f"c{i}"
        if bucket_of(key, "p") >= 1000:
            treated["a" if bucket_of(key, "variant:p") < 5000 else "b"].append(key)
    h = {k: int(hashlib.md5(f"{k}|p".encode()).hexdigest()[:8], 16) for k in treated["b"]}
    kept_b = sorted(treated["b"], key=lambda k: (h[k], k))[:20]
    listed = {r["variant"]: set() for r in rows}
    for r in rows:
        listed[r["variant"]].add(r["key"])
    assert listed["a"] == set(treated["a"])
    assert listed["b"] == set(kept_b)
    assert s.plays["p"]["dropped_by_capacity"] == len(treated["b"]) - 20
    assert s.plays["p"]["variants"] == {"a": len(treated["a"]), "b": 20}
    phone, sms = s.channels["phone"], s.channels["sms"]
    assert (phone["contacted"], phone["dropped_by_capacity"]) == (20, len(treated["b"]) - 20)
    assert (sms["contacted"], sms["dropped_by_capacity"]) == (len(treated["a"]), 0)
    assert phone["plays"] == sms["plays"] == ["p"]


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_holdout_file_in_the_lists_format(tmp_path, fixed, fmt):
    import duckdb

    model, data = fixed
    s = run_lists(model, data, out_dir=tmp_path / "o", as_of=AS_OF, fmt=fmt)
    assert f"holdout.{fmt}" in s.files
    if fmt == "parquet":
        got = (
            duckdb.connect()
            .execute(f"SELECT key, play FROM '{(tmp_path / 'o' / 'holdout.parquet').as_posix()}'")
            .fetchall()
        )
    else:
        from openpyxl import load_workbook

        rows = list(load_workbook(tmp_path / "o" / "holdout.xlsx").active.values)
        assert rows[0] == ("key", "play")
        got = [tuple(r) for r in rows[1:]]
    assert len(got) == s.holdout["customers"] and got == sorted(got)


def test_a_folder_of_earlier_lists_and_several_logs(tmp_path, fixed):
    """`--contacts FOLDER` reads every list file of an earlier run (not holdout.csv); several
    logs add up: the folder gives the same assignment as its list files given one by one."""
    model, data = fixed
    run_lists(model, data, out_dir=tmp_path / "w1", as_of=AS_OF)
    files = [tmp_path / "w1" / "first.csv", tmp_path / "w1" / "second.csv"]
    by_folder = run_lists(
        model, data, out_dir=tmp_path / "a", as_of=AS_OF, contacts=tmp_path / "w1"
    )
    by_files = run_lists(model, data, out_dir=tmp_path / "b", as_of=AS_OF, contacts=files)
    assert by_folder.contacts["files"] == [str(f) for f in files]  # holdout.csv is no list
    want = sum(1 for f in files for r in _read(f) if r["control"] == "false")
    assert by_folder.contacts["contacts"] == by_files.contacts["contacts"] == want
    for p in ("first", "second"):
        assert (tmp_path / "a" / f"{p}.csv").read_bytes() == (
            tmp_path / "b" / f"{p}.csv"
        ).read_bytes()
    only_first = run_lists(model, data, out_dir=tmp_path / "c", as_of=AS_OF, contacts=files[:1])
    assert by_files.dropped_by_policy >= only_first.dropped_by_policy
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="folder without list files"):
        run_lists(model, data, out_dir=tmp_path / "d", as_of=AS_OF, contacts=empty)
    assert not (tmp_path / "d").exists()


def test_a_key_the_csv_lists_guarded_is_read_back_unguarded(tmp_path):
    """A key that starts like a formula is written `'=k1` in a CSV list; fed back as the log it
    names the same customer (its limits are kept), not an unknown key."""
    model, errors = _checked(tmp_path, FIXED)
    assert not errors
    data = tmp_path / "c.csv"
    customers(data, 7, 60)
    text = data.read_text(encoding="utf-8").replace("\nc1,", "\n=c1,", 1)
    data.write_text(text, encoding="utf-8")
    first = run_lists(model, data, out_dir=tmp_path / "w1", as_of=AS_OF)
    lists = [tmp_path / "w1" / f"{p}.csv" for p in ("first", "second")]
    guarded = [r for f in lists for r in _read(f) if r["key"].startswith("'=")]
    assert guarded, "the customer `=c1` is listed, with its key guarded"
    again = run_lists(model, data, out_dir=tmp_path / "w2", as_of=AS_OF, contacts=lists)
    assert again.contacts["unknown_keys"] == 0
    assert first.plays and again.dropped_by_policy > 0
