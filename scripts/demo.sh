#!/usr/bin/env bash
# See doris-sync work, end to end, on this machine: a throwaway MariaDB with a small shop
# database, the Doris stand-in, and doris-sync between them. Everything runs on loopback
# ports and is removed at the end.
#
#   scripts/demo.sh          run the demo
#   KEEP=1 scripts/demo.sh   leave the servers running and print how to reach them
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# MariaDB is the one thing the demo needs from Debian.
if ! command -v mariadbd >/dev/null || ! command -v mariadb >/dev/null; then
  step "installing MariaDB (mariadb-server-core, mariadb-client-core)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends mariadb-server-core mariadb-client-core >/dev/null
fi

work=$(mktemp -d /tmp/doris-sync-demo.XXXXXX)
pids=()
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo "servers left running (KEEP=1); data in $work; stop with: kill ${pids[*]}"
    return
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A loopback port nobody listens on (no python needed on a fresh machine).
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }

step "building doris-sync and the Doris stand-in"
run go build -o "$work/doris-sync" ./cmd/doris-sync
run go build -o "$work/doris-standin" ./testkit/doris/cmd/doris-standin

step "starting a throwaway MariaDB (binlog ROW, full row image and metadata, GTID)"
mport=$(free_port)
root=(); [ "$(id -u)" = 0 ] && root=(--user=root)
mariadb-install-db --no-defaults "${root[@]}" --datadir="$work/mdb" --auth-root-authentication-method=normal \
  --skip-test-db --skip-name-resolve --innodb-log-file-size=8M >"$work/install.log" 2>&1
mariadbd --no-defaults "${root[@]}" --datadir="$work/mdb" --socket="$work/mdb.sock" --port="$mport" \
  --bind-address=127.0.0.1 --log-error="$work/mdb.err" --server-id=1 --log-bin="$work/mdb/binlog" \
  --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL --character-set-server=utf8mb4 \
  --collation-server=utf8mb4_unicode_ci --innodb-log-file-size=8M --innodb-buffer-pool-size=64M \
  --skip-name-resolve &
pids+=($!)
ready=0
for _ in $(seq 600); do
  mariadb --no-defaults -uroot -h127.0.0.1 -P"$mport" -e 'select 1' >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.1
done
if [ $ready != 1 ]; then
  echo "demo: MariaDB did not start within 60 s; its log says:" >&2
  tail -n 20 "$work/mdb.err" >&2
  exit 1
fi
sql() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot -h127.0.0.1 -P"$mport" "$@"; }
sql <<'SQL'
CREATE DATABASE shop;
USE shop;
CREATE TABLE customers (
  id INT UNSIGNED PRIMARY KEY AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL COMMENT 'full name',
  email VARCHAR(255) UNIQUE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) COMMENT 'who buys';
CREATE TABLE orders (
  id BIGINT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount DECIMAL(12,2) NOT NULL DEFAULT 0,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  note TEXT,
  attrs JSON
);
CREATE TABLE audit_log (ts TIMESTAMP(6) NOT NULL, msg VARCHAR(1000));
INSERT INTO customers (name, email) VALUES ('Ada Lovelace','ada@example.com'), ('Grace Hopper','grace@example.com'), ('Émile Zola', NULL);
INSERT INTO orders VALUES (1, 1, 12.50, 'paid', 'first', '{"gift": true}'), (2, 2, 99.99, 'new', NULL, NULL), (3, 1, 0.01, 'shipped', 'it''s here', '[1,2]');
INSERT INTO audit_log VALUES (NOW(6), 'demo started');
SQL
echo "MariaDB on 127.0.0.1:$mport with database shop (customers, orders, audit_log)"

step "starting the Doris stand-in"
"$work/doris-standin" --http 127.0.0.1:0 --mysql 127.0.0.1:0 >"$work/standin.json" 2>"$work/standin.err" &
pids+=($!)
for _ in $(seq 300); do [ -s "$work/standin.json" ] && break; sleep 0.1; done
[ -s "$work/standin.json" ] || { echo "demo: the Doris stand-in did not start:" >&2; cat "$work/standin.err" >&2; exit 1; }
http=$(json_field http "$work/standin.json")
dmysql=$(json_field mysql "$work/standin.json")
echo "Doris stand-in: FE HTTP $http, MySQL protocol $dmysql"
doris() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot -h127.0.0.1 -P"${dmysql##*:}" --skip-ssl "$@"; }

common=(mysql-sync-database --database ods --table-prefix ods_
  --mysql-conf hostname=127.0.0.1 --mysql-conf "port=$mport" --mysql-conf username=root
  --mysql-conf database-name=shop
  --sink-conf "fenodes=$http" --sink-conf "jdbc-url=jdbc:mysql://$dmysql" --sink-conf username=root
  --table-conf replication_num=1 --table-conf 'table-buckets=ods_orders:4,.*:2'
  --state-dir "$work/state")

step "the plan, without touching anything (--dry-run)"
set +e
"$work/doris-sync" "${common[@]}" --dry-run
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "(doris-sync exited $rc: this capability has not landed yet — see README 'Status')"
  exit 0
fi

step "creating the Doris tables (--create-table-only)"
run "$work/doris-sync" "${common[@]}" --create-table-only

step "what Doris now has"
doris -e 'SHOW TABLES FROM ods'
doris -e 'SHOW CREATE TABLE ods.ods_orders\G'

step "copying the data and catching up with the binlog (--stop-when-caught-up)"
set +e
"$work/doris-sync" "${common[@]}" --stop-when-caught-up
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "(doris-sync exited $rc: the MySQL source has not landed yet — see README 'Status')"
  exit 0
fi
doris -e 'SELECT * FROM ods.ods_orders'
doris -e 'SELECT COUNT(*) FROM ods.ods_customers'

step "changing the source: update, delete, insert, and a new column"
sql shop <<'SQL'
UPDATE orders SET status = 'shipped', amount = 13.75 WHERE id = 1;
DELETE FROM orders WHERE id = 2;
ALTER TABLE orders ADD COLUMN shipped_at DATETIME(3) NULL;
INSERT INTO orders VALUES (4, 3, 250.00, 'paid', 'après-midi ☕', '{"gift": false}', '2026-11-21 10:00:00.250');
SQL

step "the next cron run resumes from the checkpoint and applies exactly those changes"
run "$work/doris-sync" "${common[@]}" --stop-when-caught-up
doris -e 'SELECT * FROM ods.ods_orders'

step "where the job stands (doris-sync status)"
run "$work/doris-sync" status --state-dir "$work/state"
