"""Cascades of strategies (docs/cascade.md): a project's parent, its ancestors, and a tree of
projects checked together.

A strategy's `parent "../../hq"` names the parent project: a folder (its `main.strat`) or a
`.strat` file, relative to the file that says it, inside the repository (the enclosing git work
tree; outside one, the folder above the child project's root) — else ALN001. The parent and its
ancestors are parsed and resolved once per run (`Ancestry`), never checked: their diagnostics are
theirs. `check_cascade` runs the checks that need only the ancestors on any project that uses the
cascade's words; `load_tree` checks many projects and adds the checks that need all of a parent's
children (ALN003, ALN006) to the parent's result.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import diagnostics as dg
from .. import model as m
from ..paths import MISSING, is_folder, locate, os_reason, short_path
from ..repository import repository_root
from ..source import read_file
from . import CheckResult, check_project
from .alignment import project_checks, tree_checks
from .loader import LoadError, Project, gc_paused, load_project
from .registry import allowed_spans, is_allowed
from .resolve import build_model

ENTRY = "main.strat"


def uses_cascade(model: m.Model) -> bool:
    """Whether a project says anything the cascade checks read (cheap: most projects do not)."""
    return (
        model.parent is not None
        or bool(model.units)
        or model.unit is not None
        or any(
            o.owner_unit or o.aligns or any(t.serves for t in o.targets)
            for o in model.objectives.values()
        )
    )


def bound_of(project: Project, bounds: dict[Path, Path] | None = None) -> Path:
    """What a parent path may not leave: the repository, else the folder above the project.
    `bounds` (a run's `Ancestry.bounds`) keeps each project's answer: finding the repository
    walks up the folders, and a tree asks for each project several times."""
    if bounds is not None and project.entry in bounds:
        return bounds[project.entry]
    repo = repository_root(project.entry)
    # outside a repository: the folder above the project's folder (not above `--root`)
    bound = Path(os.path.realpath(repo if repo is not None else project.entry.parent.parent))
    if bounds is not None:
        bounds[project.entry] = bound
    return bound


def _bound_note(project: Project, bound: Path) -> str:
    """Where parent paths may go, relative to the project's folder (never a machine path: the
    message is the same in any checkout)."""
    here = Path(os.path.realpath(project.entry.parent))
    where = Path(os.path.relpath(bound, here)).as_posix()
    if repository_root(project.entry) is not None:
        return f"parent paths stay inside the repository, whose root is `{where}` from this project"
    return f"outside a git repository, parent paths stay inside `{where}` (the folder above this project)"


def shown(path: Path, bound: Path) -> str:
    """A path as messages show it: relative to the bound (the repository root), POSIX style."""
    try:
        return path.relative_to(bound).as_posix()
    except ValueError:
        return str(path)


def _under(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def parent_entry(
    project: Project, link: m.ParentLink, bounds: dict[Path, Path] | None = None
) -> tuple[Path | None, dg.Diagnostic | None]:
    """The parent's entry file (symlinks resolved), or ALN001 saying why there is none."""
    span = link.span
    written_in = project.paths.get(span.file) if span is not None else None
    base = (written_in or project.entry).parent
    bound = bound_of(project, bounds)
    name = short_path(link.path)

    def problem(message: str, label: str, help: str) -> tuple[None, dg.Diagnostic | None]:
        if span is None:
            return None, None
        return None, dg.make(
            "ALN001",
            message,
            span,
            label,
            help=help,
            notes=(_bound_note(project, bound),),
        )

    if not link.path.strip():
        return problem("the parent path is empty", "no path", 'write `parent "../hq"`')
    lexical = Path(os.path.normpath(base / link.path))
    if not _under(lexical, bound):
        return problem(
            f"parent `{name}` is outside the repository",
            "outside the repository",
            "the parent project must be in the same repository as this one",
        )
    try:
        target, st = locate(lexical)
    except OSError as e:
        if e.errno in MISSING:
            return problem(
                f"parent project `{name}` not found",
                "no such file or folder",
                f"paths are relative to {shown(base, bound) or '.'}: give the parent's folder "
                "(holding main.strat) or its .strat file",
            )
        return problem(
            f"cannot read parent `{name}`: {os_reason(e)}", "cannot be read", "fix the path"
        )
    if not _under(target, bound):
        return problem(
            f"parent `{name}` resolves to {short_path(target)}, outside the repository",
            "a symlink leads out of the repository",
            "the parent project must be in the same repository as this one",
        )
    if stat.S_ISDIR(st.st_mode):
        entry = target / ENTRY
        if not entry.is_file():
            return problem(
                f"parent `{name}` is a folder without {ENTRY}: not a project",
                "not a project",
                f"name a folder holding {ENTRY}, or the parent's .strat file",
            )
        return Path(os.path.realpath(entry)), None
    if not stat.S_ISREG(st.st_mode):
        return problem(
            f"parent `{name}` is not a regular file", "not a file", "name a .strat file or folder"
        )
    return target, None


@dataclass
class Loaded:
    project: Project
    model: m.Model


class Ancestry:
    """Ancestor projects parsed and resolved once per run, by their resolved entry file."""

    def __init__(self) -> None:
        self._loaded: dict[Path, Loaded | None] = {}
        self.bounds: dict[Path, Path] = {}  # bound_of per project entry, for this run

    def load(self, entry: Path) -> Loaded | None:
        if entry not in self._loaded:
            try:
                project = load_project(entry)
            except LoadError:
                self._loaded[entry] = None
            else:
                syntax = any(d.code.startswith("SYN") for d in project.diagnostics)
                model, _ = build_model(project.files, syntax)
                self._loaded[entry] = Loaded(project, model)
        return self._loaded[entry]

    def seed(self, result: CheckResult) -> None:
        """A project checked in this run: its model serves as an ancestor too."""
        self._loaded.setdefault(result.project.entry, Loaded(result.project, result.model))


def check_cascade(
    project: Project, model: m.Model, ancestry: Ancestry | None = None
) -> tuple[m.Model, list[dg.Diagnostic]]:
    """The model with its parent link resolved, and the ALN diagnostics of this project (those
    its declarations' `allow` silences left out)."""
    ancestry = ancestry or Ancestry()
    diags: list[dg.Diagnostic] = []
    ancestors: list[m.Model] = []
    loaded = False
    link = model.parent
    if link is not None:
        entry, problem = parent_entry(project, link, ancestry.bounds)
        if problem is not None:
            diags.append(problem)
        if entry is not None:
            bound = bound_of(project, ancestry.bounds)
            link = replace(link, resolved=shown(entry, bound))
            model = replace(model, parent=link)
            ancestors, cycle = _ancestors(project, entry, ancestry)
            loaded = bool(ancestors)
            if cycle and link.span is not None:
                diags.append(
                    dg.make(
                        "ALN001",
                        "cycle of parents: " + " → ".join(shown(p, bound) for p in cycle),
                        link.span,
                        "this parent leads back here",
                        help="a cascade is a tree: the top strategy has no `parent`",
                    )
                )
                loaded = False
            elif not ancestors and link.span is not None:
                diags.append(
                    dg.make(
                        "ALN001",
                        f"parent project `{short_path(link.path)}` cannot be read",
                        link.span,
                        "cannot be read",
                        help="check the parent's entry file",
                    )
                )
    diags.extend(project_checks(model, ancestors, loaded))
    allows = allowed_spans(model)
    if allows:
        diags = [d for d in diags if not is_allowed(d, allows)]
    return model, diags


def _ancestors(
    project: Project, entry: Path, ancestry: Ancestry
) -> tuple[list[m.Model], list[Path]]:
    """The ancestors' models, parent first, and the cycle when the parents lead back to this
    project (a cycle further up ends the walk silently: it is reported in those projects)."""
    chain = [project.entry]
    models: list[m.Model] = []
    cur: Path | None = entry
    while cur is not None:
        if cur in chain:
            return (models, [*chain, cur]) if cur == project.entry else (models, [])
        got = ancestry.load(cur)
        if got is None:
            break
        chain.append(cur)
        models.append(got.model)
        if got.model.parent is None:
            break
        cur, _ = parent_entry(got.project, got.model.parent, ancestry.bounds)
    return models, []


# ------------------------------------------------------------------------------ trees


@dataclass
class Tree:
    """Projects checked together: each project's result (parents before children), and which
    project of the tree is each one's parent."""

    root: Path  # the folder the projects were found in
    results: dict[Path, CheckResult] = field(default_factory=dict)  # entry file -> result
    parents: dict[Path, Path] = field(default_factory=dict)  # child entry -> parent entry

    def children(self, entry: Path) -> list[Path]:
        """The projects of the tree whose parent is `entry`, by path."""
        return sorted(c for c, p in self.parents.items() if p == entry)

    @property
    def diagnostics(self) -> list[dg.Diagnostic]:
        return [d for r in self.results.values() for d in r.diagnostics]


SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages"})


def find_projects(folder: Path) -> list[Path]:
    """Every `main.strat` below `folder` (hidden folders, virtualenvs and package folders
    skipped), sorted by path."""
    out: list[Path] = []
    for here, dirs, files in os.walk(folder):
        # hidden folders, installed packages and virtualenvs hold no strategy of the user's, and
        # can hold millions of files (a search outside a repository starts one folder up)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIPPED_FOLDERS
            and not os.path.exists(os.path.join(here, d, "pyvenv.cfg"))
        )
        if ENTRY in files:
            out.append(Path(here) / ENTRY)
    return sorted(out)


_PARENT = re.compile(r'^\s*parent\s+"((?:[^"\\\n]|\\.)*)"', re.M)


def written_parent(entry: Path) -> Path | None:
    """The entry file its `parent "…"` line names (resolved), read from the text without
    parsing; None without one (or when the file cannot be read)."""
    try:  # read_file refuses a FIFO or device before opening it: reading one would block forever
        text = read_file(entry).decode("utf-8", errors="replace")
    except OSError:
        return None
    match = _PARENT.search(text)
    if match is None:
        return None
    target = Path(os.path.realpath(entry.parent / match.group(1)))
    return target / ENTRY if is_folder(target) else target


def linked(entries: Sequence[Path]) -> bool:
    """Whether some project among `entries` names another of them as its parent."""
    reals = {Path(os.path.realpath(e)) for e in entries}
    return any(written_parent(e) in reals for e in reals)


def find_children(entry: Path, search: Path | None = None) -> list[Path]:
    """The projects below `search` (default: the repository, else the folder above the entry's)
    whose parent is `entry`, and theirs, and so on: read from their text (`parent "…"`), so
    that only the cascade's projects are parsed."""
    entry = Path(os.path.realpath(entry))
    if search is None:
        repo = repository_root(entry)
        search = repo if repo is not None else entry.parent.parent
    parent_of: dict[Path, Path] = {}
    for cand in find_projects(search):
        real = Path(os.path.realpath(cand))
        parent = written_parent(real)
        if parent is not None:
            parent_of[real] = parent
    out: list[Path] = []
    frontier = {entry}
    while frontier:
        found = sorted(c for c, p in parent_of.items() if p in frontier and c not in out)
        out.extend(found)
        frontier = set(found)
    return out


def load_tree(
    paths: Iterable[Path | str],
    root: Path | str | None = None,
    *,
    project_root: Path | str | None = None,
) -> Tree:
    """Check every project named (entry files, or folders holding main.strat) and the alignment
    between them: each child against its parent, each parent against all its children in
    `paths`. `project_root` (`--root`) is every project's root, as `check_entry` takes it:
    imports may not leave it, and an entry outside it is a LoadError (default: each entry's
    folder). Raises LoadError when an entry cannot be read."""
    entries = [Path(p) / ENTRY if is_folder(p) else Path(p) for p in paths]
    reals = _written_order([Path(os.path.realpath(e)) for e in entries])
    tree = Tree(Path(root) if root else _common(reals))
    ancestry = Ancestry()
    results: dict[Path, CheckResult] = {}
    with gc_paused():  # the collector's passes over a large tree's objects cost seconds
        for entry in dict.fromkeys(reals):
            project = load_project(entry, Path(project_root) if project_root else None)
            results[project.entry] = check_project(project, ancestry=ancestry)
            ancestry.seed(results[project.entry])
        _align_tree(tree, results, ancestry.bounds)
    return tree


def _written_order(entries: list[Path]) -> list[Path]:
    """The entries with each parent (by its `parent` line) before its children, else as given:
    a parent checked first serves its children as an ancestor, instead of being parsed once as
    an ancestor and again as a project."""
    named = dict.fromkeys(entries)
    parent = {e: written_parent(e) for e in named}
    depth: dict[Path, int] = {}
    for e in named:
        seen: set[Path] = set()
        chain: list[Path] = []
        cur: Path | None = e
        while cur in named and cur not in depth and cur not in seen:
            seen.add(cur)
            chain.append(cur)
            cur = parent[cur]
        base = depth.get(cur, -1) if cur in named else -1
        for k, c in enumerate(reversed(chain)):
            depth[c] = base + 1 + k
    return sorted(named, key=lambda e: depth[e])  # stable: siblings keep their order


def _align_tree(
    tree: Tree, results: dict[Path, CheckResult], bounds: dict[Path, Path] | None = None
) -> None:
    """The tree's parent links and order, and the checks needing all of a parent's children."""
    for entry, res in results.items():
        link = res.model.parent
        if link is not None and link.resolved is not None:
            parent, _ = parent_entry(res.project, link, bounds)
            if parent is not None and parent in results and parent != entry:
                tree.parents[entry] = parent
    for entry in _parents_first(results, tree.parents):
        tree.results[entry] = results[entry]
    for parent in dict.fromkeys(tree.parents.values()):
        kids = [results[c].model for c in tree.children(parent)]
        found = tree_checks(results[parent].model, kids)
        allows = allowed_spans(results[parent].model)
        found = [d for d in found if not is_allowed(d, allows)]
        if found:
            res = results[parent]
            both = dg.Diagnostics()
            both.extend(res.diagnostics)
            both.extend(found)
            res.diagnostics = both.sorted()


def _parents_first(results: dict[Path, CheckResult], parents: dict[Path, Path]) -> Iterator[Path]:
    """The entries ordered by depth in the cascade (roots first), then by path."""

    def depth(e: Path) -> int:
        n, seen = 0, {e}
        while e in parents and parents[e] not in seen:
            e = parents[e]
            seen.add(e)
            n += 1
        return n

    yield from sorted(results, key=lambda e: (depth(e), str(e)))


def _common(paths: list[Path]) -> Path:
    if not paths:
        return Path.cwd()
    return Path(os.path.commonpath([str(p.parent) for p in paths]))
