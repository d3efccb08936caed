"""Property: the solver's verdicts agree with brute-force evaluation, and its witnesses reproduce.

Random pairs of rules over a small schema (int, enum, bool, optional money, string). The brute
force tries every combination of boundary values of the fields the rules use (each literal, ±1,
±0.5 and midpoints for money, NULL for the optional field, one string no rule mentions), which is
complete for this rule language: each test only distinguishes values by their position relative to
the literals.
"""

from __future__ import annotations

import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratlang import parse_text
from stratlang.check.evaluator import evaluate
from stratlang.check.solver import NT, Compiled, Space, T, overlap_env
from stratlang.check.types import normalize
from stratlang.model import Field, Schema

FIELDS = {
    "i": Field("i", "int"),
    "e": Field("e", "enum", ("A", "B", "C")),
    "b": Field("b", "bool"),
    "m": Field("m", "money", optional=True),
    "s": Field("s", "string"),
}
SCHEMA = Schema("customer", "customer", FIELDS, None, None)
SPACE = Space(SCHEMA)

OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
INT = st.integers(0, 3)
MONEY = st.sampled_from(["0", "1", "1.5", "2", "3"])
ENUM = st.sampled_from(["A", "B", "C"])
STR = st.sampled_from(['"a"', '"b"', '"c"'])


def lst(strat):
    return st.lists(strat, min_size=1, max_size=3).map(
        lambda xs: "[" + ", ".join(map(str, xs)) + "]"
    )


TEST = st.one_of(
    st.tuples(OPS, INT).map(lambda t: f"i {t[0]} {t[1]}"),
    st.tuples(INT, INT).map(lambda t: f"i between {t[0]} and {t[1]}"),
    st.tuples(st.sampled_from(["in", "not in"]), lst(INT)).map(lambda t: f"i {t[0]} {t[1]}"),
    st.tuples(OPS, ENUM).map(lambda t: f"e {t[0]} {t[1]}"),
    st.tuples(st.sampled_from(["in", "not in"]), lst(ENUM)).map(lambda t: f"e {t[0]} {t[1]}"),
    st.sampled_from(["b", "b = true", "b = false", "b != true"]),
    st.tuples(OPS, MONEY).map(lambda t: f"m {t[0]} {t[1]}"),
    st.tuples(MONEY, MONEY).map(lambda t: f"m between {t[0]} and {t[1]}"),
    st.sampled_from(["m is missing", "m is present"]),
    st.tuples(OPS.filter(lambda o: o in ("=", "!=")), STR).map(lambda t: f"s {t[0]} {t[1]}"),
    st.tuples(st.sampled_from(["in", "not in"]), lst(STR)).map(lambda t: f"s {t[0]} {t[1]}"),
)

RULE = st.recursive(
    TEST,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]} and {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} or {t[1]})"),
        inner.map(lambda x: f"not ({x})"),
    ),
    max_leaves=4,
)


def parse_rule(text):
    f, errs = parse_text(f"segment s {{ rule {text} }}", "p.strat")
    assert not errs, (text, errs)
    n, diags = normalize(f.decls[0].items[0].value, SCHEMA)
    assert n is not None, (text, diags)
    return n


def candidates(texts):
    src = " ".join(texts)
    ints = (
        {
            int(x)
            for x in re.findall(r"\bi (?:[=!<>]+|between|in|not in) \[?([\d, ]+)", src)
            for x in re.findall(r"\d+", x)
        }
        if "i " in src
        else set()
    )
    ints |= {int(x) for x in re.findall(r"\bi between (\d+) and (\d+)", src) for x in x}
    money = {float(x) for x in re.findall(r"\bm (?:[=!<>]+|between) ([\d.]+)", src)}
    money |= {float(y) for x in re.findall(r"\bm between ([\d.]+) and ([\d.]+)", src) for y in x}
    out = {}
    out["i"] = (
        sorted({v + d for v in ints for d in (-1, 0, 1)} | {0}) if re.search(r"\bi\b", src) else [0]
    )
    if re.search(r"\bm\b", src):
        ms = sorted(money)
        vals = {v + d for v in ms for d in (-1, -0.5, 0, 0.5, 1)} | {
            (a + b) / 2 for a, b in zip(ms, ms[1:])
        }
        out["m"] = [None] + sorted(vals | {0.0})
    else:
        out["m"] = [None]
    out["e"] = ["A", "B", "C"] if re.search(r"\be\b", src) else ["A"]
    out["b"] = [False, True] if re.search(r"\bb\b", src) else [False]
    out["s"] = (
        (sorted(set(re.findall(r'"(\w)"', src))) + ["zz"]) if re.search(r"\bs\b", src) else ["zz"]
    )
    return out


def records(texts):
    c = candidates(texts)
    names = list(c)
    for combo in itertools.product(*(c[n] for n in names)):
        yield dict(zip(names, combo))


def truth(rule, rec):
    return evaluate(rule, rec, SCHEMA)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULE, RULE)
def test_solver_agrees_with_brute_force(t1, t2):
    r1, r2 = parse_rule(t1), parse_rule(t2)
    any1 = both = neither = False
    for rec in records([t1, t2]):
        v1, v2 = truth(r1, rec) is True, truth(r2, rec) is True
        any1 |= v1
        both |= v1 and v2
        neither |= not v1 and not v2
        if any1 and both and neither:
            break

    # satisfiability of one rule (SEG501)
    env = SPACE.solve(SPACE.pos(r1, T))
    assert (env is not None) == any1, (t1,)
    if env is not None:
        assert truth(r1, SPACE.witness(env)) is True, (t1, SPACE.witness(env))

    # overlap of two rules (SEG502, PLY607), through the pairwise fast path
    c1, c2 = Compiled(SPACE, r1), Compiled(SPACE, r2)
    env = overlap_env(SPACE, c1, c2)
    assert (env is not None) == both, (t1, t2)
    if env is not None:
        w = SPACE.witness(env)
        assert truth(r1, w) is True and truth(r2, w) is True, (t1, t2, w)
    # ... and through the backtracking search used for large formulas
    found = SPACE._search([SPACE.conj([c1.p, c2.p])], {})
    assert (found is not None) == both

    # a gap between two rules (SEG503): neither is TRUE (FALSE or UNKNOWN)
    env = SPACE.solve(SPACE.conj([SPACE.pos(r1, NT), SPACE.pos(r2, NT)]))
    assert (env is not None) == neither, (t1, t2)
    if env is not None:
        w = SPACE.witness(env)
        assert truth(r1, w) is not True and truth(r2, w) is not True, (t1, t2, w)
