// Package smoke proves the test foundation end to end: real MariaDB and PostgreSQL servers
// and the Doris stand-in start together; rows read from each source reach the stand-in by
// a hand-made Stream Load (FE 307 → BE, credentials kept) and read back over its MySQL
// port exactly as they were written.
package smoke

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/doris"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	"github.com/doris-sync/doris-sync/testkit/postgres"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const standinPassword = "s3cret"

func startStandin(t *testing.T) (*doris.Server, *sql.DB) {
	t.Helper()
	s, err := doris.Start(doris.Options{Password: standinPassword})
	if err != nil {
		t.Fatalf("start stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	db, err := sql.Open("mysql", fmt.Sprintf("root:%s@tcp(%s)/?interpolateParams=true", standinPassword, s.MySQLAddr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("connect to the stand-in's MySQL port: %v", err)
	}
	return s, db
}

// streamLoad sends body to the FE, follows the 307 to the BE by hand with the credentials
// (Go's client would drop them on a cross-host redirect) and returns Doris's answer.
func streamLoad(t *testing.T, s *doris.Server, db, table, label string, body []byte) map[string]any {
	t.Helper()
	client := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("root:"+standinPassword))
	url := fmt.Sprintf("http://%s/api/%s/%s/_stream_load", s.HTTPAddr(), db, table)
	for hop := 0; hop < 3; hop++ {
		req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Expect", "100-continue")
		req.Header.Set("label", label)
		req.Header.Set("format", "json")
		req.Header.Set("read_json_by_line", "true")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("stream load: %v", err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTemporaryRedirect {
			url = resp.Header.Get("Location")
			if !strings.Contains(url, "root:"+standinPassword+"@") {
				t.Fatalf("FE redirect lost the credentials: Location %q", url)
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream load: HTTP %d: %s", resp.StatusCode, raw)
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("stream load answer is not JSON: %v: %s", err, raw)
		}
		return out
	}
	t.Fatal("stream load: too many redirects")
	return nil
}

type person struct {
	ID    int64
	Name  string
	Score string // DECIMAL(6,2) as exact text
	Born  string // DATE
}

var people = []person{
	{1, "Ada", "12.50", "1815-12-10"},
	{2, "Grace 🚀", "99.99", "1906-12-09"},
	{3, "Zoë \"Q\" O'Neil", "0.01", "2000-02-29"},
}

func jsonLines(t *testing.T, rows []person) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range rows {
		if err := enc.Encode(map[string]any{"id": p.ID, "name": p.Name, "score": p.Score, "born": p.Born}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// loadAndReadBack creates target.people in the stand-in, loads rows and checks what comes
// back through the stand-in's MySQL port and its dump endpoint.
func loadAndReadBack(t *testing.T, s *doris.Server, fe *sql.DB, target string, rows []person) {
	t.Helper()
	for _, stmt := range []string{
		"CREATE DATABASE IF NOT EXISTS " + target,
		"CREATE TABLE " + target + ".people (`id` BIGINT NOT NULL, `name` VARCHAR(400), `score` DECIMAL(6,2), `born` DATE) " +
			"UNIQUE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1 PROPERTIES (\"replication_num\" = \"1\")",
	} {
		if _, err := fe.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	res := streamLoad(t, s, target, "people", "smoke_"+target, jsonLines(t, rows))
	if res["Status"] != "Success" || res["NumberLoadedRows"] != float64(len(rows)) {
		t.Fatalf("stream load answer: %v", res)
	}

	var n int
	if err := fe.QueryRow("SELECT COUNT(*) FROM " + target + ".people").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Fatalf("COUNT(*) = %d, want %d", n, len(rows))
	}
	got, err := fe.Query("SELECT * FROM " + target + ".people")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	var back []person
	for got.Next() {
		var p person
		if err := got.Scan(&p.ID, &p.Name, &p.Score, &p.Born); err != nil {
			t.Fatal(err)
		}
		back = append(back, p)
	}
	if err := got.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back) != fmt.Sprint(rows) {
		t.Fatalf("read back through the MySQL port:\n got %v\nwant %v", back, rows)
	}

	// A replay of the same batch with the same label is refused: it is already loaded.
	again := streamLoad(t, s, target, "people", "smoke_"+target, jsonLines(t, rows))
	if again["Status"] != "Label Already Exists" || again["ExistingJobStatus"] != "FINISHED" {
		t.Fatalf("replayed label: %v", again)
	}
}

func TestMariaDBToStandin(t *testing.T) {
	src := mariadb.Shared(t)
	db := src.DB(t)
	src.Exec(t, db,
		"CREATE TABLE people (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, score DECIMAL(6,2), born DATE) DEFAULT CHARSET utf8mb4",
		"INSERT INTO people VALUES (1,'Ada',12.50,'1815-12-10'),(2,'Grace 🚀',99.99,'1906-12-09'),(3,'Zoë \"Q\" O''Neil',0.01,'2000-02-29')",
	)
	// Read as the least-privilege replication user, as doris-sync will.
	conn, err := sql.Open("mysql", src.ReplDSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query("SELECT id, name, CAST(score AS CHAR), CAST(born AS CHAR) FROM people ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var read []person
	for rows.Next() {
		var p person
		if err := rows.Scan(&p.ID, &p.Name, &p.Score, &p.Born); err != nil {
			t.Fatal(err)
		}
		read = append(read, p)
	}
	rows.Close()
	if fmt.Sprint(read) != fmt.Sprint(people) {
		t.Fatalf("read from MariaDB:\n got %v\nwant %v", read, people)
	}
	s, fe := startStandin(t)
	loadAndReadBack(t, s, fe, "from_mariadb", read)
}

func TestPostgresToStandin(t *testing.T) {
	src := postgres.Shared(t)
	db := src.DB(t)
	src.Exec(t, db,
		"CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, score numeric(6,2), born date)",
		"INSERT INTO people VALUES (1,'Ada',12.50,'1815-12-10'),(2,'Grace 🚀',99.99,'1906-12-09'),(3,'Zoë \"Q\" O''Neil',0.01,'2000-02-29')",
	)
	conn := src.Conn(t, db)
	rows, err := conn.Query(context.Background(), "SELECT id, name, score::text, born::text FROM people ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var read []person
	for rows.Next() {
		var p person
		if err := rows.Scan(&p.ID, &p.Name, &p.Score, &p.Born); err != nil {
			t.Fatal(err)
		}
		read = append(read, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(read) != fmt.Sprint(people) {
		t.Fatalf("read from PostgreSQL:\n got %v\nwant %v", read, people)
	}
	s, fe := startStandin(t)
	loadAndReadBack(t, s, fe, "from_postgres", read)
}

// A load that real Doris would reject is rejected: a name longer than its VARCHAR in
// bytes ("Grace 🚀" is 10 bytes) fails the whole load with Doris's message and ErrorURL.
func TestStandinRejectsWhatDorisRejects(t *testing.T) {
	s, fe := startStandin(t)
	for _, stmt := range []string{
		"CREATE DATABASE strict_db",
		"CREATE TABLE strict_db.people (`id` BIGINT NOT NULL, `name` VARCHAR(9), `score` DECIMAL(6,2), `born` DATE) " +
			"UNIQUE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1 PROPERTIES (\"replication_num\" = \"1\")",
	} {
		if _, err := fe.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	res := streamLoad(t, s, "strict_db", "people", "too_long", jsonLines(t, people))
	if res["Status"] != "Fail" || !strings.Contains(fmt.Sprint(res["Message"]), "too many filtered rows") {
		t.Fatalf("want Fail / too many filtered rows, got %v", res)
	}
	if u, _ := res["ErrorURL"].(string); u == "" {
		t.Fatalf("no ErrorURL in %v", res)
	}
	var n int
	if err := fe.QueryRow("SELECT COUNT(*) FROM strict_db.people").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a failed load must load nothing; COUNT(*) = %d", n)
	}
}
