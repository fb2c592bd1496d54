package sync

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/sink/fe"
	"github.com/doris-sync/doris-sync/sources"
	"github.com/doris-sync/doris-sync/sources/mysql"
	"github.com/doris-sync/doris-sync/sources/postgres"
)

// ddlSource is the type mapping of a job's source kind.
var ddlSource = map[config.Kind]ddl.Source{
	config.MySQL: ddl.SourceMySQL, config.Postgres: ddl.SourcePostgres, config.SQLServer: ddl.SourceSQLServer,
	config.Oracle: ddl.SourceOracle, config.DB2: ddl.SourceDB2, config.MongoDB: ddl.SourceMongoDB,
}

// newPlanner builds the Doris table planner from the job: source kind, naming flags,
// --table-conf in the order given, --ignore-default-value and the MySQL
// jdbc.properties.tinyInt1isBit. Every error is a configuration error (exit 2).
func newPlanner(job *config.Job) (*ddl.Planner, error) {
	conf, err := job.TableConf()
	if err != nil {
		return nil, err
	}
	tinyInt1isBit := true
	if job.Kind == config.MySQL {
		if tinyInt1isBit, err = job.Source.GetBool("jdbc.properties.tinyInt1isBit", true); err != nil {
			return nil, err
		}
	}
	p, err := ddl.NewPlanner(ddl.Options{
		Source: ddlSource[job.Kind],
		Naming: ddl.NamingRules{
			Database:         job.Database,
			TablePrefix:      job.TablePrefix,
			TableSuffix:      job.TableSuffix,
			IncludingTables:  job.IncludingTables,
			ExcludingTables:  job.ExcludingTables,
			MultiToOneOrigin: job.MultiToOneOrigin,
			MultiToOneTarget: job.MultiToOneTarget,
		},
		TableConf:          conf,
		IgnoreDefaultValue: job.IgnoreDefaultValue,
		TinyInt1AsTinyInt:  !tinyInt1isBit,
	})
	if err != nil {
		return nil, exitcode.Usage(err)
	}
	return p, nil
}

// connectSettings are the source keys every server source shares.
type connectSettings struct {
	host          string
	port          int
	user          string
	password      string
	timeout       time.Duration
	retries       int
	sslMode       string
	ca, cert, key string
}

func readConnectSettings(job *config.Job, defaultPort int) (connectSettings, error) {
	s := job.Source
	var c connectSettings
	var err error
	c.host = s.GetString("hostname", "")
	if c.port, err = s.GetInt("port", defaultPort); err != nil {
		return c, err
	}
	c.user = s.GetString("username", "")
	c.password = s.Password().Reveal()
	if c.timeout, err = s.GetDuration("connect.timeout", 30*time.Second); err != nil {
		return c, err
	}
	if c.retries, err = s.GetInt("connect.max-retries", 3); err != nil {
		return c, err
	}
	c.sslMode = s.GetString("ssl.mode", "preferred")
	c.ca, c.cert, c.key = s.GetString("ssl.ca", ""), s.GetString("ssl.cert", ""), s.GetString("ssl.key", "")
	return c, nil
}

// fullMatch compiles a source key that is a full-match regular expression.
func fullMatch(job *config.Job, key string) (*regexp.Regexp, error) {
	v := job.Source.GetString(key, "")
	re, err := config.CompileFullMatch(v)
	if err != nil {
		return nil, exitcode.Usagef("%s %s=%s: %v", job.Kind.ConfFlag(), key, v, err)
	}
	return re, nil
}

// openSource connects to the job's source. Only MySQL and PostgreSQL have discovery so
// far.
func openSource(ctx context.Context, job *config.Job) (sources.Source, error) {
	switch job.Kind {
	case config.MySQL:
		c, err := readConnectSettings(job, 3306)
		if err != nil {
			return nil, err
		}
		dbs, err := fullMatch(job, "database-name")
		if err != nil {
			return nil, err
		}
		return mysql.Open(ctx, mysql.Config{
			Host: c.host, Port: c.port, User: c.user, Password: c.password, Databases: dbs,
			TLS:            mysql.TLSConfig{Mode: c.sslMode, CA: c.ca, Cert: c.cert, Key: c.key},
			ConnectTimeout: c.timeout, ConnectRetries: c.retries,
		})
	case config.Postgres:
		c, err := readConnectSettings(job, 5432)
		if err != nil {
			return nil, err
		}
		schemas, err := fullMatch(job, "schema-name")
		if err != nil {
			return nil, err
		}
		return postgres.Open(ctx, postgres.Config{
			Host: c.host, Port: c.port, User: c.user, Password: c.password,
			Database: job.Source.GetString("database-name", ""), Schemas: schemas,
			TLS:            postgres.TLSConfig{Mode: c.sslMode, CA: c.ca, Cert: c.cert, Key: c.key},
			ConnectTimeout: c.timeout, ConnectRetries: c.retries,
		})
	}
	return nil, fmt.Errorf("%s: table discovery for %s is not implemented yet", job.Kind.Command(), job.Kind.Title())
}

// feConfig is the Doris FE connection of the job's --sink-conf.
func feConfig(job *config.Job) fe.Config {
	return fe.Config{
		JDBCURL:  job.Sink.GetString("jdbc-url", ""),
		User:     job.Sink.GetString("username", ""),
		Password: job.Sink.Password().Reveal(),
	}
}
