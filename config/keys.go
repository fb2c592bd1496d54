package config

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
)

// Key documents one k=v key of a map and how its value is checked. The same
// list drives validation, --help and docs/cli.md.
type Key struct {
	Name     string // ends in ".*" for a family of keys (e.g. sink.properties.*)
	Default  string // as shown in help; "" when there is none
	Required bool
	Help     string
	// check validates a value and may normalise it (e.g. lower-case an enum).
	check func(v string) (string, error)
}

// keySet is everything one map understands.
type keySet struct {
	keys     []Key
	families []Key // prefix families passed through (sink.properties.*)
	ignored  []Key // accepted for compatibility, no effect: Help says why
	aliases  map[string]string
}

func (s keySet) lookup(name string) (Key, bool) {
	for _, k := range s.keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

func familyMatch(k Key, name string) bool {
	prefix, ok := strings.CutSuffix(k.Name, "*")
	if !ok {
		return k.Name == name
	}
	return strings.HasPrefix(name, prefix) && len(name) > len(prefix)
}

// --- value checks -----------------------------------------------------------

type check = func(string) (string, error)

func intRange(min, max int64) check {
	return func(v string) (string, error) {
		n, err := ParseInt(v)
		if err != nil {
			return v, err
		}
		if n < min || n > max {
			if max == 1<<31-1 {
				return v, fmt.Errorf("must be at least %d", min)
			}
			return v, fmt.Errorf("must be between %d and %d", min, max)
		}
		return strings.TrimSpace(v), nil
	}
}

var (
	nonNegative = intRange(0, 1<<31-1)
	positive    = intRange(1, 1<<31-1)
	port        = intRange(1, 65535)
)

func isBool(v string) (string, error) {
	b, err := ParseBool(v)
	return strconv.FormatBool(b), err
}

func isDuration(v string) (string, error) {
	_, err := ParseDuration(v)
	return v, err
}

func isPositiveDuration(v string) (string, error) {
	d, err := ParseDuration(v)
	if err == nil && d <= 0 {
		err = errors.New("must be greater than 0")
	}
	return v, err
}

func isPositiveBytes(v string) (string, error) {
	n, err := ParseBytes(v)
	if err == nil && n <= 0 {
		err = errors.New("must be greater than 0")
	}
	return v, err
}

func isMillis(v string) (string, error) {
	return intRange(0, 1<<62)(v)
}

// oneOf accepts one of values in any letter case and normalises to lower case.
func oneOf(values ...string) check {
	return func(v string) (string, error) {
		l := strings.ToLower(strings.TrimSpace(v))
		for _, ok := range values {
			if l == ok {
				return l, nil
			}
		}
		return v, fmt.Errorf("must be one of %s", strings.Join(values, ", "))
	}
}

func notEmpty(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return v, errors.New("must not be empty")
	}
	return v, nil
}

// hostPortList checks "host:port[,host:port…]"; with portOptional a bare host
// is allowed too (MongoDB hosts).
func hostPortList(portOptional bool) check {
	return func(v string) (string, error) {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return v, errors.New("empty host in list (want host:port[,host:port…])")
			}
			host, p, err := net.SplitHostPort(item)
			if err != nil {
				if portOptional && !strings.Contains(strings.Trim(item, "[]"), ":") {
					continue
				}
				return v, fmt.Errorf("%q is not host:port", RedactValue(item))
			}
			if host == "" {
				return v, fmt.Errorf("%q has no host", RedactValue(item))
			}
			if _, err := port(p); err != nil {
				return v, fmt.Errorf("%q: port %w", RedactValue(item), err)
			}
		}
		return v, nil
	}
}

// isListenAddr checks a HOST:PORT to listen on (host may be empty).
func isListenAddr(v string) (string, error) {
	_, p, err := net.SplitHostPort(v)
	if err != nil {
		return v, errors.New("not HOST:PORT (e.g. :9090 or 127.0.0.1:9090)")
	}
	if _, err := intRange(0, 65535)(p); err != nil {
		return v, fmt.Errorf("port %w", err)
	}
	return v, nil
}

var jdbcMySQL = regexp.MustCompile(`^jdbc:mysql://[^/?]+(/[^?]*)?(\?.*)?$`)

func isJDBCMySQLURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !jdbcMySQL.MatchString(v) {
		return v, errors.New("not a Doris FE MySQL URL (want jdbc:mysql://host:9030)")
	}
	hosts := strings.TrimPrefix(v, "jdbc:mysql://")
	hosts, _, _ = strings.Cut(hosts, "?")
	hosts, _, _ = strings.Cut(hosts, "/")
	if i := strings.LastIndex(hosts, "@"); i >= 0 {
		hosts = hosts[i+1:]
	}
	if _, err := hostPortList(true)(hosts); err != nil {
		return v, err
	}
	return v, nil
}

// labelChars are the characters Doris allows in a load label.
var labelChars = regexp.MustCompile(`^[-_A-Za-z0-9:]{1,100}$`)

func isLabelPrefix(v string) (string, error) {
	if !labelChars.MatchString(v) {
		return v, errors.New("only letters, digits, '-', '_' and ':' allowed, at most 100 characters")
	}
	return v, nil
}

var tzOffset = regexp.MustCompile(`^(?i:UTC|GMT)?[+-]\d{1,2}(:?\d{2})?$`)

func isTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if tzOffset.MatchString(v) {
		return v, nil
	}
	if _, err := time.LoadLocation(v); err != nil || v == "" || strings.EqualFold(v, "local") {
		return v, errors.New("not a time zone (e.g. UTC, Asia/Shanghai, +08:00)")
	}
	return v, nil
}

// isServerID checks a MySQL replica server id or a range of them ("5400-5408").
func isServerID(v string) (string, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(v), "-")
	a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 32)
	if err != nil || a == 0 {
		return v, errors.New("not a server id (want N or N-M, 1 to 4294967295)")
	}
	if isRange {
		b, err := strconv.ParseUint(strings.TrimSpace(hi), 10, 32)
		if err != nil || b < a {
			return v, errors.New("not a server id range (want N-M with N <= M)")
		}
	}
	return v, nil
}

// PostgreSQL replication slot names: lower-case letters, digits, underscore.
var slotName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

func isSlotName(v string) (string, error) {
	if !slotName.MatchString(v) {
		return v, errors.New("a slot name has 1 to 63 lower-case letters, digits or underscores")
	}
	return v, nil
}

// isChunkKeyColumns checks "table:column[,table2:column2…]" (the table may be
// qualified: db.table or schema.table).
func isChunkKeyColumns(v string) (string, error) {
	for item := range strings.SplitSeq(v, ",") {
		t, c, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || strings.TrimSpace(t) == "" || strings.TrimSpace(c) == "" {
			return v, fmt.Errorf("%q is not table:column", strings.TrimSpace(item))
		}
	}
	return v, nil
}

func isFraction(v string) (string, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || f > 1 {
		return v, errors.New("must be a number greater than 0 and at most 1")
	}
	return v, nil
}

// tableConfCheck checks a --table-conf value with the parser the planner uses.
func tableConfCheck(key string) check {
	return func(v string) (string, error) {
		return v, ddl.CheckTableConfEntry(key, v)
	}
}

// --- the key lists ----------------------------------------------------------

var startupModes = map[Kind][]string{
	MySQL:     {"initial", "earliest-offset", "latest-offset", "specific-offset", "timestamp", "snapshot"},
	Postgres:  {"initial", "latest-offset", "snapshot"},
	SQLServer: {"initial", "latest-offset", "snapshot"},
	Oracle:    {"initial", "latest-offset", "snapshot"},
	MongoDB:   {"initial", "latest-offset", "timestamp", "snapshot"},
}

var defaultPorts = map[Kind]string{MySQL: "3306", Postgres: "5432", SQLServer: "1433", Oracle: "1521"}

func credentialKeys(usernameRequired bool) []Key {
	return []Key{
		{Name: "username", Required: usernameRequired, Help: "user to connect as", check: notEmpty},
		{Name: "password", Help: "password; prefer password=${ENV_VAR} or password-file"},
		{Name: "password-file", Help: "read the password from this file (one trailing newline is removed)", check: notEmpty},
	}
}

func sourceKeySet(kind Kind) keySet {
	var keys []Key
	modes := startupModes[kind]
	startup := Key{Name: "scan.startup.mode", Default: "initial", check: oneOf(modes...),
		Help: "where to start: " + strings.Join(modes, " | ") + " (initial = snapshot then stream; snapshot = copy only, then exit; latest-offset = stream only, from now)"}

	if kind == MongoDB {
		keys = append(keys,
			Key{Name: "hosts", Required: true, Help: "MongoDB hosts, host[:port][,host[:port]…]", check: hostPortList(true)},
		)
		keys = append(keys, credentialKeys(false)...)
		keys = append(keys,
			Key{Name: "database", Required: true, Help: "database to replicate", check: notEmpty},
			Key{Name: "scheme", Default: "mongodb", Help: "connection scheme: mongodb | mongodb+srv", check: oneOf("mongodb", "mongodb+srv")},
			Key{Name: "connection.options", Help: "extra URI options, e.g. authSource=admin&tls=true"},
			startup,
			Key{Name: "scan.startup.timestamp-millis", Help: "start time in epoch milliseconds (scan.startup.mode=timestamp)", check: isMillis},
			Key{Name: "schema.sample-percent", Default: "0.2", Help: "fraction of documents sampled to infer a collection's columns", check: isFraction},
			Key{Name: "schema.min-sample-size", Default: "1000", Help: "sample at least this many documents", check: positive},
			Key{Name: "schema.max-sample-size", Default: "100000", Help: "sample at most this many documents", check: positive},
		)
		return keySet{keys: keys, ignored: []Key{
			{Name: "collection", Help: "the collections come from --including-tables/--excluding-tables"},
			{Name: "debezium.*", Help: "doris-sync does not run Debezium"},
			{Name: "scan.incremental.snapshot.enabled", Help: "the snapshot is always chunked and resumable"},
		}}
	}

	hostname := Key{Name: "hostname", Required: kind != Oracle, Help: "source server host name or IP address", check: notEmpty}
	if kind == Oracle {
		hostname.Help += " (required unless url is given)"
	}
	keys = append(keys, hostname, Key{Name: "port", Default: defaultPorts[kind], Help: "source server TCP port", check: port})
	if kind == Oracle {
		keys = append(keys, Key{Name: "url", Help: "full JDBC URL (jdbc:oracle:thin:@//host:port/service), used instead of hostname/port", check: notEmpty})
	}
	keys = append(keys, credentialKeys(true)...)
	dbHelp := "database to replicate"
	if kind == MySQL {
		dbHelp = "regular expression, full match, over database names: every matching database is replicated"
	}
	keys = append(keys, Key{Name: "database-name", Required: true, Help: dbHelp, check: notEmpty})
	switch kind {
	case Postgres, SQLServer, Oracle:
		keys = append(keys, Key{Name: "schema-name", Required: true, Help: "schema whose tables are replicated", check: notEmpty})
	}
	switch kind {
	case Postgres:
		keys = append(keys,
			Key{Name: "slot.name", Required: true, Help: "logical replication slot (created if missing)", check: isSlotName},
			Key{Name: "publication.name", Default: "dbz_publication", Help: "publication read through pgoutput (created for the synced tables if missing)", check: notEmpty},
			Key{Name: "decoding.plugin.name", Default: "pgoutput", Help: "logical decoding plugin; only pgoutput is supported", check: oneOf("pgoutput")},
		)
	case Oracle:
		keys = append(keys, Key{Name: "database.pdb.name", Help: "pluggable database holding the schema (CDB installations)", check: notEmpty})
	case MySQL:
		keys = append(keys,
			Key{Name: "jdbc.properties.tinyInt1isBit", Default: "true", Help: "false: TINYINT(1) columns become TINYINT instead of BOOLEAN (the Connector/J option of that name)", check: isBool},
			Key{Name: "server-id", Default: "a hash of the job name in 2000000000-2999999999", Help: "replica server id, or a range N-M: must differ from every other replica of the server (the default keeps two jobs apart and away from the usual replica ids)", check: isServerID},
			Key{Name: "server-time-zone", Default: "the server's time zone", Help: "time zone of TIMESTAMP values on the server (e.g. UTC, Asia/Shanghai, +08:00)", check: isTimeZone},
		)
	}
	keys = append(keys, startup)
	if kind == MySQL {
		keys = append(keys,
			Key{Name: "scan.startup.specific-offset.file", Help: "binlog file to start from (scan.startup.mode=specific-offset)", check: notEmpty},
			Key{Name: "scan.startup.specific-offset.pos", Help: "binlog position in that file", check: nonNegative},
			Key{Name: "scan.startup.specific-offset.gtid-set", Help: "GTID set to start after (instead of file/pos)", check: notEmpty},
			Key{Name: "scan.startup.specific-offset.skip-events", Help: "events to skip after the offset", check: nonNegative},
			Key{Name: "scan.startup.specific-offset.skip-rows", Help: "rows to skip after the offset", check: nonNegative},
			Key{Name: "scan.startup.timestamp-millis", Help: "start time in epoch milliseconds (scan.startup.mode=timestamp)", check: isMillis},
		)
	}
	keys = append(keys,
		Key{Name: "scan.incremental.snapshot.chunk.size", Default: "8096", Help: "rows per snapshot chunk", check: positive},
		Key{Name: "scan.incremental.snapshot.chunk.key-column", Help: "chunk column for tables without a primary key, table:column[,table:column…] (table may be qualified)", check: isChunkKeyColumns},
		Key{Name: "scan.snapshot.fetch.size", Default: "1024", Help: "rows fetched per round trip while reading a chunk", check: positive},
		Key{Name: "connect.timeout", Default: "30s", Help: "timeout to connect to the source", check: isPositiveDuration},
		Key{Name: "connect.max-retries", Default: "3", Help: "connection attempts before giving up", check: nonNegative},
		Key{Name: "connection.pool.size", Default: "20", Help: "maximum connections to the source", check: positive},
		Key{Name: "heartbeat.interval", Default: "30s", Help: "how often the position advances on an idle source", check: isPositiveDuration},
		Key{Name: "ssl.mode", Default: "preferred", Help: "TLS to the source: disabled | preferred | required | verify-ca | verify-full", check: oneOf("disabled", "preferred", "required", "verify-ca", "verify-full")},
		Key{Name: "ssl.ca", Help: "CA certificate file (PEM) to verify the server", check: notEmpty},
		Key{Name: "ssl.cert", Help: "client certificate file (PEM); needs ssl.key", check: notEmpty},
		Key{Name: "ssl.key", Help: "client private key file (PEM); needs ssl.cert", check: notEmpty},
	)

	ignored := []Key{
		{Name: "debezium.*", Help: "doris-sync does not run Debezium"},
		{Name: "jdbc.properties.*", Help: "doris-sync does not use JDBC (it reads only jdbc.properties.tinyInt1isBit, of MySQL)"},
		{Name: "scan.incremental.snapshot.enabled", Help: "the snapshot is always chunked and resumable"},
		{Name: "scan.incremental.close-idle-reader.enabled", Help: "idle snapshot readers always close"},
		{Name: "scan.newly-added-table.enabled", Help: "new matching tables are always picked up"},
		{Name: "scan.incremental.snapshot.backfill.skip", Help: "the hand-over from snapshot to stream is exact"},
		{Name: "chunk-meta.group.size", Help: "chunk bookkeeping is not configurable"},
		{Name: "chunk-key.even-distribution.factor.upper-bound", Help: "chunk boundaries are computed from the key values"},
		{Name: "chunk-key.even-distribution.factor.lower-bound", Help: "chunk boundaries are computed from the key values"},
		{Name: "table-name", Help: "the tables come from --including-tables/--excluding-tables"},
	}
	var aliases map[string]string
	switch kind {
	case Postgres:
		aliases = map[string]string{"debezium.publication.name": "publication.name", "debezium.slot.name": "slot.name"}
	case Oracle:
		aliases = map[string]string{"debezium.database.pdb.name": "database.pdb.name"}
	case MySQL:
		aliases = map[string]string{"debezium.database.server.id": "server-id"}
	}
	return keySet{keys: keys, ignored: ignored, aliases: aliases}
}

func sinkKeySet() keySet {
	keys := []Key{
		{Name: "fenodes", Required: true, Help: "Doris FE HTTP addresses, host:port[,host:port…] (port 8030 by default on Doris)", check: hostPortList(false)},
		{Name: "jdbc-url", Required: true, Help: "Doris FE MySQL-protocol URL for DDL and metadata, jdbc:mysql://host:9030", check: isJDBCMySQLURL},
		{Name: "username", Required: true, Help: "Doris user", check: notEmpty},
		{Name: "password", Help: "Doris password; prefer password=${ENV_VAR} or password-file"},
		{Name: "password-file", Help: "read the Doris password from this file (one trailing newline is removed)", check: notEmpty},
		{Name: "benodes", Help: "send Stream Loads straight to these BE HTTP addresses, host:port[,…]", check: hostPortList(false)},
		{Name: "auto-redirect", Default: "true", Help: "true: load through the FE, which redirects to a BE; false: load to the BEs the FE lists", check: isBool},
		{Name: "sink.label-prefix", Default: "the job name", Help: "prefix of Stream Load labels (letters, digits, - _ :); unique per job", check: isLabelPrefix},
		{Name: "sink.enable-delete", Default: "true", Help: "apply source deletes (UNIQUE KEY tables, via __DORIS_DELETE_SIGN__); false: deleted rows stay in Doris", check: isBool},
		{Name: "sink.enable-2pc", Default: "DUPLICATE tables only", Help: "two-phase commit: true for every table, false for none; when absent, tables without a primary key use it, so a replay after a crash cannot load rows twice", check: isBool},
		{Name: "sink.ignore.update-before", Default: "true", Help: "false: an update is loaded as delete of the old row plus insert of the new one", check: isBool},
		{Name: "sink.buffer-flush.max-rows", Default: "500000", Help: "flush a table's buffer at this many rows", check: positive},
		{Name: "sink.buffer-flush.max-bytes", Default: "32mb", Help: "flush a table's buffer at this size (32mb, 1gb, bytes)", check: isPositiveBytes},
		{Name: "sink.buffer-flush.interval", Default: "1s", Help: "flush a table's buffer at least this often while streaming (bounds replication delay)", check: isPositiveDuration},
		{Name: "sink.max-retries", Default: "3", Help: "retries of a failed Stream Load or commit before the job stops", check: nonNegative},
		{Name: "sink.parallelism", Default: "4", Help: "Stream Loads in flight at once (never two of one table)", check: positive},
		{Name: "sink.max-memory", Default: "512mb", Help: "bound on all buffered and in-flight load bodies; producers wait when it is reached", check: isPositiveBytes},
		{Name: "sink.retry.interval", Default: "1s", Help: "first delay before retrying a failed load (doubles each time)", check: isPositiveDuration},
		{Name: "sink.retry.max-interval", Default: "30s", Help: "longest delay between retries of a failed load", check: isPositiveDuration},
		{Name: "doris.request.connect.timeout.ms", Default: "10000", Help: "timeout to connect to an FE or BE (milliseconds, or a duration such as 10s)", check: isPositiveDuration},
		{Name: "doris.request.read.timeout.ms", Default: "600000", Help: "timeout waiting for a Stream Load answer (milliseconds, or a duration such as 10min)", check: isPositiveDuration},
		{Name: "doris.enable.tls", Default: "false", Help: "use HTTPS to the FE and BEs", check: isBool},
		{Name: "doris.tls.ca-certificate-path", Help: "CA certificate file (PEM) to verify Doris", check: notEmpty},
		{Name: "doris.tls.skip-hostname-verification", Default: "false", Help: "accept a Doris certificate for another host name", check: isBool},
		{Name: "doris.tls.excluded-protocols", Help: "TLS versions not to use, e.g. TLSv1,TLSv1.1"},
	}
	families := []Key{
		{Name: "sink.properties.*", Help: "Stream Load headers, e.g. sink.properties.compress_type=gz, sink.properties.group_commit=async_mode, sink.properties.strict_mode=true"},
	}
	ignored := []Key{
		{Name: "sink.buffer-size", Help: "buffers are sized by sink.buffer-flush.*"},
		{Name: "sink.buffer-count", Help: "buffers are sized by sink.buffer-flush.*"},
		{Name: "sink.check-interval", Help: "it has no effect in the anchor tool either"},
		{Name: "sink.use-cache", Help: "it has no effect in the anchor tool either"},
		{Name: "sink.enable.batch-mode", Help: "loads are always batched by sink.buffer-flush.*"},
		{Name: "sink.write-mode", Help: "loads always use Stream Load, batched by sink.buffer-flush.*"},
		{Name: "sink.flush.queue-size", Help: "concurrency is set by sink.parallelism"},
		{Name: "sink.http-utf8-charset", Help: "headers are always sent as UTF-8"},
		{Name: "sink.ignore.commit-error", Help: "a failed commit always stops the job: ignoring it loses data"},
		{Name: "sink.streaming.*", Help: "not used"},
		{Name: "doris.request.*", Help: "only doris.request.connect.timeout.ms and doris.request.read.timeout.ms are used; retries are set by sink.max-retries"},
	}
	return keySet{keys: keys, families: families, ignored: ignored}
}

func tableKeySet() keySet {
	return keySet{keys: []Key{
		{Name: "replication_num", Help: "replicas of each tablet, a table property (when absent Doris uses its default, 3)", check: positive},
		{Name: "table-buckets", Default: "BUCKETS AUTO", Help: "buckets per Doris table, name:N,regex:N,…: exact name first, then the first full-match regex in the order given", check: tableConfCheck(ddl.ConfTableBuckets)},
		{Name: "table-partitions", Help: "auto range partitions, table:column:interval,… (interval: year, quarter, month, week, day, hour, minute, second); table is the Doris or the source table name", check: tableConfCheck(ddl.ConfTablePartitions)},
		{Name: "convert-uniq-to-pk", Default: "false", Help: "a source table without primary key but with a unique index gets that index as UNIQUE KEY", check: isBool},
		{Name: "enable-decimal256", Default: "false", Help: "true: source decimals of 39 to 76 digits become DECIMAL(p,s) (Doris 2.1 or later) instead of STRING", check: isBool},
		{Name: "light_schema_change", Default: "true", Help: "a table property, added when not given (fast ADD/DROP COLUMN)", check: isBool},
	}, families: []Key{
		{Name: "*", Help: "any other key is a Doris table property, emitted in PROPERTIES in the order given (e.g. storage_medium=SSD, enable_unique_key_merge_on_write=true)"},
	}}
}

// SourceKeys lists the --<kind>-conf keys doris-sync understands.
func SourceKeys(kind Kind) []Key { return sourceKeySet(kind).keys }

// IgnoredSourceKeys lists --<kind>-conf keys accepted for compatibility with
// the anchor tool that have no effect; Help says why.
func IgnoredSourceKeys(kind Kind) []Key { return sourceKeySet(kind).ignored }

// SourceKeyAliases maps anchor-tool spellings to the key they set.
func SourceKeyAliases(kind Kind) map[string]string { return sourceKeySet(kind).aliases }

// SinkKeys lists the --sink-conf keys, then the sink.properties.* family.
func SinkKeys() []Key {
	s := sinkKeySet()
	return append(s.keys, s.families...)
}

// IgnoredSinkKeys lists --sink-conf keys accepted with no effect.
func IgnoredSinkKeys() []Key { return sinkKeySet().ignored }

// TableKeys lists the special --table-conf keys, then the "any property" rule.
func TableKeys() []Key {
	s := tableKeySet()
	return append(s.keys, s.families...)
}
