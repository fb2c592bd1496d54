package sink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/doris-sync/doris-sync/config"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/sink/streamload"
)

// Config is the sink's configuration: the --sink-conf keys of the flink-doris-connector
// tool (reference anchor-flink-cdctools.md §1.4) plus a few of our own. Build it with
// ParseConfig or start from DefaultConfig.
type Config struct {
	FENodes      []string // fenodes
	BENodes      []string // benodes
	AutoRedirect bool     // auto-redirect (default true)
	JDBCURL      string   // jdbc-url: kept for the FE SQL connection, unused by Stream Load
	User         string   // username
	Password     string   // password (or password-file); never logged

	EnableTLS         bool     // doris.enable.tls
	TLSCAFile         string   // doris.tls.ca-certificate-path
	TLSSkipVerifyHost bool     // doris.tls.skip-hostname-verification
	TLSExcluded       []string // doris.tls.excluded-protocols, e.g. TLSv1,TLSv1.1

	LabelPrefix        string        // sink.label-prefix
	EnableDelete       bool          // sink.enable-delete (default true)
	TwoPhase           TwoPhaseMode  // sink.enable-2pc: absent = auto (DUPLICATE tables only), true, false
	IgnoreUpdateBefore bool          // sink.ignore.update-before (default true)
	MaxRetries         int           // sink.max-retries (default 3)
	FlushMaxRows       int           // sink.buffer-flush.max-rows (default 500000)
	FlushMaxBytes      int64         // sink.buffer-flush.max-bytes (default 32 MB)
	FlushInterval      time.Duration // sink.buffer-flush.interval (default 1 s)
	MaxMemory          int64         // sink.max-memory: all buffered and in-flight bodies (default 512 MB)
	Parallelism        int           // sink.parallelism: concurrent loads (default 4)
	ConnectTimeout     time.Duration // doris.request.connect.timeout.ms (default 10 s)
	ReadTimeout        time.Duration // doris.request.read.timeout.ms (default 10 min)
	RetryInterval      time.Duration // sink.retry.interval: first retry delay (default 1 s), doubling
	RetryMaxInterval   time.Duration // sink.retry.max-interval (default 30 s)

	// Properties are Stream Load headers (sink.properties.*, prefix stripped), e.g.
	// format, compress_type, group_commit, max_filter_ratio, strict_mode, timezone.
	Properties map[string]string
}

// TwoPhaseMode says which tables load with two-phase commit.
type TwoPhaseMode uint8

const (
	// TwoPhaseAuto: DUPLICATE tables only (UNIQUE tables are idempotent by key); the
	// anchor tool's behaviour when sink.enable-2pc is not given.
	TwoPhaseAuto TwoPhaseMode = iota
	TwoPhaseOn
	TwoPhaseOff
)

// DefaultConfig returns the defaults (docs/sink.md explains each).
func DefaultConfig() Config {
	return Config{
		AutoRedirect:       true,
		EnableDelete:       true,
		IgnoreUpdateBefore: true,
		MaxRetries:         3,
		FlushMaxRows:       500000,
		FlushMaxBytes:      32 << 20,
		FlushInterval:      time.Second,
		MaxMemory:          512 << 20,
		Parallelism:        4,
		ConnectTimeout:     10 * time.Second,
		ReadTimeout:        10 * time.Minute,
		RetryInterval:      time.Second,
		RetryMaxInterval:   30 * time.Second,
		Properties:         map[string]string{},
	}
}

// Keys of the anchor tool we accept and ignore: they tune its Flink pipeline, which we
// do not have.
var ignoredKeys = map[string]string{
	"sink.buffer-size":       "the body is built in memory, bounded by sink.max-memory",
	"sink.buffer-count":      "the body is built in memory, bounded by sink.max-memory",
	"sink.check-interval":    "no periodic checker",
	"sink.use-cache":         "no cache",
	"sink.enable.batch-mode": "always batched",
	"sink.write-mode":        "always stream_load batches",
	"sink.flush.queue-size":  "sink.parallelism bounds concurrent loads",
	"sink.http-utf8-charset": "headers are ASCII",
	"sink.ignore.commit-error": "a failed commit is retried and then stops the job; " +
		"data is never dropped",
}

// Stream Load headers the sink owns; setting them through sink.properties.* would break
// its labels, deletes or two-phase commit.
var ownedHeaders = map[string]string{
	"label":             "labels are derived per batch",
	"two_phase_commit":  "use sink.enable-2pc",
	"hidden_columns":    "use sink.enable-delete",
	"columns":           "the sink writes every column of the table",
	"jsonpaths":         "the sink writes every column of the table",
	"strip_outer_array": "the body is JSON lines",
	"read_json_by_line": "the body is JSON lines",
	"merge_type":        "deletes use __DORIS_DELETE_SIGN__",
	"partial_columns":   "the sink loads partial-column updates itself, for values the source did not send",
	"unique_key_update_mode": "the sink loads partial-column updates itself, for values the source did not send; " +
		"another mode would fill the columns a partial update leaves out with defaults",
}

// ParseConfig reads --sink-conf keys. Unknown keys are an error naming the key, so a typo
// never passes silently; IgnoredKeys lists accepted keys without effect.
func ParseConfig(m map[string]string) (Config, []string, error) {
	c := DefaultConfig()
	var ignored []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(m[k])
		var err error
		switch k {
		case "fenodes":
			c.FENodes = splitList(v)
		case "benodes":
			c.BENodes = splitList(v)
		case "auto-redirect":
			c.AutoRedirect, err = parseBool(v)
		case "jdbc-url":
			c.JDBCURL = v
		case "username":
			c.User = v
		case "password":
			c.Password = m[k]
		case "password-file":
			var b []byte
			if b, err = os.ReadFile(v); err == nil {
				c.Password = strings.TrimRight(string(b), "\r\n")
			}
		case "doris.enable.tls":
			c.EnableTLS, err = parseBool(v)
		case "doris.tls.ca-certificate-path":
			c.TLSCAFile = v
		case "doris.tls.skip-hostname-verification":
			c.TLSSkipVerifyHost, err = parseBool(v)
		case "doris.tls.excluded-protocols":
			c.TLSExcluded = splitList(v)
		case "sink.label-prefix":
			c.LabelPrefix = v
		case "sink.enable-delete":
			c.EnableDelete, err = parseBool(v)
		case "sink.enable-2pc":
			var on bool
			if on, err = parseBool(v); err == nil {
				c.TwoPhase = TwoPhaseOff
				if on {
					c.TwoPhase = TwoPhaseOn
				}
			}
		case "sink.ignore.update-before":
			c.IgnoreUpdateBefore, err = parseBool(v)
		case "sink.max-retries":
			c.MaxRetries, err = strconv.Atoi(v)
		case "sink.buffer-flush.max-rows":
			c.FlushMaxRows, err = strconv.Atoi(v)
		case "sink.buffer-flush.max-bytes":
			c.FlushMaxBytes, err = parseSize(v)
		case "sink.buffer-flush.interval":
			c.FlushInterval, err = parseDuration(v)
		case "sink.max-memory":
			c.MaxMemory, err = parseSize(v)
		case "sink.parallelism":
			c.Parallelism, err = strconv.Atoi(v)
		case "doris.request.connect.timeout.ms":
			c.ConnectTimeout, err = parseDuration(v)
		case "doris.request.read.timeout.ms":
			c.ReadTimeout, err = parseDuration(v)
		case "sink.retry.interval":
			c.RetryInterval, err = parseDuration(v)
		case "sink.retry.max-interval":
			c.RetryMaxInterval, err = parseDuration(v)
		default:
			if p, ok := strings.CutPrefix(k, "sink.properties."); ok && p != "" {
				c.Properties[p] = m[k]
				continue
			}
			if strings.HasPrefix(k, "sink.streaming.") || strings.HasPrefix(k, "doris.request.") {
				ignored = append(ignored, k+" (not used)")
				continue
			}
			if _, ok := ignoredKeys[k]; ok {
				ignored = append(ignored, k+" ("+ignoredKeys[k]+")")
				continue
			}
			return c, nil, fmt.Errorf("sink-conf: unknown key %q", k)
		}
		if err != nil {
			if k == "password" || k == "password-file" {
				return c, nil, fmt.Errorf("sink-conf %s: %w", k, err)
			}
			return c, nil, fmt.Errorf("sink-conf %s=%q: %w", k, v, err)
		}
	}
	return c, ignored, c.Validate()
}

// Validate checks the configuration and explains the first problem.
func (c *Config) Validate() error {
	if len(c.FENodes) == 0 && len(c.BENodes) == 0 {
		return errors.New("sink-conf: fenodes is required")
	}
	if c.User == "" {
		return errors.New("sink-conf: username is required")
	}
	if err := checkLabelPrefix(c.LabelPrefix); err != nil {
		return fmt.Errorf("sink-conf: %w", err)
	}
	switch {
	case c.MaxRetries < 0:
		return errors.New("sink-conf: sink.max-retries must be ≥ 0")
	case c.FlushMaxRows < 1:
		return errors.New("sink-conf: sink.buffer-flush.max-rows must be ≥ 1")
	case c.FlushMaxBytes < 1:
		return errors.New("sink-conf: sink.buffer-flush.max-bytes must be ≥ 1")
	case c.FlushInterval <= 0:
		return errors.New("sink-conf: sink.buffer-flush.interval must be > 0")
	case c.Parallelism < 1:
		return errors.New("sink-conf: sink.parallelism must be ≥ 1")
	case c.MaxMemory < c.FlushMaxBytes:
		return errors.New("sink-conf: sink.max-memory must be at least sink.buffer-flush.max-bytes")
	case c.RetryInterval <= 0 || c.RetryMaxInterval < c.RetryInterval:
		return errors.New("sink-conf: sink.retry.interval must be > 0 and ≤ sink.retry.max-interval")
	}
	for k := range c.Properties {
		if why, ok := ownedHeaders[strings.ToLower(k)]; ok {
			return fmt.Errorf("sink-conf: sink.properties.%s cannot be set: %s", k, why)
		}
	}
	switch f := strings.ToLower(c.Properties["format"]); f {
	case "", "json", "csv":
	default:
		return fmt.Errorf("sink-conf: sink.properties.format=%s: the sink writes json (default) or csv", f)
	}
	if ct := c.Properties["compress_type"]; ct != "" && !strings.EqualFold(ct, "gz") {
		return fmt.Errorf("sink-conf: sink.properties.compress_type=%s: only gz (or empty for none) is supported", ct)
	}
	if c.groupCommit() && c.TwoPhase == TwoPhaseOn {
		return errors.New("sink-conf: sink.properties.group_commit and sink.enable-2pc exclude each other (Doris silently disables group commit for 2PC loads)")
	}
	return nil
}

func (c *Config) groupCommit() bool {
	g := strings.ToLower(c.Properties["group_commit"])
	return g != "" && g != "off_mode"
}

func (c *Config) csv() bool { return strings.EqualFold(c.Properties["format"], "csv") }

func (c *Config) gzip() bool { return strings.EqualFold(c.Properties["compress_type"], "gz") }

// LogValue renders the configuration for logs without the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("fenodes", c.FENodes), slog.Any("benodes", c.BENodes),
		slog.Bool("auto_redirect", c.AutoRedirect), slog.String("user", c.User),
		slog.Bool("tls", c.EnableTLS), slog.String("label_prefix", c.LabelPrefix),
		slog.Bool("enable_delete", c.EnableDelete), slog.Int("two_phase_mode", int(c.TwoPhase)),
		slog.Int("max_retries", c.MaxRetries), slog.Int("flush_max_rows", c.FlushMaxRows),
		slog.Int64("flush_max_bytes", c.FlushMaxBytes), slog.Duration("flush_interval", c.FlushInterval),
		slog.Int64("max_memory", c.MaxMemory), slog.Int("parallelism", c.Parallelism),
		slog.Any("properties", c.Properties),
	)
}

func (c *Config) clientConfig() (streamload.Config, error) {
	sc := streamload.Config{
		FENodes: c.FENodes, BENodes: c.BENodes, AutoRedirect: c.AutoRedirect,
		User: c.User, Password: c.Password,
		ConnectTimeout: c.ConnectTimeout, ReadTimeout: c.ReadTimeout,
	}
	if !c.EnableTLS {
		return sc, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return sc, fmt.Errorf("sink-conf doris.tls.ca-certificate-path: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return sc, fmt.Errorf("sink-conf doris.tls.ca-certificate-path: no PEM certificate in %s", c.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if c.TLSSkipVerifyHost {
		// Verify the chain but not the host name: Go has no switch for that, so verify
		// the chain ourselves.
		tc.InsecureSkipVerify = true
		roots := tc.RootCAs
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChainOnly(raw, roots)
		}
	}
	for _, p := range c.TLSExcluded {
		switch strings.ToUpper(strings.TrimSpace(p)) {
		case "TLSV1", "TLSV1.0", "TLSV1.1":
			// already below the minimum
		case "TLSV1.2":
			tc.MinVersion = tls.VersionTLS13
		case "TLSV1.3":
			tc.MaxVersion = tls.VersionTLS12
		default:
			return sc, fmt.Errorf("sink-conf doris.tls.excluded-protocols: unknown protocol %q", p)
		}
	}
	if tc.MaxVersion != 0 && tc.MaxVersion < tc.MinVersion {
		return sc, errors.New("sink-conf doris.tls.excluded-protocols excludes every TLS version")
	}
	sc.TLS = tc
	return sc, nil
}

func verifyChainOnly(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// The value forms are config's, so a value the command line accepted is never refused here.
func parseBool(v string) (bool, error) { return config.ParseBool(v) }

func parseSize(v string) (int64, error) { return config.ParseBytes(v) }

// twoPhase says whether loads into a table of this model use two-phase commit. Group
// commit excludes it (Doris would silently drop group commit).
func (c *Config) twoPhase(m Model) bool {
	switch c.TwoPhase {
	case TwoPhaseOn:
		return true
	case TwoPhaseAuto:
		return m == Duplicate && !c.groupCommit()
	}
	return false
}

// parseDuration reads Go durations ("10s", "500ms") or a plain number of milliseconds
// (the anchor's *.ms keys).
func parseDuration(v string) (time.Duration, error) { return config.ParseDuration(v) }
