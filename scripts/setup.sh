#!/usr/bin/env bash
# Idempotent set-up for stratlang development, tests and the demo.
#
#   bash scripts/setup.sh
#
# 1. System packages (Debian): Graphviz, a CJK font, Chromium, poppler-utils, the Pango libraries
#    WeasyPrint needs, fontconfig, and a Java runtime for PySpark when `java` is missing.
#    Installed with apt-get only when something is actually missing and we run as root; otherwise
#    the exact install command is printed and the set-up goes on (the tests that need the missing
#    tool will then fail loudly).
# 2. A virtual environment in .venv (created with python3 when missing or broken), and
#    `pip install -e '.[dev]'` only when pyproject.toml, the interpreter or the checkout path
#    changed since the last successful install (a stamp file inside .venv).
#
# Quiet when CI=true (only warnings and errors); short progress lines otherwise.
# Environment:
#   PYTHON=python3              interpreter used to create .venv
#   STRATLANG_SKIP_SYSTEM=1     skip the system-package step
#   STRATLANG_APT_UPDATED=1     `apt-get update` already ran in this job (set by .ci/run)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.stratlang-setup.stamp"

case "${CI:-}" in
  "" | false | 0 | no) QUIET=0 ;;
  *) QUIET=1 ;;
esac

say() { [ "$QUIET" = 1 ] || printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: warning: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Run a command; in quiet mode keep its output in a log and show the log only if it fails.
run_logged() {
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/stratlang-setup.XXXXXX")"
  if "$@" >"$log" 2>&1; then
    [ "$QUIET" = 1 ] || grep -v '^\s*$' "$log" | tail -n 3 | sed 's/^/  /' || true
    rm -f "$log"
  else
    local rc=$?
    printf 'setup: error: command failed (exit %s): %s\n' "$rc" "$*" >&2
    tail -n 60 "$log" >&2 || true
    rm -f "$log"
    exit "$rc"
  fi
}

# ------------------------------------------------------------------------------ system packages

have_lib() {
  # have_lib SONAME DEBIAN_PACKAGE: the shared library is known to the loader, or the package is installed.
  if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -F "$1" >/dev/null; then
    return 0
  fi
  if command -v dpkg-query >/dev/null 2>&1 \
     && [ "$(dpkg-query -W -f='${Status}' "$2" 2>/dev/null || true)" = "install ok installed" ]; then
    return 0
  fi
  return 1
}

missing_packages() {
  local pkgs=()
  command -v dot >/dev/null 2>&1 || pkgs+=(graphviz)
  command -v fc-list >/dev/null 2>&1 || pkgs+=(fontconfig)
  if ! command -v fc-list >/dev/null 2>&1 || ! fc-list : family 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
    pkgs+=(fonts-noto-cjk)
  fi
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
  if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdffonts >/dev/null 2>&1; then
    pkgs+=(poppler-utils)
  fi
  have_lib libpango-1.0.so.0 libpango-1.0-0 || pkgs+=(libpango-1.0-0)
  have_lib libpangoft2-1.0.so.0 libpangoft2-1.0-0 || pkgs+=(libpangoft2-1.0-0)
  have_lib libharfbuzz-subset.so.0 libharfbuzz-subset0 || pkgs+=(libharfbuzz-subset0)
  command -v java >/dev/null 2>&1 || pkgs+=(default-jre-headless)
  # `python3 -m venv` needs ensurepip; Debian's own python3 ships it separately.
  if [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(command -v "$PYTHON" || true)" = /usr/bin/python3 ]; then pkgs+=(python3-venv); fi
  fi
  [ "${#pkgs[@]}" -eq 0 ] || printf '%s\n' "${pkgs[@]}"
}

system_packages() {
  if [ "${STRATLANG_SKIP_SYSTEM:-}" = 1 ]; then
    say "system packages: skipped (STRATLANG_SKIP_SYSTEM=1)"
    return
  fi
  local missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "system packages: all present"
    return
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    warn "missing system packages: ${missing[*]}"
    warn "install them with:"
    warn "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    warn "continuing; the tests that need them will fail until they are installed"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "${STRATLANG_APT_UPDATED:-}" != 1 ]; then
    say "apt-get update"
    run_logged apt-get update -qq
    export STRATLANG_APT_UPDATED=1
  fi
  say "apt-get install ${missing[*]}"
  run_logged apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Fonts installed just now must be visible to fontconfig (WeasyPrint, Graphviz, Chromium).
  if command -v fc-cache >/dev/null 2>&1; then fc-cache -f >/dev/null 2>&1 || true; fi
  local still
  mapfile -t still < <(missing_packages)
  [ "${#still[@]}" -eq 0 ] || die "still missing after apt-get install: ${still[*]}"
}

# ------------------------------------------------------------------------------ virtual environment

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1
}

python_env() {
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (Python 3.11 or newer is required)"
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); Python 3.11 or newer is required"

  if ! venv_ok; then
    if [ -e "$VENV" ]; then
      say "recreating broken .venv"
      rm -rf "$VENV"
    fi
    say "creating .venv with $("$PYTHON" -V 2>&1)"
    run_logged "$PYTHON" -m venv "$VENV"
  fi

  # The stamp covers what an install depends on: the dependency list, the interpreter, and the
  # checkout's path (an editable install points at it).
  local want have=""
  want="$(
    {
      cat pyproject.toml
      "$VENV/bin/python" -c 'import sys; print(sys.version)'
      printf '%s\n' "$ROOT"
    } | sha256sum | cut -d' ' -f1
  )"
  [ -f "$STAMP" ] && have="$(cat "$STAMP")"
  if [ "$want" = "$have" ] && [ -x "$VENV/bin/stratlang" ] && [ -x "$VENV/bin/pytest" ]; then
    say "python packages: up to date"
    return
  fi
  say "pip install -e '.[dev]' (first run downloads PySpark; this takes a while)"
  rm -f "$STAMP"
  local pipq=()
  [ "$QUIET" = 1 ] && pipq=(-q)
  run_logged "$VENV/bin/python" -m pip install "${pipq[@]}" --disable-pip-version-check -e '.[dev]'
  printf '%s\n' "$want" >"$STAMP"
}

# ------------------------------------------------------------------------------ main

main() {
  # Two set-ups at once (say `make demo` and `make test` in parallel) must not race on .venv.
  if command -v flock >/dev/null 2>&1; then
    local lock
    lock="${TMPDIR:-/tmp}/stratlang-setup-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).lock"
    if { exec 9>"$lock"; } 2>/dev/null; then flock 9 || true; fi
  fi
  system_packages
  python_env
  # Bytecode for stratlang's own modules: without it every `stratlang` process compiles ~150
  # modules from source (~60 ms) when PYTHONDONTWRITEBYTECODE is set, as on some CI machines.
  # Quick when nothing changed (only stale files are compiled again).
  "$VENV/bin/python" -m compileall -q stratlang >/dev/null || true
  say "ready: .venv/bin/stratlang, .venv/bin/pytest"
}

main "$@"
