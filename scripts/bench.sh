#!/usr/bin/env bash
# Benchmarks of doris-sync against same-run baselines (issue 8): how fast the source itself
# hands the same data out, measured on the same machine in the same run. Starts a throwaway
# MariaDB and PostgreSQL and the Doris stand-in in discard mode (accepts loads, counts rows,
# stores nothing) on loopback ports, generates the data, runs every scenario BENCH_RUNS
# times and prints one table (median, min–max, ratio, throughput, peak RSS, target).
# Everything it starts is stopped and its data removed on exit. Not part of scripts/test.sh.
#
#   scripts/bench.sh                   full scale: 2 M rows, 1 M changes, 60 s latency, 3 runs
#   BENCH_QUICK=1 scripts/bench.sh     smoke run, about two minutes
#
# Environment (defaults in brackets; BENCH_QUICK=1 lowers the sizes):
#   BENCH_ROWS [2000000]       rows of the snapshot tables
#   BENCH_CHANGES [1000000]    row changes per CDC run (transactions of 100)
#   BENCH_RUNS [3]             runs of each scenario
#   BENCH_LAT_RATE [5000]      rows/s of the latency writer
#   BENCH_LAT_SECONDS [60]     length of its steady phase
#   BENCH_SCENARIOS            any of: snap-mariadb snap-postgres cdc-mariadb cdc-postgres latency [all]
#   BENCH_DS_ARGS              extra doris-sync flags for every run, for what-if runs
#                              (e.g. "--snapshot-parallelism 2" or "--sink-conf sink.buffer-flush.max-bytes=32mb");
#                              doris-sync's environment passes through too (e.g. GOMEMLIMIT=200MiB)
#   BENCH_PROFILE [0]          1: one more run of each throughput scenario with a CPU profile
#                              (pprof -top into BENCH_OUT); the timed runs are never profiled
#   BENCH_OUT                  where results.tsv, table.md, logs and profiles go
#                              [/tmp/doris-sync-bench-DATE]
#   BENCH_KEEP [0]             1: leave the servers' data directories behind
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
repo=$(pwd)

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  : "${BENCH_ROWS:=100000}" "${BENCH_CHANGES:=50000}" "${BENCH_RUNS:=1}" "${BENCH_LAT_SECONDS:=10}"
fi
ROWS=${BENCH_ROWS:-2000000}
CHANGES=${BENCH_CHANGES:-1000000}
RUNS=${BENCH_RUNS:-3}
LAT_RATE=${BENCH_LAT_RATE:-5000}
LAT_SECONDS=${BENCH_LAT_SECONDS:-60}
SCENARIOS=${BENCH_SCENARIOS:-snap-mariadb snap-postgres cdc-mariadb cdc-postgres latency}
PROFILE=${BENCH_PROFILE:-0}
read -r -a DS_ARGS <<<"${BENCH_DS_ARGS:-}"
OUT=${BENCH_OUT:-/tmp/doris-sync-bench-$(date +%Y%m%d-%H%M%S)}
TXNS=$(( CHANGES / 100 ))
[ "$TXNS" -ge 1 ] || { echo "bench.sh: BENCH_CHANGES must be at least 100" >&2; exit 2; }
CHANGES=$(( TXNS * 100 ))
PG_BIN=/usr/lib/postgresql/15/bin

start=$(date +%s)
say() { printf '[bench.sh +%ss] %s\n' "$(( $(date +%s) - start ))" "$*" >&2; }
die() { echo "bench.sh: $*" >&2; exit 1; }
wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# --- what it needs ----------------------------------------------------------------------
need=()
command -v mariadbd >/dev/null || need+=(mariadb-server-core)
command -v mariadb >/dev/null || need+=(mariadb-client-core)
command -v mariadb-dump >/dev/null && command -v mariadb-binlog >/dev/null || need+=(mariadb-client)
[ -x "$PG_BIN/postgres" ] || need+=(postgresql-15)
command -v psql >/dev/null || need+=(postgresql-client-15)
[ -x /usr/bin/time ] || need+=(time)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- scratch space, servers, cleanup -----------------------------------------------------
work=$(mktemp -d /tmp/dsb.XXXXXX)
chmod 755 "$work"
mkdir -p "$OUT/logs"
results="$OUT/results.tsv"
: >"$results"
mdb_pid="" standin_pid="" pg_started="" bg_pid=""
as_pg=(); [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
cleanup() {
  set +e
  if [ -n "$bg_pid" ]; then # a background doris-sync, possibly under /usr/bin/time
    kill $(cat "/proc/$bg_pid/task/$bg_pid/children" 2>/dev/null) "$bg_pid" 2>/dev/null
    wait "$bg_pid" 2>/dev/null
  fi
  [ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null && wait "$standin_pid" 2>/dev/null
  [ -n "$mdb_pid" ] && kill "$mdb_pid" 2>/dev/null && wait "$mdb_pid" 2>/dev/null
  [ -n "$pg_started" ] && "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "data left in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nobody listens on, below the ephemeral range (32768+), where a port can
# also be held by some outgoing connection.
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 12000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"; }

say "building doris-sync, the stand-in and benchtool"
go build -o "$work/doris-sync" ./cmd/doris-sync
go build -o "$work/doris-standin" ./testkit/doris/cmd/doris-standin
go build -o "$work/benchtool" ./bench/cmd/benchtool
bt="$work/benchtool"

mport=$(free_port)
if wants snap-mariadb || wants cdc-mariadb || wants latency; then
  say "starting MariaDB on 127.0.0.1:$mport"
  root=(); [ "$(id -u)" = 0 ] && root=(--user=root)
  mariadb-install-db --no-defaults "${root[@]}" --datadir="$work/mdb" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --innodb-log-file-size=8M >"$OUT/logs/mariadb-install.log" 2>&1
  # Buffer pool large enough for the snapshot table: both doris-sync and mariadb-dump read
  # from memory. Binlog as doris-sync needs it (ROW, FULL image, FULL metadata).
  mariadbd --no-defaults "${root[@]}" --datadir="$work/mdb" --socket="$work/mdb.sock" --port="$mport" \
    --pid-file="$work/mdb.pid" --bind-address=127.0.0.1 --log-error="$OUT/logs/mariadb.err" --skip-name-resolve \
    --server-id=1 --log-bin="$work/mdb/binlog" --binlog-format=ROW --binlog-row-image=FULL \
    --binlog-row-metadata=FULL --sync-binlog=0 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --innodb-buffer-pool-size=1G --innodb-log-file-size=512M --innodb-flush-log-at-trx-commit=2 \
    --innodb-doublewrite=0 --max-connections=200 >>"$OUT/logs/mariadb.err" 2>&1 &
  mdb_pid=$!
  for _ in $(seq 300); do mariadb --no-defaults -uroot -h127.0.0.1 -P"$mport" -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
  mariadb --no-defaults -uroot -h127.0.0.1 -P"$mport" -e 'select 1' >/dev/null || die "MariaDB did not start: $(tail -5 "$OUT/logs/mariadb.err")"
fi
msql() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$mport" --skip-ssl -N -B "$@"; }
mdsn() { echo "root@tcp(127.0.0.1:$mport)/$1"; }

pport=$(free_port)
if wants snap-postgres || wants cdc-postgres; then
  say "starting PostgreSQL on 127.0.0.1:$pport"
  mkdir -p "$work/pg"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$work/pg"
  "${as_pg[@]}" "$PG_BIN/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$OUT/logs/initdb.log" 2>&1
  # synchronous_commit stays on: logical decoding only hands out flushed WAL. No autovacuum:
  # it would put its own work into the measured runs after each million changes.
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $pport -k $work/pg -c wal_level=logical -c max_replication_slots=20 \
        -c max_wal_senders=20 -c fsync=off -c full_page_writes=off -c shared_buffers=1GB -c max_wal_size=8GB \
        -c max_connections=200 -c autovacuum=off" >/dev/null
  pg_started=1
  psql -X -q -h 127.0.0.1 -p "$pport" -U postgres -d postgres -c 'CREATE DATABASE benchdb' >/dev/null
fi
pg_pid() { head -1 "$work/pg/data/postmaster.pid"; }
psq() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pport" -U postgres -d benchdb "$@"; }
pdsn="postgres://postgres@127.0.0.1:$pport/benchdb?sslmode=disable"

# start_standin: a fresh stand-in in discard mode for each scenario.
start_standin() {
  if [ -n "$standin_pid" ]; then kill "$standin_pid"; wait "$standin_pid" 2>/dev/null || true; fi
  : >"$work/standin.json"
  "$work/doris-standin" --discard --http 127.0.0.1:0 --mysql 127.0.0.1:0 >"$work/standin.json" 2>>"$OUT/logs/standin.err" &
  standin_pid=$!
  for _ in $(seq 100); do [ -s "$work/standin.json" ] && break; sleep 0.05; done
  http=$(json_field http "$work/standin.json")
  dmysql=$(json_field mysql "$work/standin.json")
  [ -n "$http" ] || die "the stand-in did not start: $(tail -5 "$OUT/logs/standin.err")"
}
loaded() { "$bt" loaded -standin "http://$http" -db "$1" -table "$2"; }

sink_args() { echo --sink-conf "fenodes=$http" --sink-conf "jdbc-url=jdbc:mysql://$dmysql" --sink-conf username=root --table-conf replication_num=1; }
my_args() { # DB TABLE
  echo mysql-sync-database --mysql-conf hostname=127.0.0.1 --mysql-conf "port=$mport" --mysql-conf username=root \
    --mysql-conf "database-name=$1" --including-tables "$2" $(sink_args) --progress off ${DS_ARGS[@]+"${DS_ARGS[@]}"}
}
pg_args() { # TABLE SLOT PUBLICATION
  echo postgres-sync-database --postgres-conf hostname=127.0.0.1 --postgres-conf "port=$pport" \
    --postgres-conf username=postgres --postgres-conf database-name=benchdb --postgres-conf schema-name=public \
    --postgres-conf "slot.name=$2" --postgres-conf "publication.name=$3" --including-tables "$1" $(sink_args) --progress off \
    ${DS_ARGS[@]+"${DS_ARGS[@]}"}
}

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# CPU ticks a process tree used so far: the process's own and its reaped children's
# (fields 14-17 of /proc/PID/stat), plus its live (or not yet reaped) children's, which
# covers PostgreSQL's backends and walsenders as well as the one mariadbd process.
cpu_ticks() {
  local kids
  kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
  {
    awk '{print $14+$15+$16+$17}' "/proc/$1/stat"
    for k in $kids; do awk '{print $14+$15}' "/proc/$k/stat" 2>/dev/null || true; done
  } | awk '{t+=$1} END {print t}'
}
server_pid() { case $1 in *mariadb*) echo "$mdb_pid" ;; *) pg_pid ;; esac; }

# measure SCENARIO SUBJECT RUN LOG CMD…: wall time (ns clock), peak RSS (/usr/bin/time,
# the command's own), CPU of the command, of the source server and of the stand-in.
# stdout goes to /dev/null (the baselines' dumps), stderr to LOG.
measure() {
  local sc=$1 subj=$2 run=$3 log=$4; shift 4
  local spid c0 c1 s0 s1 t0 t1 tick
  spid=$(server_pid "$sc"); tick=$(getconf CLK_TCK)
  sleep 0.2 # lets the server reap the backend of the previous command
  c0=$(cpu_ticks "$spid"); s0=$(cpu_ticks "$standin_pid")
  t0=$(date +%s%N)
  if ! /usr/bin/time -f '%M %U %S' -o "$work/time.out" "$@" >/dev/null 2>"$log"; then
    tail -20 "$log" >&2
    die "$sc $subj run $run failed: $* (log: $log)"
  fi
  t1=$(date +%s%N)
  sleep 0.2 # lets the server reap the backend that served the command
  c1=$(cpu_ticks "$spid"); s1=$(cpu_ticks "$standin_pid")
  read -r rss usr sys < <(tail -1 "$work/time.out")
  record "$sc" "$subj" "$run" seconds "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')"
  record "$sc" "$subj" "$run" rss_kb "$rss"
  record "$sc" "$subj" "$run" cpu_s "$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')"
  record "$sc" "$subj" "$run" server_cpu_s "$(awk -v a="$c0" -v b="$c1" -v t="$tick" 'BEGIN{printf "%.2f", (b-a)/t}')"
  record "$sc" "$subj" "$run" standin_cpu_s "$(awk -v a="$s0" -v b="$s1" -v t="$tick" 'BEGIN{printf "%.2f", (b-a)/t}')"
  say "  $sc $subj run $run: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}') s, peak RSS $(( rss / 1024 )) MB"
}

# profile SCENARIO SECONDS CMD…: run doris-sync once more with its profiler on
# (--metrics-addr … --pprof) and take a CPU profile of SECONDS (just under a timed run's
# length); pprof -top goes to BENCH_OUT.
profile() {
  local sc=$1 secs=$2; shift 2
  local addr="127.0.0.1:$(free_port)"
  "$work/doris-sync" "$@" --metrics-addr "$addr" --pprof >/dev/null 2>"$OUT/logs/$sc-profile.log" &
  bg_pid=$!
  for _ in $(seq 200); do curl -sf "http://$addr/debug/pprof/" >/dev/null 2>&1 && break; sleep 0.02; done
  curl -sf -o "$OUT/$sc.cpu.pprof" "http://$addr/debug/pprof/profile?seconds=$secs" || say "  (no CPU profile for $sc: the run ended first)"
  curl -sf -o "$OUT/$sc.heap.pprof" "http://$addr/debug/pprof/heap" || true
  wait "$bg_pid" || die "$sc profiled run failed (log: $OUT/logs/$sc-profile.log)"
  bg_pid=""
  if [ -s "$OUT/$sc.cpu.pprof" ]; then
    go tool pprof -top -nodecount=35 "$work/doris-sync" "$OUT/$sc.cpu.pprof" >"$OUT/$sc.cpu.top.txt" 2>/dev/null
    go tool pprof -top -cum -nodecount=35 "$work/doris-sync" "$OUT/$sc.cpu.pprof" >"$OUT/$sc.cpu.cum.txt" 2>/dev/null
    say "  CPU profile of $sc: $OUT/$sc.cpu.top.txt"
  fi
}

# profile_secs SCENARIO: the median wall time of doris-sync's timed runs, minus one second
# (at least 1), for the length of the CPU profile.
profile_secs() {
  awk -F'\t' -v s="$1" '$1==s && $2=="doris-sync" && $4=="seconds" {print $5}' "$results" | sort -n |
    awk '{v[NR]=$1} END {p=int(v[int((NR+1)/2)]-1); if (p<1) p=1; print p}'
}

expect_rows() { # WHAT GOT WANT
  [ "$2" = "$3" ] || die "$1: the stand-in received $2 rows, expected $3"
}

# --- 1. MariaDB snapshot --------------------------------------------------------------------
if wants snap-mariadb; then
  say "1. MariaDB snapshot: generating $ROWS rows (not in the binlog)"
  msql -e 'CREATE DATABASE snapdb'
  "$bt" gen -dialect mariadb -dsn "$(mdsn snapdb)" -no-binlog create snap
  "$bt" gen -dialect mariadb -dsn "$(mdsn snapdb)" -no-binlog fill snap 1 "$ROWS"
  msql snapdb -e 'ANALYZE TABLE snap' >/dev/null
  dump_bytes=$(mariadb-dump --no-defaults --skip-ssl -uroot -h127.0.0.1 -P"$mport" --quick --single-transaction snapdb snap | wc -c)
  say "  dump of snap: $dump_bytes bytes, $(( dump_bytes / ROWS )) B/row (this read also warms the buffer pool)"
  record snap-mariadb info 0 dump_bytes "$dump_bytes"
  start_standin
  for r in $(seq "$RUNS"); do
    # A new job and Doris database each run, so every run is the same full snapshot.
    measure snap-mariadb doris-sync "$r" "$OUT/logs/snap-mariadb-$r.log" \
      "$work/doris-sync" $(my_args snapdb snap) --database "snap_my_$r" --job-name "bench-snap-my-$r" \
      --state-dir "$work/state" --stop-when-caught-up
    record snap-mariadb doris-sync "$r" count "$ROWS"
    expect_rows "MariaDB snapshot run $r" "$(loaded "snap_my_$r" snap)" "$ROWS"
    measure snap-mariadb baseline "$r" "$OUT/logs/snap-mariadb-dump-$r.log" \
      mariadb-dump --no-defaults --skip-ssl -uroot -h127.0.0.1 -P"$mport" --quick --single-transaction snapdb snap
  done
  if [ "$PROFILE" = 1 ]; then
    profile snap-mariadb "$(profile_secs snap-mariadb)" $(my_args snapdb snap) --database snap_my_prof \
      --job-name bench-snap-my-prof --state-dir "$work/state" --stop-when-caught-up
  fi
fi

# --- 2. PostgreSQL snapshot -----------------------------------------------------------------
if wants snap-postgres; then
  say "2. PostgreSQL snapshot: generating $ROWS rows"
  "$bt" gen -dialect postgres -dsn "$pdsn" create snap
  "$bt" gen -dialect postgres -dsn "$pdsn" fill snap 1 "$ROWS"
  psq -c 'VACUUM ANALYZE snap'
  psq -c "\\copy snap TO '/dev/null'" >/dev/null # sets hint bits and warms shared buffers
  start_standin
  for r in $(seq "$RUNS"); do
    measure snap-postgres doris-sync "$r" "$OUT/logs/snap-postgres-$r.log" \
      "$work/doris-sync" $(pg_args snap "bench_snap_$r" bench_snap_pub) --database "snap_pg_$r" \
      --job-name "bench-snap-pg-$r" --state-dir "$work/state" --stop-when-caught-up
    record snap-postgres doris-sync "$r" count "$ROWS"
    expect_rows "PostgreSQL snapshot run $r" "$(loaded "snap_pg_$r" snap)" "$ROWS"
    psq -c "SELECT pg_drop_replication_slot('bench_snap_$r')" >/dev/null
    measure snap-postgres baseline "$r" "$OUT/logs/snap-postgres-copy-$r.log" \
      psql -X -h 127.0.0.1 -p "$pport" -U postgres -d benchdb -c "\\copy snap TO '/dev/null'"
  done
  if [ "$PROFILE" = 1 ]; then
    profile snap-postgres "$(profile_secs snap-postgres)" $(pg_args snap bench_snap_prof bench_snap_pub) \
      --database snap_pg_prof --job-name bench-snap-pg-prof --state-dir "$work/state" --stop-when-caught-up
    psq -c "SELECT pg_drop_replication_slot('bench_snap_prof')" >/dev/null
  fi
fi

# --- 3. MariaDB CDC -------------------------------------------------------------------------
if wants cdc-mariadb; then
  say "3. MariaDB CDC: $CHANGES changes a run in transactions of 100 (60 inserts, 25 updates, 15 deletes)"
  msql -e 'CREATE DATABASE cdcdb'
  "$bt" gen -dialect mariadb -dsn "$(mdsn cdcdb)" workload cdc
  start_standin
  cdc_my=($(my_args cdcdb cdc) --database cdc_my --job-name bench-cdc-my --state-dir "$work/state" --stop-when-caught-up)
  # First run: the snapshot of the 60 seed rows; every later run only streams.
  "$work/doris-sync" "${cdc_my[@]}" >/dev/null 2>"$OUT/logs/cdc-mariadb-0.log" || die "cdc-mariadb first run failed"
  runs=$RUNS; [ "$PROFILE" = 1 ] && runs=$(( RUNS + 1 ))
  for r in $(seq "$runs"); do
    msql -e 'FLUSH BINARY LOGS'
    first=$(msql -e 'SHOW MASTER STATUS' | cut -f1)
    say "  run $r: writing $CHANGES changes into the binlog"
    "$bt" gen -dialect mariadb -dsn "$(mdsn cdcdb)" changes cdc $(( (r - 1) * TXNS )) "$TXNS"
    msql -e 'FLUSH BINARY LOGS'
    last=$(msql -e 'SHOW MASTER STATUS' | cut -f1)
    files=()
    while read -r f _; do
      [[ "$f" < "$first" || ! "$f" < "$last" ]] || files+=("$work/mdb/$f")
    done < <(msql -e 'SHOW BINARY LOGS')
    before=$(loaded cdc_my cdc)
    if [ "$r" -gt "$RUNS" ]; then
      profile cdc-mariadb "$(profile_secs cdc-mariadb)" "${cdc_my[@]}"
      continue
    fi
    measure cdc-mariadb doris-sync "$r" "$OUT/logs/cdc-mariadb-$r.log" "$work/doris-sync" "${cdc_my[@]}"
    record cdc-mariadb doris-sync "$r" count "$CHANGES"
    expect_rows "MariaDB CDC run $r" "$(( $(loaded cdc_my cdc) - before ))" "$CHANGES"
    measure cdc-mariadb baseline "$r" "$OUT/logs/cdc-mariadb-binlog-$r.log" mariadb-binlog --no-defaults --verbose "${files[@]}"
  done
  record cdc-mariadb info 0 binlog_bytes "$(du -cb "${files[@]}" | tail -1 | cut -f1)"
fi

# --- 4. PostgreSQL CDC ----------------------------------------------------------------------
if wants cdc-postgres; then
  say "4. PostgreSQL CDC: $CHANGES changes a run in transactions of 100"
  "$bt" gen -dialect postgres -dsn "$pdsn" workload cdc
  psq -c 'CREATE PUBLICATION bench_cdc_pub FOR TABLE cdc'
  start_standin
  cdc_pg=($(pg_args cdc bench_cdc bench_cdc_pub) --database cdc_pg --job-name bench-cdc-pg --state-dir "$work/state" --stop-when-caught-up)
  "$work/doris-sync" "${cdc_pg[@]}" >/dev/null 2>"$OUT/logs/cdc-postgres-0.log" || die "cdc-postgres first run failed"
  # The baselines read the same changes from slots of their own on the same publication:
  # pg_recvlogical streams them over the replication protocol like doris-sync (the table's
  # baseline); pg_logical_slot_get_binary_changes only decodes them inside the server (a
  # floor, recorded as info).
  psq -c "SELECT pg_create_logical_replication_slot('bench_cdc_base', 'pgoutput')" >/dev/null
  psq -c "SELECT pg_create_logical_replication_slot('bench_cdc_sql', 'pgoutput')" >/dev/null
  runs=$RUNS; [ "$PROFILE" = 1 ] && runs=$(( RUNS + 1 ))
  for r in $(seq "$runs"); do
    say "  run $r: writing $CHANGES changes"
    "$bt" gen -dialect postgres -dsn "$pdsn" changes cdc $(( (r - 1) * TXNS )) "$TXNS"
    end_lsn=$(psq -c 'SELECT pg_current_wal_lsn()')
    before=$(loaded cdc_pg cdc)
    if [ "$r" -gt "$RUNS" ]; then
      profile cdc-postgres "$(profile_secs cdc-postgres)" "${cdc_pg[@]}"
      continue
    fi
    measure cdc-postgres doris-sync "$r" "$OUT/logs/cdc-postgres-$r.log" "$work/doris-sync" "${cdc_pg[@]}"
    record cdc-postgres doris-sync "$r" count "$CHANGES"
    expect_rows "PostgreSQL CDC run $r" "$(( $(loaded cdc_pg cdc) - before ))" "$CHANGES"
    measure cdc-postgres baseline "$r" "$OUT/logs/cdc-postgres-recvlogical-$r.log" \
      pg_recvlogical -h 127.0.0.1 -p "$pport" -U postgres -d benchdb --slot bench_cdc_base --start \
      --endpos "$end_lsn" -o proto_version=1 -o publication_names=bench_cdc_pub --no-loop -f /dev/null
    t0=$(date +%s%N)
    psq -c "SELECT count(*) FROM pg_logical_slot_get_binary_changes('bench_cdc_sql', '$end_lsn', NULL, 'proto_version', '1', 'publication_names', 'bench_cdc_pub')" >/dev/null
    t1=$(date +%s%N)
    record cdc-postgres info "$r" sql_decode_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')"
  done
  psq -c "SELECT pg_drop_replication_slot('bench_cdc_base')" -c "SELECT pg_drop_replication_slot('bench_cdc_sql')" >/dev/null
fi

# --- 5. latency -----------------------------------------------------------------------------
if wants latency; then
  say "5. latency: $LAT_RATE rows/s for ${LAT_SECONDS}s, commit to visible in the stand-in"
  msql -e 'CREATE DATABASE latdb'
  start_standin
  for variant in default 10s; do
    sc="latency-$variant"
    "$bt" gen -dialect mariadb -dsn "$(mdsn latdb)" create "lat_$variant"
    extra=(); [ "$variant" = 10s ] && extra=(--sink-conf sink.buffer-flush.interval=10s)
    lat=($(my_args latdb "lat_$variant") --database "lat_$variant" --job-name "bench-lat-$variant" --state-dir "$work/state" "${extra[@]}")
    "$work/doris-sync" "${lat[@]}" --stop-when-caught-up >/dev/null 2>"$OUT/logs/$sc-0.log" || die "$sc first run failed"
    for r in $(seq "$RUNS"); do
      # doris-sync streams until stopped; the writer's warm-up row proves it is streaming
      # before the steady phase starts.
      /usr/bin/time -f '%M' -o "$work/time.out" "$work/doris-sync" "${lat[@]}" >/dev/null 2>"$OUT/logs/$sc-$r.log" &
      bg_pid=$!
      if ! "$bt" latency -dsn "$(mdsn latdb)" -table "lat_$variant" -standin "http://$http" -doris-db "lat_$variant" \
        -doris-table "lat_$variant" -rate "$LAT_RATE" -duration "${LAT_SECONDS}s" >"$work/lat.out" 2>"$OUT/logs/$sc-writer-$r.log"; then
        tail -5 "$OUT/logs/$sc-writer-$r.log" >&2
        die "$sc run $r: the latency writer failed"
      fi
      # SIGTERM to doris-sync itself (the child of time), which flushes and exits 0.
      kill -TERM $(cat "/proc/$bg_pid/task/$bg_pid/children")
      wait "$bg_pid" || die "$sc run $r: doris-sync did not stop cleanly (log: $OUT/logs/$sc-$r.log)"
      bg_pid=""
      while read -r metric value; do record "$sc" doris-sync "$r" "$metric" "$value"; done <"$work/lat.out"
      record "$sc" doris-sync "$r" rss_kb "$(tail -1 "$work/time.out")"
      say "  $sc run $r: $(tr '\n\t' ' =' <"$work/lat.out")peak RSS $(( $(tail -1 "$work/time.out") / 1024 )) MB"
    done
  done
fi

# --- the table ------------------------------------------------------------------------------
"$bt" table "$results" >"$OUT/table.md"
{
  echo
  echo "doris-sync benchmark, $(date -u +%Y-%m-%dT%H:%MZ): $ROWS snapshot rows, $CHANGES changes per CDC run, latency at $LAT_RATE rows/s for ${LAT_SECONDS}s, $RUNS run(s) each"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -h | awk '/^Mem:/{print $2}') RAM"
  echo
  cat "$OUT/table.md"
  echo
  echo "results: $OUT"
}
