package sync

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/sink/fe"
	"github.com/doris-sync/doris-sync/sources/mysql"
	"github.com/doris-sync/doris-sync/sources/postgres"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// Observer is the operator's side of a full sync: the registry the engine feeds (the
// progress display and /metrics read it) and where the end-of-run summary goes. The
// zero value keeps the numbers to the run and prints the summary line on stderr.
type Observer struct {
	Metrics *metrics.Registry
	Summary io.Writer // the summary line (default os.Stderr)
	// SummaryAsLog logs the summary as a record of the default logger instead
	// (--log-format json: stderr carries nothing but JSON records).
	SummaryAsLog bool
}

// ReplicateJob runs a full sync of a validated job (neither --dry-run nor
// --create-table-only) with the zero Observer: see ReplicateJobObserved.
func ReplicateJob(ctx context.Context, job *config.Job, out io.Writer) error {
	return ReplicateJobObserved(ctx, job, out, Observer{})
}

// ReplicateJobObserved runs a full sync of a validated job (neither --dry-run nor
// --create-table-only): it builds the source, the planner, the Doris connections and
// the state identity from the job and runs Replicate, reporting to obs. out is not
// written.
func ReplicateJobObserved(ctx context.Context, job *config.Job, _ io.Writer, obs Observer) error {
	switch job.Kind {
	case config.MySQL, config.Postgres:
	default:
		return fmt.Errorf("%s: replication from %s is not implemented yet", job.Kind.Command(), job.Kind.Title())
	}
	mode := job.StartupMode()
	switch mode {
	case StartInitial, StartLatest, StartSnapshot:
	default:
		return exitcode.Usagef("%s scan.startup.mode=%s is not supported yet: use initial, latest-offset or snapshot", job.Kind.ConfFlag(), mode)
	}
	planner, err := newPlanner(job)
	if err != nil {
		return err
	}
	sinkCfg, err := sinkConfig(job)
	if err != nil {
		return err
	}
	client, err := fe.Open(ctx, feConfig(job))
	if err != nil {
		return err
	}
	defer client.Close()
	log := slog.Default()
	src, id, err := openEngineSource(ctx, job, planner.Namer(), log)
	if err != nil {
		return err
	}
	defer src.Close()
	return Replicate(ctx, Options{
		JobName: job.JobName, StateDir: job.StateDir, Identity: id,
		Source: src, Planner: planner, FE: client, Sink: sinkCfg,
		StartupMode:         mode,
		SnapshotParallelism: job.SnapshotParallelism,
		StopWhenCaughtUp:    job.StopWhenCaughtUp,
		MaxDuration:         job.MaxDuration,
		ShutdownTimeout:     job.ShutdownTimeout,
		OnDDLError:          job.OnDDLError,
		OnPositionLost:      job.OnPositionLost,
		IgnoreIncompatible:  job.IgnoreIncompatible,
		Metrics:             obs.Metrics,
		Log:                 log,
		Summary:             obs.Summary,
		SummaryAsLog:        obs.SummaryAsLog,
	})
}

// sinkConfig reads --sink-conf, with the job's label prefix unless one is given.
func sinkConfig(job *config.Job) (sink.Config, error) {
	m := map[string]string{}
	for k, v := range job.Sink.All() {
		m[k] = v
	}
	if _, ok := m["sink.label-prefix"]; !ok {
		m["sink.label-prefix"] = job.LabelPrefix()
	}
	cfg, ignored, err := sink.ParseConfig(m)
	if err != nil {
		return cfg, exitcode.Usage(err)
	}
	for _, k := range ignored {
		slog.Warn("--sink-conf key has no effect", "key", k)
	}
	return cfg, nil
}

// openEngineSource connects to the job's source and returns it fitted to the engine,
// with the job's identity for the state file (where it reads, what it selects, where it
// writes; no credential).
func openEngineSource(ctx context.Context, job *config.Job, namer *ddl.Namer, log *slog.Logger) (Source, state.Identity, error) {
	src := job.Source
	chunkRows, err := src.GetInt("scan.incremental.snapshot.chunk.size", 8096)
	if err != nil {
		return nil, state.Identity{}, err
	}
	id := state.Identity{
		SourceKind: string(job.Kind),
		Source: state.SourceAddress{
			Hosts:     []string{src.GetString("hostname", "") + ":" + src.GetString("port", defaultPort(job.Kind))},
			Databases: []string{src.GetString("database-name", "")},
		},
		Filters: state.Filters{
			Including: job.IncludingTables, Excluding: job.ExcludingTables,
			MultiToOneOrigin: job.MultiToOneOrigin, MultiToOneTarget: job.MultiToOneTarget,
			TablePrefix: job.TablePrefix, TableSuffix: job.TableSuffix,
		},
		TargetDatabase: job.Database,
	}
	keys := parseChunkKeyColumns(src.GetString("scan.incremental.snapshot.chunk.key-column", ""))
	switch job.Kind {
	case config.MySQL:
		dbs, err := fullMatch(job, "database-name")
		if err != nil {
			return nil, id, err
		}
		var serverID uint32
		if v := src.GetString("server-id", ""); v != "" {
			first, _, _ := strings.Cut(v, "-")
			n, err := strconv.ParseUint(strings.TrimSpace(first), 10, 32)
			if err != nil {
				return nil, id, exitcode.Usagef("%s server-id=%s: not a server id", job.Kind.ConfFlag(), v)
			}
			serverID = uint32(n)
			id.Source.Options = map[string]string{"server-id": v}
		}
		s, err := openSource(ctx, job)
		if err != nil {
			return nil, id, err
		}
		return &mysqlSource{
			src: s.(*mysql.Source), jobName: job.JobName, serverID: serverID,
			readers: job.SnapshotParallelism, chunkRows: chunkRows, chunkKeys: keys,
			includes: tableFilter(dbs, func(t schema.TableID) string { return t.Database }, namer),
			log:      log,
		}, id, nil
	case config.Postgres:
		cfg, ropts, schemas, err := postgresSettings(job)
		if err != nil {
			return nil, id, err
		}
		slot := ropts.Slot
		id.Source.Schemas = []string{src.GetString("schema-name", "")}
		id.Source.Options = map[string]string{"slot.name": slot, "publication.name": ropts.Publication}
		repl, err := postgres.NewReplicator(cfg, ropts)
		if err != nil {
			return nil, id, err
		}
		s, err := openSource(ctx, job)
		if err != nil {
			return nil, id, err
		}
		return &postgresSource{
			src: s.(*postgres.Source), repl: repl, cfg: cfg, slot: slot,
			readers: job.SnapshotParallelism, chunkRows: chunkRows, chunkKeys: keys,
			includes: tableFilter(schemas, func(t schema.TableID) string { return t.Schema }, namer),
			log:      log,
		}, id, nil
	}
	return nil, id, fmt.Errorf("%s: not implemented yet", job.Kind.Command())
}

// postgresSettings reads the job's --postgres-conf: the connection, the slot and
// publication, and the schema pattern.
func postgresSettings(job *config.Job) (postgres.Config, postgres.ReplicationOptions, *regexp.Regexp, error) {
	src := job.Source
	schemas, err := fullMatch(job, "schema-name")
	if err != nil {
		return postgres.Config{}, postgres.ReplicationOptions{}, nil, err
	}
	c, err := readConnectSettings(job, 5432)
	if err != nil {
		return postgres.Config{}, postgres.ReplicationOptions{}, nil, err
	}
	cfg := postgres.Config{
		Host: c.host, Port: c.port, User: c.user, Password: c.password,
		Database: src.GetString("database-name", ""), Schemas: schemas,
		TLS:            postgres.TLSConfig{Mode: c.sslMode, CA: c.ca, Cert: c.cert, Key: c.key},
		ConnectTimeout: c.timeout, ConnectRetries: c.retries,
	}
	ropts := postgres.ReplicationOptions{
		Slot:        src.GetString("slot.name", ""),
		Publication: src.GetString("publication.name", "dbz_publication"),
	}
	return cfg, ropts, schemas, nil
}

func defaultPort(k config.Kind) string {
	if k == config.Postgres {
		return "5432"
	}
	return "3306"
}

// tableFilter is the job's selection of tables that appear while streaming: the
// source's database (or schema) pattern and the --including/--excluding-tables rules.
func tableFilter(container *regexp.Regexp, of func(schema.TableID) string, namer *ddl.Namer) func(schema.TableID) bool {
	return func(t schema.TableID) bool {
		return container.MatchString(of(t)) && namer.Includes(t.Name)
	}
}
