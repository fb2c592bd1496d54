package sync

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/config"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

func postgresSourceConf(srv *pgkit.Server, db, schemas string) []string {
	return []string{"hostname=" + srv.Host, fmt.Sprint("port=", srv.Port), "username=" + srv.ReplUser, "password=" + srv.ReplPassword,
		"database-name=" + db, "schema-name=" + schemas, "slot.name=doris_sync", "connect.max-retries=0"}
}

// postgresTables: a table of every type family (citext when the extension exists), odd
// identifiers, keys of every kind, a view, a partitioned table, two names a LIKE
// pattern would confuse, and one table sharded over two schemas.
func postgresTables(citext bool) []string {
	ci := ""
	if citext {
		ci = "ci citext, "
	}
	return []string{
		"CREATE TYPE mood AS ENUM ('happy', 'sad')",
		"CREATE DOMAIN posint AS numeric(12,2) NOT NULL CHECK (VALUE > 0)",
		"CREATE TABLE wide (" +
			"id bigserial PRIMARY KEY, s smallint DEFAULT 7, i integer NOT NULL DEFAULT -1, b bigint, " +
			"n122 numeric(12,2) DEFAULT 3.14, n numeric, n50 numeric(50,10), r real, dp double precision, m money, " +
			"t text DEFAULT 'x', vc varchar(128) DEFAULT 'it''s', vcn varchar, ch char(10), by bytea, bo boolean DEFAULT true, " +
			"d date DEFAULT '2020-01-02', tm time, ttz timetz, tsp timestamp(3), tstz timestamptz DEFAULT now(), iv interval, " +
			"u uuid, js json, jsb jsonb, ia integer[], ta text[], " +
			"mo mood DEFAULT 'happy', dom posint, ip inet, cid cidr, mac macaddr, pt point, x xml, tsv tsvector, " +
			"bv bit varying(20), b1 bit(1), b8 bit(8), " + ci + "rng int4range, tsr tstzrange, " +
			`"Mixed Case" integer, "has space" text)`,
		"COMMENT ON TABLE wide IS 'every type'",
		"COMMENT ON COLUMN wide.id IS 'row id'",
		"CREATE VIEW wide_view AS SELECT id, i FROM wide",
		`CREATE TABLE "select" ("from" integer PRIMARY KEY, "where" text)`,
		"CREATE TABLE nopk (msg text, ts timestamp, level integer)",
		"CREATE TABLE comp (a integer NOT NULL, b text, c integer NOT NULL, PRIMARY KEY (c, a))",
		"CREATE TABLE uniq_only (id integer NOT NULL, code varchar(20) NOT NULL, note text, CONSTRAINT uk_code UNIQUE (code, id))",
		"CREATE TABLE a_c (x integer)",
		"CREATE TABLE abc (y integer, z integer)",
		"CREATE TABLE events (id integer NOT NULL, at date NOT NULL, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
		"CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
		"CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
		"CREATE SCHEMA shard1", "CREATE SCHEMA shard2",
		"CREATE TABLE shard1.orders (id bigint PRIMARY KEY, total numeric(10,2))",
		"CREATE TABLE shard2.orders (id bigint PRIMARY KEY, total numeric(10,2))",
	}
}

func TestPostgresToStandIn(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	citext := true
	if _, err := srv.Conn(t, db).Exec(context.Background(), "CREATE EXTENSION IF NOT EXISTS citext"); err != nil {
		t.Logf("citext is not available (%v): its column is left out", err)
		citext = false
	}
	srv.Exec(t, db, postgresTables(citext)...)
	doris := startStandIn(t)
	a := args{
		source: postgresSourceConf(srv, db, "public|shard[12]"),
		sink:   doris.sinkConf(),
		table:  []string{"replication_num=1", "table-buckets=events:3"},
	}

	dry := runJob(t, config.Postgres, a, "dry-run", "true")
	if dry.err != nil {
		t.Fatal(dry.err)
	}
	if got := doris.databases(t); strings.Join(got, ",") != "information_schema,mysql" {
		t.Errorf("the dry run created databases: %v", got)
	}
	// Without --database the Doris database is the source database.
	mustContain(t, "the plan", dry.stdout,
		"Source tables: 10 discovered, 10 synced into 9 Doris tables.",
		"Database "+db+": missing: create",
		"Table "+db+".orders\n  from:        "+db+".shard1.orders, "+db+".shard2.orders\n  key:         UNIQUE KEY(id)\n",
		"Table "+db+".events\n  from:        "+db+".public.events\n  key:         UNIQUE KEY(id, at)\n  distributed: HASH(id, at) BUCKETS 3\n",
		"Table "+db+".comp\n  from:        "+db+".public.comp\n  key:         UNIQUE KEY(c, a)\n",
		"Table "+db+".uniq_only\n  from:        "+db+".public.uniq_only\n  key:         DUPLICATE KEY(",
	)
	if strings.Contains(dry.stdout, "events_2024") || strings.Contains(dry.stdout, "wide_view") {
		t.Errorf("partitions and views must not be planned:\n%s", dry.stdout)
	}

	cto := runJob(t, config.Postgres, a, "create-table-only", "true")
	if cto.err != nil {
		t.Fatalf("%v\nlog:\n%s", cto.err, cto.log)
	}
	if got, want := joined(cto.executed), planStatements(t, dry.stdout); got != want {
		t.Errorf("--create-table-only ran\n%s\nbut the dry run printed\n%s", got, want)
	}
	mustContain(t, "the summary", cto.stdout,
		db+".shard1.orders, "+db+".shard2.orders → "+db+".orders: created\n",
		db+".public.wide → "+db+".wide: created\n",
		"9 Doris tables: 9 created, 0 altered, 0 up to date, 0 skipped\n")

	wide := doris.showCreate(t, db, "wide")
	mustContain(t, "SHOW CREATE TABLE wide", wide,
		"UNIQUE KEY(`id`)", "COMMENT 'every type'", "BUCKETS AUTO",
		"`id` bigint NOT NULL COMMENT \"row id\"",
		"`s` smallint NULL DEFAULT \"7\"",
		"`i` int NOT NULL DEFAULT \"-1\"",
		"`n122` decimal(12,2) NULL DEFAULT \"3.14\"",
		"`n` text NULL", "`n50` text NULL",
		"`r` float NULL", "`dp` double NULL", "`m` decimal(19,2) NULL",
		"`vc` varchar(512) NULL DEFAULT \"it's\"", "`vcn` text NULL", "`ch` char(40) NULL",
		"`bo` boolean NULL DEFAULT \"1\"", "`d` date NULL DEFAULT \"2020-01-02\"",
		"`tm` text NULL", "`tsp` datetime(3) NULL", "`tstz` datetime(6) NULL DEFAULT CURRENT_TIMESTAMP",
		"`u` varchar(36) NULL", "`js` json NULL", "`jsb` json NULL", "`ia` text NULL",
		"`mo` varchar(63) NULL DEFAULT \"happy\"", "`dom` decimal(12,2) NOT NULL",
		"`ip` text NULL", "`x` text NULL", "`bv` varchar(20) NULL", "`b1` boolean NULL", "`b8` varchar(8) NULL",
		"`rng` text NULL", "`Mixed Case` int NULL", "`has space` text NULL",
	)
	if citext {
		mustContain(t, "SHOW CREATE TABLE wide", wide, "`ci` text NULL")
	}
	mustContain(t, "SHOW CREATE TABLE events", doris.showCreate(t, db, "events"), "UNIQUE KEY(`id`, `at`)", "BUCKETS 3", "`at` date NOT NULL")
	mustContain(t, "SHOW CREATE TABLE comp", doris.showCreate(t, db, "comp"), "UNIQUE KEY(`c`, `a`)")
	mustContain(t, "SHOW CREATE TABLE select", doris.showCreate(t, db, "select"), "UNIQUE KEY(`from`)")

	again := runJob(t, config.Postgres, a, "create-table-only", "true")
	if again.err != nil || len(again.executed) != 0 {
		t.Fatalf("second run: %v, ran %q", again.err, again.executed)
	}
	mustContain(t, "the second summary", again.stdout, "9 Doris tables: 0 created, 0 altered, 9 up to date, 0 skipped\n")

	// With convert-uniq-to-pk the existing DUPLICATE uniq_only no longer fits.
	a.table = append(a.table, "convert-uniq-to-pk=true")
	dry = runJob(t, config.Postgres, a, "dry-run", "true")
	mustContain(t, "the plan", dry.stdout,
		"Table "+db+".uniq_only\n  from:        "+db+".public.uniq_only\n  key:         UNIQUE KEY(code, id)\n",
		"in Doris:    exists but INCOMPATIBLE: --create-table-only stops here (or skips it with --ignore-incompatible)\n  incompatible: the Doris table is DUPLICATE KEY but the source needs UNIQUE KEY",
		"1 incompatible tables: --create-table-only would stop before running any statement",
		"Statements --create-table-only would run: none, Doris is up to date.")
}
