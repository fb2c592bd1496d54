#!/usr/bin/env bash
# The one test command: installs what is missing on a fresh Debian 12 machine, then runs
# go vet, a gofmt check and every test (unit tests, the Doris stand-in's tests, and the
# integration tests against real MariaDB, PostgreSQL and — where it can be built — MySQL 9).
#
#   scripts/test.sh              everything
#   scripts/test.sh ./sink/...   only these packages (after the same set-up)
#
# Environment:
#   DORIS_SYNC_TEST_MYSQL=0      do not try to build/use the MySQL 9 chroot
#   DORIS_SYNC_MYSQL_CHROOT=DIR  where the MySQL 9 chroot lives (default /var/cache/doris-sync/mysql-sid)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
say() { printf '[test.sh +%ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
command -v go >/dev/null || { echo "test.sh: Go 1.26+ is required (expected at /usr/local/go)" >&2; exit 2; }

# --- system packages ------------------------------------------------------------------
PG_BIN=/usr/lib/postgresql/15/bin
need=()
command -v mariadbd >/dev/null || need+=(mariadb-server-core)
command -v mariadb >/dev/null && command -v my_print_defaults >/dev/null || need+=(mariadb-client-core)
[ -x "$PG_BIN/postgres" ] || need+=(postgresql-15)
command -v psql >/dev/null || need+=(postgresql-client-15)
id postgres >/dev/null 2>&1 || need+=(postgresql-common)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "test.sh: missing packages ${need[*]} and not root (no sudo)" >&2; exit 2; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
say "mariadbd $(mariadbd --version | awk '{print $3}'), postgres $("$PG_BIN/postgres" --version | awk '{print $3}')"

# --- optional MySQL 9 (Debian sid chroot), built in the background while Go compiles ---
MYSQL_CHROOT="${DORIS_SYNC_MYSQL_CHROOT:-/var/cache/doris-sync/mysql-sid}"
mysql_pid=""
mysql_log=$(mktemp /tmp/doris-sync-mysql-chroot.XXXXXX)
if [ "${DORIS_SYNC_TEST_MYSQL:-auto}" != 0 ] && [ "$(id -u)" = 0 ]; then
  bash scripts/mysql-chroot.sh "$MYSQL_CHROOT" >"$mysql_log" 2>&1 &
  mysql_pid=$!
fi

# --- Go -------------------------------------------------------------------------------
say "go mod download"
go mod download
say "go vet ./..."
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "test.sh: gofmt would change:" $unformatted >&2
  exit 1
fi

if [ -n "$mysql_pid" ]; then
  if wait "$mysql_pid"; then
    export DORIS_SYNC_TEST_MYSQL=1 DORIS_SYNC_MYSQL_CHROOT="$MYSQL_CHROOT"
    say "MySQL 9 chroot ready: $(tail -n 1 "$mysql_log")"
  else
    echo "################################################################################" >&2
    echo "## test.sh: could NOT build the MySQL 9 chroot; MySQL integration tests will be" >&2
    echo "## SKIPPED. MariaDB and PostgreSQL tests still run. Last lines of the build log:" >&2
    tail -n 15 "$mysql_log" | sed 's/^/##   /' >&2
    echo "################################################################################" >&2
    unset DORIS_SYNC_TEST_MYSQL
  fi
else
  say "MySQL 9 tests disabled (DORIS_SYNC_TEST_MYSQL=0 or not root)"
fi
rm -f "$mysql_log"

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
say "go test ${pkgs[*]}"
go test -count=1 -timeout 20m "${pkgs[@]}"
say "done"
