package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/doris-sync/doris-sync/schema"
)

// PositionKind is the kind of MySQL and MariaDB positions (schema.Position.Kind).
const PositionKind = "mysql"

// Flavors of server, as go-mysql names them.
const (
	FlavorMySQL   = gomysql.MySQLFlavor   // "mysql"
	FlavorMariaDB = gomysql.MariaDBFlavor // "mariadb"
)

// Position is a place in a MySQL or MariaDB binlog: a GTID set (MySQL "uuid:1-5,…",
// MariaDB "domain-server-seq,…"), a binlog file and offset, or both. A position with a
// GTID set is ordered by it (it survives a failover); one without is ordered by file
// and offset, which only mean something on one server.
//
// Positions are plain values: comparable with ==, and encoded to JSON as
// {"flavor":"mariadb","gtid_mode":true,"gtid":"0-1-11","file":"binlog.000001","pos":1234}.
type Position struct {
	Flavor string `json:"flavor"`
	// GTIDMode says GTID holds the position (an empty GTID is then the empty set:
	// before every transaction).
	GTIDMode bool   `json:"gtid_mode,omitempty"`
	GTID     string `json:"gtid,omitempty"`
	File     string `json:"file,omitempty"`
	Pos      uint32 `json:"pos,omitempty"`
}

var _ schema.Position = Position{}

func init() {
	schema.RegisterPositionKind(PositionKind, func(data json.RawMessage) (schema.Position, error) {
		var p Position
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, err
		}
		if err := p.validate(); err != nil {
			return nil, err
		}
		return p, nil
	})
}

// validate checks a decoded position: a known flavor, a parseable GTID set, and at
// least one of GTID set and file.
func (p Position) validate() error {
	if p.Flavor != FlavorMySQL && p.Flavor != FlavorMariaDB {
		return fmt.Errorf("mysql position: unknown flavor %q (want mysql or mariadb)", p.Flavor)
	}
	if !p.GTIDMode && p.File == "" {
		return errors.New("mysql position: neither a GTID set nor a binlog file")
	}
	if !p.GTIDMode && p.GTID != "" {
		return errors.New("mysql position: a GTID set without gtid_mode")
	}
	if p.GTID != "" {
		if _, err := gomysql.ParseGTIDSet(p.Flavor, p.GTID); err != nil {
			return fmt.Errorf("mysql position: GTID set %q: %w", p.GTID, err)
		}
	}
	return nil
}

// Kind is PositionKind.
func (p Position) Kind() string { return PositionKind }

// String is "gtid 0-1-11", "binlog.000003:1234" or both.
func (p Position) String() string {
	var parts []string
	switch {
	case p.GTIDMode && p.GTID != "":
		parts = append(parts, "gtid "+p.GTID)
	case p.GTIDMode:
		parts = append(parts, "gtid (empty set)")
	}
	if p.File != "" {
		parts = append(parts, fmt.Sprintf("%s:%d", p.File, p.Pos))
	}
	return strings.Join(parts, " ")
}

// gtidSet parses the GTID set.
func (p Position) gtidSet() (gomysql.GTIDSet, error) {
	return gomysql.ParseGTIDSet(p.Flavor, p.GTID)
}

// Compare orders two positions of the same flavor: by GTID set when both have one
// (containment: a set that holds every transaction of the other is after it; sets
// that each hold a transaction the other lacks cannot be ordered), else by binlog file
// and offset when both have them.
func (p Position) Compare(other schema.Position) (int, error) {
	o, ok := other.(Position)
	if !ok {
		return 0, fmt.Errorf("compare mysql position with %T: %w", other, schema.ErrIncomparable)
	}
	if p.Flavor != o.Flavor {
		return 0, fmt.Errorf("compare %s position with %s position: %w", p.Flavor, o.Flavor, schema.ErrIncomparable)
	}
	if p.GTIDMode && o.GTIDMode {
		return compareGTID(p, o)
	}
	if p.File != "" && o.File != "" {
		if c := gomysql.CompareBinlogFileName(p.File, o.File); c != 0 {
			return c, nil
		}
		switch {
		case p.Pos < o.Pos:
			return -1, nil
		case p.Pos > o.Pos:
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("compare %s with %s: one is a GTID set, the other a binlog file position: %w", p, o, schema.ErrIncomparable)
}

func compareGTID(p, o Position) (int, error) {
	a, err := p.gtidSet()
	if err != nil {
		return 0, fmt.Errorf("compare positions: %q: %w", p.GTID, err)
	}
	b, err := o.gtidSet()
	if err != nil {
		return 0, fmt.Errorf("compare positions: %q: %w", o.GTID, err)
	}
	aHasB, bHasA := a.Contain(b), b.Contain(a)
	switch {
	case aHasB && bHasA:
		return 0, nil
	case aHasB:
		return 1, nil
	case bHasA:
		return -1, nil
	}
	return 0, fmt.Errorf("GTID sets %s and %s each hold transactions the other lacks: %w", p.GTID, o.GTID, schema.ErrIncomparable)
}

// serverInfo is what the data path needs to know about the server.
type serverInfo struct {
	flavor  string // FlavorMySQL or FlavorMariaDB
	version [3]int // major, minor, patch
	gtidOn  bool   // MySQL gtid_mode=ON (MariaDB: always true)
}

func parseServerInfo(version string) serverInfo {
	si := serverInfo{flavor: FlavorMySQL}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		si.flavor = FlavorMariaDB
	}
	v := version
	// MariaDB 10.x replicating as MySQL 5.5 reports "5.5.5-10.11.2-MariaDB".
	if strings.HasPrefix(v, "5.5.5-") && si.flavor == FlavorMariaDB {
		v = strings.TrimPrefix(v, "5.5.5-")
	}
	v, _, _ = strings.Cut(v, "-")
	for i, part := range strings.SplitN(v, ".", 3) {
		n := 0
		for _, c := range part {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		si.version[i] = n
	}
	return si
}

// atLeast reports whether the server version is at least major.minor.patch.
func (si serverInfo) atLeast(major, minor, patch int) bool {
	want := [3]int{major, minor, patch}
	for i := range want {
		if si.version[i] != want[i] {
			return si.version[i] > want[i]
		}
	}
	return true
}

// binlogStatusQuery is the statement that shows the current binlog file and position:
// MySQL 8.4 removed SHOW MASTER STATUS (SHOW BINARY LOG STATUS exists since 8.2),
// MariaDB 10.5.2 added SHOW BINLOG STATUS as its new name.
func (si serverInfo) binlogStatusQuery() string {
	switch {
	case si.flavor == FlavorMariaDB && si.atLeast(10, 5, 2):
		return "SHOW BINLOG STATUS"
	case si.flavor == FlavorMySQL && si.atLeast(8, 2, 0):
		return "SHOW BINARY LOG STATUS"
	}
	return "SHOW MASTER STATUS"
}

// queryer is what position reads need: a pool, a connection or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readPosition reads the server's current binlog position on q: file and offset from
// the binlog status, and the GTID set (MySQL with gtid_mode=ON: Executed_Gtid_Set;
// MariaDB: @@gtid_binlog_pos, the GTIDs the binlog holds).
func readPosition(ctx context.Context, q queryer, si serverInfo) (Position, error) {
	stmt := si.binlogStatusQuery()
	rows, err := q.QueryContext(ctx, stmt)
	if err != nil {
		return Position{}, fmt.Errorf("%s: %w", stmt, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Position{}, fmt.Errorf("%s: %w", stmt, err)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Position{}, fmt.Errorf("%s: %w", stmt, err)
		}
		return Position{}, fmt.Errorf("%s returned nothing: the binary log is off; %s", stmt, fixLogBin)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return Position{}, fmt.Errorf("%s: %w", stmt, err)
	}
	if err := rows.Close(); err != nil {
		return Position{}, fmt.Errorf("%s: %w", stmt, err)
	}
	p := Position{Flavor: si.flavor}
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "file":
			p.File = vals[i].String
		case "position":
			var n uint64
			if _, err := fmt.Sscan(vals[i].String, &n); err != nil {
				return Position{}, fmt.Errorf("%s: position %q: %w", stmt, vals[i].String, err)
			}
			p.Pos = uint32(n)
		case "executed_gtid_set":
			if si.flavor == FlavorMySQL && si.gtidOn {
				p.GTIDMode, p.GTID = true, normalizeGTID(vals[i].String)
			}
		}
	}
	if si.flavor == FlavorMariaDB {
		p.GTIDMode = true
		if err := q.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&p.GTID); err != nil {
			return Position{}, fmt.Errorf("read @@gtid_binlog_pos: %w", err)
		}
	}
	return p, nil
}

// normalizeGTID removes the line breaks MySQL puts into long GTID sets.
func normalizeGTID(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// serverInfo reads the flavor, version and (MySQL) gtid_mode of the source.
func (s *Source) serverInfo(ctx context.Context) (serverInfo, error) {
	si := parseServerInfo(s.version)
	if si.flavor == FlavorMariaDB {
		si.gtidOn = true
		return si, nil
	}
	var mode sql.NullString
	if err := s.db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_mode").Scan(&mode); err != nil {
		if mysqlErrorNumber(err) == 1193 { // unknown system variable: a server before GTIDs
			return si, nil
		}
		return si, s.queryError("read gtid_mode", err)
	}
	si.gtidOn = strings.EqualFold(mode.String, "ON")
	return si, nil
}

// CurrentPosition is the server's binlog position now: the GTID set of everything
// committed (when GTIDs are on) and the current binlog file and offset. A cron run
// reads it at start and stops once the stream has passed it.
func (s *Source) CurrentPosition(ctx context.Context) (Position, error) {
	si, err := s.serverInfo(ctx)
	if err != nil {
		return Position{}, err
	}
	p, err := readPosition(ctx, s.db, si)
	if err != nil {
		return Position{}, s.queryError("read the binlog position", err)
	}
	return p, nil
}
