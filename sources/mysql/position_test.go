package mysql

import (
	"errors"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestPositionCompare(t *testing.T) {
	const u1, u2 = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4ecc45d4-e5a4-11f1-bbe4-02fc00000001"
	my := func(g string) Position { return Position{Flavor: FlavorMySQL, GTIDMode: true, GTID: g} }
	maria := func(g string) Position { return Position{Flavor: FlavorMariaDB, GTIDMode: true, GTID: g} }
	file := func(f string, p uint32) Position { return Position{Flavor: FlavorMySQL, File: f, Pos: p} }
	cases := []struct {
		a, b Position
		want int
	}{
		{my(u1 + ":1-5"), my(u1 + ":1-5"), 0},
		{my(u1 + ":1-5"), my(u1 + ":1-6"), -1},
		{my(u1 + ":1-6"), my(u1 + ":1-5"), 1},
		{my(""), my(u1 + ":1"), -1}, // the empty set is before everything
		{my(u1 + ":1-5," + u2 + ":1-3"), my(u1 + ":1-5"), 1},
		{my(u1 + ":1-3:5"), my(u1 + ":1-5"), -1}, // a gap: still contained
		{maria("0-1-11"), maria("0-1-12"), -1},
		{maria("0-1-12"), maria("0-2-11"), 1}, // the sequence orders a domain, whatever the server
		{maria("0-1-5,1-1-7"), maria("0-1-5"), 1},
		{maria(""), maria("0-1-1"), -1},
		{file("binlog.000002", 4), file("binlog.000001", 9000), 1},
		{file("binlog.000010", 4), file("binlog.000009", 4), 1}, // numerically, not as text
		{file("binlog.000001", 120), file("binlog.000001", 120), 0},
		{file("binlog.000001", 119), file("binlog.000001", 120), -1},
		// GTID wins when both have one, whatever the files say.
		{Position{Flavor: FlavorMySQL, GTIDMode: true, GTID: u1 + ":1-5", File: "b.000009", Pos: 4}, Position{Flavor: FlavorMySQL, GTIDMode: true, GTID: u1 + ":1-5", File: "b.000001", Pos: 4}, 0},
	}
	for _, c := range cases {
		got, err := schema.ComparePositions(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("compare %s with %s: got %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
	}
	incomparable := [][2]Position{
		{my(u1 + ":1-5"), my(u2 + ":1-5")},              // different servers
		{my(u1 + ":1-5," + u2 + ":1"), my(u1 + ":1-6")}, // each has one the other lacks
		{maria("0-1-5"), maria("1-1-5")},
		{my(u1 + ":1"), maria("0-1-1")},      // flavors
		{my(u1 + ":1"), file("binlog.1", 4)}, // GTID set against file offset
	}
	for _, c := range incomparable {
		if _, err := schema.ComparePositions(c[0], c[1]); !errors.Is(err, schema.ErrIncomparable) {
			t.Errorf("compare %s with %s: got %v, want ErrIncomparable", c[0], c[1], err)
		}
	}
}

func TestPositionJSONRoundTrip(t *testing.T) {
	for _, p := range []Position{
		{Flavor: FlavorMySQL, GTIDMode: true, GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9"},
		{Flavor: FlavorMySQL, GTIDMode: true}, // the empty set
		{Flavor: FlavorMariaDB, GTIDMode: true, GTID: "0-1-11,1-2-5", File: "binlog.000003", Pos: 1234},
		{Flavor: FlavorMySQL, File: "mysql-bin.000001", Pos: 4},
	} {
		data, err := schema.MarshalPosition(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := schema.UnmarshalPosition(data)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if back != schema.Position(p) {
			t.Errorf("round trip of %s: got %#v want %#v", data, back, p)
		}
	}
	data, _ := schema.MarshalPosition(Position{Flavor: FlavorMariaDB, GTIDMode: true, GTID: "0-1-11"})
	if string(data) != `{"kind":"mysql","value":{"flavor":"mariadb","gtid_mode":true,"gtid":"0-1-11"}}` {
		t.Errorf("encoded as %s", data)
	}
	for in, want := range map[string]string{
		`{"kind":"mysql","value":{"flavor":"oracle","file":"x","pos":4}}`:            "unknown flavor",
		`{"kind":"mysql","value":{"flavor":"mysql"}}`:                                "neither a GTID set nor a binlog file",
		`{"kind":"mysql","value":{"flavor":"mariadb","gtid_mode":true,"gtid":"zz"}}`: "GTID set",
		`{"kind":"mysql","value":{"flavor":"mysql","gtid":"x","file":"b.1"}}`:        "without gtid_mode",
	} {
		if _, err := schema.UnmarshalPosition([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", in, err, want)
		}
	}
}

func TestServerInfo(t *testing.T) {
	cases := []struct {
		version string
		flavor  string
		status  string
	}{
		{"10.11.19-MariaDB-0+deb12u1-log", FlavorMariaDB, "SHOW BINLOG STATUS"},
		{"10.4.2-MariaDB", FlavorMariaDB, "SHOW MASTER STATUS"},
		{"5.5.5-10.6.1-MariaDB", FlavorMariaDB, "SHOW BINLOG STATUS"},
		{"9.7.4-2", FlavorMySQL, "SHOW BINARY LOG STATUS"},
		{"8.4.0", FlavorMySQL, "SHOW BINARY LOG STATUS"},
		{"8.0.36-log", FlavorMySQL, "SHOW MASTER STATUS"},
	}
	for _, c := range cases {
		si := parseServerInfo(c.version)
		if si.flavor != c.flavor || si.binlogStatusQuery() != c.status {
			t.Errorf("%s: flavor %s status %q, want %s %q", c.version, si.flavor, si.binlogStatusQuery(), c.flavor, c.status)
		}
	}
}

func TestCurrentPositionMariaDB(t *testing.T) { testCurrentPosition(t, mariaDBFull(t)) }
func TestCurrentPositionMySQL(t *testing.T)   { testCurrentPosition(t, mysql9(t)) }

// testCurrentPosition: the position moves forward with a write, and orders after the
// one before it.
func testCurrentPosition(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	src := srv.source(t, db)
	before := currentPosition(t, src)
	if !before.GTIDMode || before.File == "" || before.Flavor != srv.flavor {
		t.Fatalf("position %#v: want a GTID position with a file", before)
	}
	srv.exec(t, db, "CREATE TABLE p (id INT PRIMARY KEY)", "INSERT INTO p VALUES (1)")
	after := currentPosition(t, src)
	if c, err := after.Compare(before); err != nil || c != 1 {
		t.Errorf("%s compared with %s: %d, %v; want 1", after, before, c, err)
	}
	if after.File == before.File && after.Pos <= before.Pos {
		t.Errorf("file offset did not move: %s then %s", before, after)
	}
}
