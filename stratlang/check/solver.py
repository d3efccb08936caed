"""Exact satisfiability for normalized rules, with witnesses.

How it works (docs/checks-segments.md has the long form):

1. A question ("is rule r TRUE for some customer?", "is r NOT TRUE?") is turned into a *positive*
   formula: and/or over per-field atoms, with every `not` pushed into the atoms using the four
   three-valued polarities TRUE, FALSE, NOT_TRUE (= FALSE or UNKNOWN) and NOT_FALSE. An atom says
   "field f takes a value in set S, or is NULL if allowed": a `FieldSet(null, dom)`.
2. Per-field value sets are exact: integer intervals (int fields, dates as day numbers), real
   intervals with open/closed ends (float, money, percent), bit sets (enum, bool), and finite or
   co-finite string sets (a string field is either one of finitely many strings, or anything but
   finitely many).
3. A positive formula is satisfiable iff some choice of one branch per `or` leaves every field's
   intersection non-empty. Small formulas are put in DNF (conjunct = field -> FieldSet, empty
   conjuncts pruned as they appear); large ones are searched with backtracking. Both are exact.

Witnesses are built from the satisfying conjunct and confirmed by the reference evaluator by the
callers before anything is reported.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any as AnyType
from typing import Literal, Protocol, TypeAlias, TypeVar

from ..model import Field, Schema
from ..rules import All, Any, Between, Cmp, Const, IsMissing, IsTrue, Member, Neg, NExpr, NTest
from ..rules import Value as RuleValue

INF = math.inf
T, F, NT, NF = "T", "F", "NT", "NF"  # TRUE, FALSE, NOT TRUE, NOT FALSE
DUAL = {T: F, F: T, NT: NF, NF: NT}  # what `not e` being W asks of e
DNF_LIMIT = 256

# A domain's values: `Interval`s (int, date as day number, float, money, percent), a bit set
# (enum, bool) or a `StrSet` (string); a point of a domain is a number or a string.
Interval: TypeAlias = tuple[float, bool, float, bool]  # (lo, lo_closed, hi, hi_closed)
Intervals: TypeAlias = tuple[Interval, ...]
StrSet: TypeAlias = tuple[bool, frozenset[str]]  # (cofinite, strings)
DomValue: TypeAlias = Intervals | int | StrSet
Point: TypeAlias = float | str
FieldSet: TypeAlias = tuple[bool, DomValue]  # (NULL allowed, the values) of one field
Conjunct: TypeAlias = dict[str, FieldSet]  # field -> FieldSet (fields not in it: anything)


class Undecided(Exception):
    """The formula is too deep for the search; callers report nothing rather than guess."""


# --------------------------------------------------------------------------- value domains


def _iv_empty(lo: float, loc: bool, hi: float, hic: bool) -> bool:
    return lo > hi or (lo == hi and not (loc and hic))


def _iv_norm(ivs: Iterable[Interval]) -> Intervals:
    """Sort and merge overlapping intervals."""
    ivs = sorted(ivs, key=lambda iv: (iv[0], not iv[1]))
    out: list[Interval] = []
    for iv in ivs:
        if out:
            lo, loc, hi, hic = out[-1]
            if iv[0] < hi or (iv[0] == hi and (iv[1] or hic)):
                if iv[2] > hi or (iv[2] == hi and iv[3]):
                    out[-1] = (lo, loc, iv[2], iv[3])
                continue
        out.append(iv)
    return tuple(out)


D = TypeVar("D")
P = TypeVar("P", contravariant=True)


class Domain(Protocol[D, P]):
    """The value sets of one field: `D` a set of values, `P` a literal (a point) of the field."""

    @property
    def full(self) -> D: ...
    @property
    def empty_value(self) -> D: ...
    def is_empty(self, d: D) -> bool: ...
    def inter(self, a: D, b: D) -> D: ...
    def union(self, a: D, b: D) -> D: ...
    def comp(self, a: D) -> D: ...
    def cmp(self, op: str, v: P) -> D: ...
    def point(self, v: P) -> D: ...
    def between(self, lo: P, hi: P) -> D: ...
    def members(self, vals: Iterable[P]) -> D: ...
    def pick(self, d: D, default: P) -> Point: ...


class IntervalDom:
    """Unions of intervals (lo, lo_closed, hi, hi_closed). `integer`: bounds are whole numbers."""

    def __init__(self, integer: bool) -> None:
        self.integer = integer
        self.full: Intervals = ((-INF, False, INF, False),)
        self.empty_value: Intervals = ()

    def is_empty(self, d: Intervals) -> bool:
        return not d

    def inter(self, a: Intervals, b: Intervals) -> Intervals:
        if a is self.full or a == self.full:
            return b
        if b is self.full or b == self.full:
            return a
        out: list[Interval] = []
        for alo, aloc, ahi, ahic in a:
            for blo, bloc, bhi, bhic in b:
                if alo > blo:
                    lo, loc = alo, aloc
                elif blo > alo:
                    lo, loc = blo, bloc
                else:
                    lo, loc = alo, aloc and bloc
                if ahi < bhi:
                    hi, hic = ahi, ahic
                elif bhi < ahi:
                    hi, hic = bhi, bhic
                else:
                    hi, hic = ahi, ahic and bhic
                if not _iv_empty(lo, loc, hi, hic):
                    out.append((lo, loc, hi, hic))
        return tuple(out) if len(out) < 2 else _iv_norm(out)

    def union(self, a: Intervals, b: Intervals) -> Intervals:
        return _iv_norm(a + b)

    def comp(self, a: Intervals) -> Intervals:
        out: list[Interval] = []
        if self.integer:
            cur = -INF
            for lo, _, hi, _ in a:
                if cur <= lo - 1:
                    out.append((cur, cur != -INF, lo - 1, True))
                cur = hi + 1
            if cur != INF:
                out.append((cur, cur != -INF, INF, False))
            return tuple(out)
        cur, curc = -INF, False
        for lo, loc, hi, hic in a:
            if not _iv_empty(cur, curc, lo, not loc):
                out.append((cur, curc, lo, not loc))
            cur, curc = hi, not hic
        if not _iv_empty(cur, curc, INF, False):
            out.append((cur, curc, INF, False))
        return tuple(out)

    # literal sets ------------------------------------------------------------
    def cmp(self, op: str, v: float) -> Intervals:
        if op == "=":
            return self.point(v)
        if op == "!=":
            return self.comp(self.point(v))
        if self.integer:
            if op == "<":
                return ((-INF, False, math.ceil(v) - 1, True),)
            if op == "<=":
                return ((-INF, False, math.floor(v), True),)
            if op == ">":
                return ((math.floor(v) + 1, True, INF, False),)
            return ((math.ceil(v), True, INF, False),)
        if op == "<":
            return ((-INF, False, v, False),)
        if op == "<=":
            return ((-INF, False, v, True),)
        if op == ">":
            return ((v, False, INF, False),)
        return ((v, True, INF, False),)

    def point(self, v: float) -> Intervals:
        if self.integer and v != math.floor(v):
            return ()
        return ((v, True, v, True),)

    def between(self, lo: float, hi: float) -> Intervals:
        if self.integer:
            lo, hi = math.ceil(lo), math.floor(hi)
        return () if _iv_empty(lo, True, hi, True) else ((lo, True, hi, True),)

    def members(self, vals: Iterable[float]) -> Intervals:
        return _iv_norm([p for v in vals for p in self.point(v)])

    def pick(self, d: Intervals, default: float) -> float:
        for lo, loc, hi, hic in d:
            if (
                lo <= default <= hi
                and not (default == lo and not loc)
                and not (default == hi and not hic)
            ):
                return default
        lo, loc, hi, hic = d[0]
        if lo == -INF and len(d) > 1:
            lo, loc, hi, hic = d[1]
        if self.integer:
            return int(lo) if lo != -INF else int(hi)
        if lo != -INF and hi != INF:
            if loc:
                return lo
            if hic:
                return hi
            step = lo + 1
            return step if step < hi else (lo + hi) / 2
        if lo != -INF:
            return lo if loc else lo + 1
        return hi if hic else hi - 1


class BitDom:
    """Finite ordered domains (enum ordinals; bool as 0 = false, 1 = true) as bit sets."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.full = (1 << n) - 1
        self.empty_value = 0

    def is_empty(self, d: int) -> bool:
        return d == 0

    def inter(self, a: int, b: int) -> int:
        return a & b

    def union(self, a: int, b: int) -> int:
        return a | b

    def comp(self, a: int) -> int:
        return self.full & ~a

    def cmp(self, op: str, v: float) -> int:
        v = int(v)
        if op == "=":
            return self.point(v)
        if op == "!=":
            return self.comp(self.point(v))
        lo, hi = {"<": (0, v - 1), "<=": (0, v), ">": (v + 1, self.n - 1), ">=": (v, self.n - 1)}[
            op
        ]
        return self.between(lo, hi)

    def point(self, v: float) -> int:
        i = int(v)
        return (1 << i) if 0 <= i < self.n else 0

    def between(self, lo: float, hi: float) -> int:
        a, b = max(int(lo), 0), min(int(hi), self.n - 1)
        return 0 if a > b else ((1 << (b + 1)) - 1) & ~((1 << a) - 1)

    def members(self, vals: Iterable[float]) -> int:
        out = 0
        for v in vals:
            out |= self.point(v)
        return out

    def pick(self, d: int, default: int) -> int:
        if d >> default & 1:
            return default
        return (d & -d).bit_length() - 1


class StrDom:
    """String sets: (cofinite, frozenset) — the listed strings, or everything but them."""

    full: StrSet = (True, frozenset())
    empty_value: StrSet = (False, frozenset())

    def is_empty(self, d: StrSet) -> bool:
        return not d[0] and not d[1]

    def inter(self, a: StrSet, b: StrSet) -> StrSet:
        if a[0] and b[0]:
            return (True, a[1] | b[1])
        if a[0]:
            return (False, b[1] - a[1])
        if b[0]:
            return (False, a[1] - b[1])
        return (False, a[1] & b[1])

    def union(self, a: StrSet, b: StrSet) -> StrSet:
        if a[0] and b[0]:
            return (True, a[1] & b[1])
        if a[0]:
            return (True, a[1] - b[1])
        if b[0]:
            return (True, b[1] - a[1])
        return (False, a[1] | b[1])

    def comp(self, a: StrSet) -> StrSet:
        return (not a[0], a[1])

    def cmp(self, op: str, v: str) -> StrSet:
        return (op == "!=", frozenset((v,)))

    def point(self, v: str) -> StrSet:
        return (False, frozenset((v,)))

    def between(self, lo: str, hi: str) -> StrSet:
        raise TypeError("strings have no order (rules do not compare them by order)")

    def members(self, vals: Iterable[str]) -> StrSet:
        return (False, frozenset(vals))

    def pick(self, d: StrSet, default: str) -> str:
        if not d[0]:
            return min(d[1])
        v, i = default, 1
        while v in d[1]:
            i += 1
            v = f"{default}{i}"
        return v


class FieldInfo:
    __slots__ = ("dom", "everything", "field", "kind", "name", "optional", "range")

    def __init__(self, f: Field) -> None:
        self.name = f.name
        self.field = f
        self.optional = f.optional
        # Any: the domain's value and point types follow the field's type, chosen here at run
        # time; a FieldSet is only ever combined with the domain of its own field.
        self.dom: Domain[AnyType, AnyType]
        self.kind: str
        t = f.type
        if t in ("int", "date"):
            self.dom, self.kind = IntervalDom(True), t
        elif t in ("float", "money", "percent"):
            self.dom, self.kind = IntervalDom(False), t
        elif t == "enum":
            self.dom, self.kind = BitDom(len(f.enum_values)), t
        elif t == "bool":
            self.dom, self.kind = BitDom(2), t
        else:
            self.dom, self.kind = StrDom(), "string"
        # the values the field can take: the domain, or from its minimum up (a history count)
        self.range: AnyType = self.dom.full
        if f.minimum is not None and isinstance(self.dom, IntervalDom):
            self.range = self.dom.cmp(">=", f.minimum)
        self.everything: FieldSet = (self.optional, self.range)

    def lit(self, v: RuleValue) -> Point:
        """A normalized literal as a domain point (dates -> day number, bools -> 0/1)."""
        if isinstance(v, dt.date):
            return v.toordinal()
        if isinstance(v, bool):
            return int(v)
        if v is None:  # only in a rule that failed to type, which is never stored
            raise TypeError("a typed rule has no missing literal")
        return v

    def value(self, p: Point) -> RuleValue:
        """A domain point back as a record value."""
        if self.kind == "date":
            return dt.date.fromordinal(int(p))
        if self.kind == "bool":
            return bool(p)
        if self.kind == "enum":
            return self.field.enum_values[int(p)]
        if self.kind in ("float", "money", "percent") and isinstance(p, float) and p.is_integer():
            return int(p)
        return p

    def truth_set(self, n: NTest) -> DomValue:
        """Values (the field present) for which test `n` is TRUE."""
        d, lit = self.dom, self.lit
        out: DomValue
        if isinstance(n, Cmp):
            out = d.cmp(n.op, lit(n.value))
        elif isinstance(n, Between):
            out = d.between(lit(n.low), lit(n.high))
        elif isinstance(n, Member):
            s = d.members([lit(v) for v in n.values])
            out = d.comp(s) if n.negated else s
        elif isinstance(n, IsTrue):
            out = d.point(1)
        else:
            raise TypeError(n)
        return out


# --------------------------------------------------------------------------- positive formulas

# ("A", field, (null, dom)) | ("&", tuple) | ("|", tuple) | TRUE_P | FALSE_P
Atom: TypeAlias = tuple[Literal["A"], str, FieldSet]
AndP: TypeAlias = tuple[Literal["&"], tuple["Formula", ...]]
OrP: TypeAlias = tuple[Literal["|"], tuple["Formula", ...]]
TrueP: TypeAlias = tuple[Literal["T"]]
FalseP: TypeAlias = tuple[Literal["F"]]
Formula: TypeAlias = Atom | AndP | OrP | TrueP | FalseP
TRUE_P: TrueP = ("T",)
FALSE_P: FalseP = ("F",)


class Space:
    """The fields of one schema and the formulas over them."""

    def __init__(self, schema: Schema, default_date: dt.date | None = None) -> None:
        self.schema = schema
        self.info = {name: FieldInfo(f) for name, f in schema.rule_fields.items()}
        self.default_date = default_date or dt.date(2026, 1, 1)

    # atoms ---------------------------------------------------------------
    def fs_inter(self, fi: FieldInfo, a: FieldSet, b: FieldSet) -> FieldSet:
        return (a[0] and b[0], fi.dom.inter(a[1], b[1]))

    def fs_union(self, fi: FieldInfo, a: FieldSet, b: FieldSet) -> FieldSet:
        return (a[0] or b[0], fi.dom.union(a[1], b[1]))

    def fs_empty(self, fi: FieldInfo, a: FieldSet) -> bool:
        return not a[0] and fi.dom.is_empty(a[1])

    def atom(self, field: str, fs: FieldSet) -> Formula:
        fi = self.info[field]
        fs = (fs[0] and fi.optional, fi.dom.inter(fs[1], fi.range))
        if self.fs_empty(fi, fs):
            return FALSE_P
        if fs[0] == fi.optional and fs[1] == fi.range:
            return TRUE_P
        return ("A", field, fs)

    def test_atom(self, n: NTest, want: str) -> Formula:
        fi = self.info[n.field]
        if isinstance(n, IsMissing):
            truth = (True, fi.dom.empty_value) if not n.present else (False, fi.dom.full)
            false = (False, fi.dom.full) if not n.present else (True, fi.dom.empty_value)
            return self.atom(n.field, truth if want in (T, NF) else false)
        s = fi.truth_set(n)
        if want == T:
            return self.atom(n.field, (False, s))
        if want == F:
            return self.atom(n.field, (False, fi.dom.comp(s)))
        if want == NT:
            return self.atom(n.field, (True, fi.dom.comp(s)))
        return self.atom(n.field, (True, s))

    # connectives (with per-field merging) --------------------------------
    def conj(self, parts: Iterable[Formula]) -> Formula:
        atoms: dict[str, FieldSet] = {}
        rest: list[Formula] = []
        stack = list(parts)
        while stack:
            p = stack.pop()
            if p[0] == "T":
                continue
            if p[0] == "F":
                return FALSE_P
            if p[0] == "&":
                stack.extend(p[1])
            elif p[0] == "A":
                f = p[1]
                if f in atoms:
                    fi = self.info[f]
                    fs = self.fs_inter(fi, atoms[f], p[2])
                    if self.fs_empty(fi, fs):
                        return FALSE_P
                    atoms[f] = fs
                else:
                    atoms[f] = p[2]
            else:
                rest.append(p)
        items: list[Formula] = [("A", f, fs) for f, fs in atoms.items()]
        items.extend(rest)
        if not items:
            return TRUE_P
        return items[0] if len(items) == 1 else ("&", tuple(items))

    def disj(self, parts: Iterable[Formula]) -> Formula:
        atoms: dict[str, FieldSet] = {}
        rest: list[Formula] = []
        stack = list(parts)
        while stack:
            p = stack.pop()
            if p[0] == "F":
                continue
            if p[0] == "T":
                return TRUE_P
            if p[0] == "|":
                stack.extend(p[1])
            elif p[0] == "A":
                f = p[1]
                if f in atoms:
                    fi = self.info[f]
                    fs = self.fs_union(fi, atoms[f], p[2])
                    if fs[0] == fi.optional and fs[1] == fi.range:
                        return TRUE_P
                    atoms[f] = fs
                else:
                    atoms[f] = p[2]
            else:
                rest.append(p)
        items: list[Formula] = [("A", f, fs) for f, fs in atoms.items()]
        items.extend(rest)
        if not items:
            return FALSE_P
        return items[0] if len(items) == 1 else ("|", tuple(items))

    def pos(self, n: NExpr, want: str = T) -> Formula:
        """The positive formula saying rule `n` has the three-valued value `want`."""
        try:
            return self._pos(n, want)
        except RecursionError:
            raise Undecided() from None

    def _pos(self, n: NExpr, want: str) -> Formula:
        while isinstance(n, Neg):
            n, want = n.item, DUAL[want]
        if isinstance(n, Const):
            v = n.value
            return TRUE_P if (v if want in (T, NF) else not v) else FALSE_P
        if isinstance(n, All):
            parts = [self._pos(i, want) for i in n.items]
            return self.conj(parts) if want in (T, NF) else self.disj(parts)
        if isinstance(n, Any):
            parts = [self._pos(i, want) for i in n.items]
            return self.disj(parts) if want in (T, NF) else self.conj(parts)
        return self.test_atom(n, want)

    # deciding ------------------------------------------------------------
    def dnf(self, p: Formula, limit: int = DNF_LIMIT) -> list[Conjunct] | None:
        """Conjuncts (field -> FieldSet dicts, none empty) or None when there would be more than `limit`."""
        try:
            return self._dnf(p, limit)
        except (_TooBig, RecursionError):
            return None

    def _dnf(self, p: Formula, limit: int) -> list[Conjunct]:
        if p[0] == "T":
            return [{}]
        if p[0] == "F":
            return []
        if p[0] == "A":
            return [{p[1]: p[2]}]
        if p[0] == "|":
            out: list[Conjunct] = []
            for c in p[1]:
                out.extend(self._dnf(c, limit))
                if len(out) > limit:
                    raise _TooBig()
            return out
        acc: list[Conjunct] = [{}]
        for c in p[1]:
            d = self._dnf(c, limit)
            nxt: list[Conjunct] = []
            for a in acc:
                for b in d:
                    m = self.merge(a, b)
                    if m is not None:
                        nxt.append(m)
                        if len(nxt) > limit:
                            raise _TooBig()
            acc = nxt
            if not acc:
                return []
        return acc

    def merge(self, a: Conjunct, b: Conjunct) -> Conjunct | None:
        """Intersection of two conjuncts, or None if empty."""
        if len(a) < len(b):
            a, b = b, a
        out = dict(a)
        info = self.info
        for f, fs in b.items():
            if f in out:
                fi = info[f]
                x = self.fs_inter(fi, out[f], fs)
                if self.fs_empty(fi, x):
                    return None
                out[f] = x
            else:
                out[f] = fs
        return out

    def solve(self, p: Formula) -> Conjunct | None:
        """A satisfying conjunct (field -> FieldSet) of a positive formula, or None if unsatisfiable."""
        d = self.dnf(p)
        if d is not None:
            return d[0] if d else None
        try:
            return self._search([p], {})
        except RecursionError:
            raise Undecided() from None

    def _search(self, todo: Sequence[Formula], env: Conjunct) -> Conjunct | None:
        ors: list[OrP] = []
        todo = list(todo)
        while todo:
            p = todo.pop()
            if p[0] == "T":
                continue
            if p[0] == "F":
                return None
            if p[0] == "&":
                todo.extend(p[1])
            elif p[0] == "|":
                ors.append(p)
            else:
                f, fs = p[1], p[2]
                if f in env:
                    fi = self.info[f]
                    fs = self.fs_inter(fi, env[f], fs)
                    if self.fs_empty(fi, fs):
                        return None
                env[f] = fs  # env is this call's own copy
        if not ors:
            return env
        first, rest = ors[0], ors[1:]
        for child in first[1]:
            r = self._search([*rest, child], dict(env))
            if r is not None:
                return r
        return None

    # witnesses -----------------------------------------------------------
    def default(self, fi: FieldInfo) -> Point:
        t = fi.kind
        if t == "date":
            return self.default_date.toordinal()
        if t in ("int", "float", "money", "percent"):
            return 0
        if t in ("enum", "bool"):
            return 0
        return "x" if not fi.field.key else "C0001"

    def witness(self, env: Conjunct, prefer_null: bool = False) -> dict[str, RuleValue]:
        """A full record (every schema field) from a satisfying conjunct."""
        rec: dict[str, RuleValue] = {}
        for name, fi in self.info.items():
            fs = env.get(name)
            if fs is None:
                rec[name] = None if fi.optional else fi.value(self.default(fi))
                continue
            null, dom = fs
            if fi.dom.is_empty(dom) or (null and prefer_null):
                rec[name] = None
            else:
                rec[name] = fi.value(fi.dom.pick(dom, self.default(fi)))
        return rec


class _TooBig(Exception):
    pass


class Compiled:
    """A rule ready for repeated pairwise questions: its TRUE formula, DNF (if small) and hull."""

    __slots__ = ("dnf", "hull", "p", "rule")

    def __init__(self, space: Space, rule: NExpr) -> None:
        self.rule = rule
        self.p = space.pos(rule, T)
        self.dnf = space.dnf(self.p)
        self.hull: Conjunct | None = None  # per field, the union over the conjuncts (set if any)
        if self.dnf:
            common = set(self.dnf[0])
            for c in self.dnf[1:]:
                common &= c.keys()
            hull: Conjunct = {}
            for f in common:
                fi = space.info[f]
                fs = self.dnf[0][f]
                for c in self.dnf[1:]:
                    fs = space.fs_union(fi, fs, c[f])
                hull[f] = fs
            self.hull = hull

    @property
    def empty(self) -> bool:
        return self.dnf is not None and not self.dnf


def overlap_env(space: Space, a: Compiled, b: Compiled) -> Conjunct | None:
    """A conjunct satisfied by customers for whom both rules are TRUE, or None."""
    if a.dnf is not None and b.dnf is not None:
        if not a.dnf or not b.dnf:
            return None
        ha, hb = a.hull, b.hull
        assert ha is not None and hb is not None  # set for every non-empty DNF
        if len(ha) > len(hb):
            ha, hb = hb, ha
        info = space.info
        for f, fs in ha.items():
            o = hb.get(f)
            if o is not None:
                fi = info[f]
                if space.fs_empty(fi, space.fs_inter(fi, fs, o)):
                    return None
        for x in a.dnf:
            for y in b.dnf:
                m = space.merge(x, y)
                if m is not None:
                    return m
        return None
    return space.solve(space.conj([a.p, b.p]))
