package mysql

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	driver "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/exitcode"
)

// PreflightReport is what the pre-flight check learnt about the server: the facts
// that choose a code path, and notes worth logging (none of them stops the job).
type PreflightReport struct {
	Flavor  string // FlavorMySQL or FlavorMariaDB
	Version string
	// GTIDMode: positions are GTID sets (MariaDB always; MySQL with gtid_mode=ON), else
	// binlog file offsets.
	GTIDMode bool
	// RowMetadataFull: binlog_row_metadata=FULL, so each row event names its columns and
	// the stream decodes rows without the schema history.
	RowMetadataFull bool
	// CanLock: the user may run FLUSH TABLES WITH READ LOCK (RELOAD), which the
	// snapshot uses to give all readers one view when it cannot get one without a lock.
	CanLock bool
	Notes   []string
}

// PreflightError lists every setting or privilege the server lacks for CDC, one line
// each with its fix. It is a usage error (exit code 2).
type PreflightError struct {
	Addr     string
	Problems []string
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "MySQL source %s is not ready for change data capture (%d problem", e.Addr, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

const fixLogBin = "enable it in my.cnf [mysqld] with log_bin=mysql-bin and server_id=1 (any id unique among your servers), then restart the server"

// Preflight checks that the server can feed the job: the binary log is on, in ROW
// format with full row images, and the user holds the privileges the snapshot and the
// stream need. Every problem is reported at once, one line each with its fix, in a
// *PreflightError marked as a usage error (exit code 2).
func (s *Source) Preflight(ctx context.Context) (PreflightReport, error) {
	si := parseServerInfo(s.version)
	rep := PreflightReport{Flavor: si.flavor, Version: s.version}
	vars, err := s.globalVariables(ctx, "log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata",
		"binlog_row_value_options", "gtid_mode", "server_id")
	if err != nil {
		return rep, err
	}
	var problems []string
	logBin := strings.ToUpper(vars["log_bin"])
	if logBin != "ON" && logBin != "1" {
		problems = append(problems, "the binary log is off (log_bin=OFF); "+fixLogBin)
	} else if vars["server_id"] == "0" {
		problems = append(problems, "server_id is 0, so the server cannot serve replicas; set server_id to a unique non-zero number (my.cnf [mysqld] server_id=1)")
	}
	if f := strings.ToUpper(vars["binlog_format"]); f != "ROW" {
		problems = append(problems, fmt.Sprintf("binlog_format is %s; set binlog_format=ROW (my.cnf [mysqld] binlog_format=ROW, then restart or SET GLOBAL binlog_format=ROW)", orUnset(f)))
	}
	if img := strings.ToUpper(vars["binlog_row_image"]); img != "FULL" {
		problems = append(problems, fmt.Sprintf("binlog_row_image is %s; set binlog_row_image=FULL (my.cnf [mysqld] binlog_row_image=FULL, then restart or SET GLOBAL binlog_row_image=FULL)", orUnset(img)))
	}
	if opt := strings.ToUpper(vars["binlog_row_value_options"]); strings.Contains(opt, "PARTIAL_JSON") {
		problems = append(problems, "binlog_row_value_options is PARTIAL_JSON, which logs JSON updates as diffs; set binlog_row_value_options='' (my.cnf [mysqld] binlog_row_value_options=\"\")")
	}
	switch {
	case si.flavor == FlavorMariaDB:
		rep.GTIDMode = true
	case strings.EqualFold(vars["gtid_mode"], "ON"):
		rep.GTIDMode = true
	default:
		rep.Notes = append(rep.Notes, fmt.Sprintf("gtid_mode is %s: positions are binlog file offsets, which do not survive a failover to another server; gtid_mode=ON (with enforce_gtid_consistency=ON) is safer", orUnset(strings.ToUpper(vars["gtid_mode"]))))
	}
	rep.RowMetadataFull = strings.EqualFold(vars["binlog_row_metadata"], "FULL")
	if !rep.RowMetadataFull {
		rep.Notes = append(rep.Notes, fmt.Sprintf("binlog_row_metadata is %s: rows are decoded with the schema history kept in the job's state; binlog_row_metadata=FULL lets every row event carry its own column list", orUnset(strings.ToUpper(vars["binlog_row_metadata"]))))
	}

	g, err := s.grants(ctx)
	if err != nil {
		return rep, err
	}
	user := s.cfg.User
	if !g.has("REPLICATION SLAVE", "REPLICATION REPLICA") {
		problems = append(problems, fmt.Sprintf("user %s lacks the REPLICATION SLAVE privilege, needed to read the binlog; GRANT REPLICATION SLAVE ON *.* TO %s", user, g.grantee))
	}
	// SHOW BINARY LOG STATUS needs REPLICATION CLIENT (MariaDB ≥ 10.5: BINLOG MONITOR,
	// of which REPLICATION CLIENT is an alias); ask the server rather than guess.
	if _, err := readPosition(ctx, s.db, si); err != nil && isAccessDenied(err) {
		priv := "REPLICATION CLIENT"
		if si.flavor == FlavorMariaDB && si.atLeast(10, 5, 2) {
			priv = "BINLOG MONITOR"
		}
		problems = append(problems, fmt.Sprintf("user %s lacks the %s privilege, needed to read the binlog position; GRANT %s ON *.* TO %s", user, priv, priv, g.grantee))
	}
	if !g.has("SELECT") {
		dbs, err := s.databases(ctx)
		if err != nil {
			return rep, err
		}
		var missing []string
		for _, db := range dbs {
			if !g.hasOn(db, "SELECT") {
				missing = append(missing, db)
			}
		}
		if len(dbs) == 0 {
			// The server shows a user only the databases it has privileges on.
			problems = append(problems, fmt.Sprintf("user %s sees no database matching database-name %q, so it cannot SELECT from the databases to replicate, needed for the snapshot; GRANT SELECT ON `<database>`.* TO %s for each (or GRANT SELECT ON *.*)", user, s.cfg.Databases.String(), g.grantee))
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("user %s cannot SELECT from database %s, needed for the snapshot; GRANT SELECT ON `%s`.* TO %s (or GRANT SELECT ON *.*)", user, strings.Join(missing, ", "), missing[0], g.grantee))
		}
	}
	rep.CanLock = g.has("RELOAD")
	if !rep.CanLock {
		rep.Notes = append(rep.Notes, fmt.Sprintf("user %s lacks RELOAD, so the snapshot cannot take the brief FLUSH TABLES WITH READ LOCK: when the readers cannot share one view without it, the stream replays from before the copy (exact for tables with a primary key; tables without one may get duplicates of rows written during the copy); GRANT RELOAD ON *.* TO %s", user, g.grantee))
	}
	if len(problems) > 0 && g.viaRoles {
		problems = append(problems, "some privileges may come from roles, which this check cannot see; if so, grant them to the user directly")
	}
	if len(problems) > 0 {
		return rep, exitcode.Usage(&PreflightError{Addr: s.cfg.addr(), Problems: problems})
	}
	return rep, nil
}

func orUnset(v string) string {
	if v == "" {
		return "not set (the server does not have it)"
	}
	return v
}

// globalVariables reads the named global variables; ones the server does not have are
// absent from the map.
func (s *Source) globalVariables(ctx context.Context, names ...string) (map[string]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'" // our own constant names
	}
	rows, err := s.db.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ("+strings.Join(quoted, ", ")+")")
	if err != nil {
		return nil, s.queryError("read server variables", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, s.queryError("read server variables", err)
		}
		out[strings.ToLower(name)] = value
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("read server variables", err)
	}
	return out, nil
}

// grantSet is the user's privileges as SHOW GRANTS lists them.
type grantSet struct {
	grantee  string              // 'user'@'host', for the fix lines
	global   map[string]bool     // privileges ON *.*
	perDB    map[string][]string // database → privileges ON `db`.*
	viaRoles bool                // some grants are roles
}

var (
	grantLine = regexp.MustCompile("(?is)^GRANT\\s+(.+?)\\s+ON\\s+(?:TABLE\\s+)?(\\*|`(?:[^`]|``)*`|\\w+)\\.(\\*|`(?:[^`]|``)*`|\\w+)\\s+TO\\s+(\\S+)")
	roleLine  = regexp.MustCompile("(?is)^GRANT\\s+[`'][^`']*[`'](?:@[`'][^`']*[`'])?(?:\\s*,\\s*[`'][^`']*[`'](?:@[`'][^`']*[`'])?)*\\s+TO\\s+")
)

// grants parses SHOW GRANTS (of the current user). The password hash MariaDB prints
// after IDENTIFIED BY is never kept.
func (s *Source) grants(ctx context.Context) (grantSet, error) {
	g := grantSet{global: map[string]bool{}, perDB: map[string][]string{}, grantee: "'" + s.cfg.User + "'@'%'"}
	rows, err := s.db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return g, s.queryError("read the user's privileges (SHOW GRANTS)", err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return g, s.queryError("read the user's privileges (SHOW GRANTS)", err)
		}
		m := grantLine.FindStringSubmatch(line)
		if m == nil {
			if roleLine.MatchString(line) {
				g.viaRoles = true
			}
			continue
		}
		if grantee := strings.Fields(m[4])[0]; grantee != "" {
			g.grantee = strings.ReplaceAll(grantee, "`", "'")
		}
		privs := splitPrivileges(m[1])
		switch {
		case m[2] == "*" && m[3] == "*":
			for _, p := range privs {
				g.global[p] = true
			}
		case m[3] == "*":
			db := unquoteIdent(m[2])
			g.perDB[db] = append(g.perDB[db], privs...)
		}
	}
	if err := rows.Err(); err != nil {
		return g, s.queryError("read the user's privileges (SHOW GRANTS)", err)
	}
	return g, nil
}

// splitPrivileges turns "SELECT, INSERT (a, b), REPLICATION SLAVE" into upper-case
// privilege names, dropping column lists.
func splitPrivileges(list string) []string {
	var out []string
	depth := 0
	var cur strings.Builder
	flush := func() {
		if p := strings.Join(strings.Fields(strings.ToUpper(cur.String())), " "); p != "" {
			out = append(out, p)
		}
		cur.Reset()
	}
	for _, r := range list {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ',' && depth == 0:
			flush()
		case depth == 0:
			cur.WriteRune(r)
		}
	}
	flush()
	sort.Strings(out)
	return out
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

// has reports whether any of the privileges is held on *.* (ALL PRIVILEGES counts).
func (g grantSet) has(privs ...string) bool {
	if g.global["ALL PRIVILEGES"] || g.global["ALL"] {
		return true
	}
	for _, p := range privs {
		if g.global[p] {
			return true
		}
	}
	return false
}

// hasOn reports whether priv is held on database db (or globally). Wildcard database
// grants (`shop\_%`.*) are matched as LIKE patterns, as the server does.
func (g grantSet) hasOn(db, priv string) bool {
	if g.has(priv) {
		return true
	}
	for pattern, privs := range g.perDB {
		if !likeMatch(pattern, db) {
			continue
		}
		for _, p := range privs {
			if p == priv || p == "ALL PRIVILEGES" || p == "ALL" {
				return true
			}
		}
	}
	return false
}

// likeMatch matches s against a grant's database pattern: % and _ are wildcards, a
// backslash escapes them.
func likeMatch(pattern, s string) bool {
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\' && i+1 < len(pattern):
			i++
			re.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		case c == '%':
			re.WriteString(".*")
		case c == '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	re.WriteString("$")
	ok, err := regexp.MatchString(re.String(), s)
	return err == nil && ok
}

// isAccessDenied reports a privilege error from the server (1227 ER_SPECIFIC_ACCESS_DENIED,
// 1142/1143 table/column access, 1044/1045 access denied).
func isAccessDenied(err error) bool {
	switch mysqlErrorNumber(err) {
	case 1227, 1142, 1143, 1044, 1045:
		return true
	}
	return false
}

// mysqlErrorNumber returns the server's error number in err's chain, or 0.
func mysqlErrorNumber(err error) uint16 {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
