package state

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
)

func TestSealIsCanonical(t *testing.T) {
	a, err := Identity{
		SourceKind: "MySQL",
		Source:     SourceAddress{Hosts: []string{"b:3306", "a:3306"}, Databases: []string{"y", "x", "x"}},
	}.Seal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Identity{
		SourceKind: "mysql",
		Source:     SourceAddress{Hosts: []string{"a:3306", "admin:hunter2@b:3306"}, Databases: []string{"x", "y"}},
	}.Seal()
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint != b.Fingerprint || len(a.Fingerprint) != 64 {
		t.Errorf("equivalent identities got fingerprints %q and %q", a.Fingerprint, b.Fingerprint)
	}
	if strings.Join(b.Source.Hosts, ",") != "a:3306,b:3306" || strings.Join(b.Source.Databases, ",") != "x,y" {
		t.Errorf("sealed address %+v", b.Source)
	}
	c, _ := Identity{SourceKind: "mysql", Source: SourceAddress{Hosts: []string{"a:3306", "b:3307"}, Databases: []string{"x", "y"}}}.Seal()
	if c.Fingerprint == a.Fingerprint {
		t.Error("a different port gives the same fingerprint")
	}
}

func TestHostEntriesLoseUserInfo(t *testing.T) {
	for in, want := range map[string]string{
		"db:3306":             "db:3306",
		"root:s3cret@db:3306": "db:3306",
		"mongodb://u:p%40ss@h1:27017,h2:27017/admin?replicaSet=rs0": "h1:27017,h2:27017",
		"mongodb+srv://user@cluster.example.net":                    "cluster.example.net",
		"postgres://u:pw@pg:5432/shop":                              "pg:5432",
		" h1:1 , h2:2 ":                                             "h1:1,h2:2",
	} {
		if got := strings.Join(splitHosts(in), ","); got != want {
			t.Errorf("splitHosts(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCredentialOptionsAreRefused(t *testing.T) {
	for _, key := range []string{"password", "PGPASSWORD", "sasl.passwd", "auth.token", "client_secret", "ssl.private-key-pass"} {
		id := sampleIdentity()
		id.Source.Options = map[string]string{key: "x"}
		_, err := id.Seal()
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("option %q: Seal error %v, want a refusal naming it", key, err)
		}
	}
}

// sourceConf stands for a source's connection settings as the command line gives them.
type sourceConf struct {
	Hostname, Port, Username, Password, Database string
	SlotName                                     string
}

func identityFrom(c sourceConf) Identity {
	return Identity{
		SourceKind: "postgres",
		Source: SourceAddress{
			Hosts:     []string{c.Username + ":" + c.Password + "@" + c.Hostname + ":" + c.Port},
			Databases: []string{c.Database},
			Options:   map[string]string{"slot.name": c.SlotName},
		},
		TargetDatabase: "dw",
	}
}

func TestNoSecretsInTheStateFile(t *testing.T) {
	const secret = "Pl4nted-S3cret-Value"
	conf := sourceConf{Hostname: "pg.internal", Port: "5432", Username: "replicator", Password: secret, Database: "shop", SlotName: "doris_sync"}
	dir := t.TempDir()
	s := openT(t, dir, "pg")
	st, err := s.Resume(identityFrom(conf))
	if err != nil {
		t.Fatal(err)
	}
	st.FinishRun(st.Created, errors.New("connect to pg.internal:5432: refused"), nil)
	saveT(t, s, st)
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), secret) {
		t.Errorf("the state file holds the planted secret:\n%s", data)
	}
	if strings.Contains(string(data), "replicator") {
		t.Errorf("the state file holds the user name:\n%s", data)
	}
	// No key anywhere in the document names a password.
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	secretKey := regexp.MustCompile(`(?i)pass|pwd|secret`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if secretKey.MatchString(k) {
					t.Errorf("state file has key %s.%s", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("$", doc)
	if !strings.Contains(string(data), `"pg.internal:5432"`) || !strings.Contains(string(data), `"doris_sync"`) {
		t.Errorf("the state file lacks the non-secret address or slot:\n%s", data)
	}
}

func TestResumingADifferentJobIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "shop")
	st, err := s.Resume(sampleIdentity())
	if err != nil {
		t.Fatal(err)
	}
	saveT(t, s, st)

	same := sampleIdentity()
	same.Source.Hosts = []string{"user:pw@db1.example:3306"}
	if err := s.CheckIdentity(same); err != nil {
		t.Errorf("the same job with credentials in the host entry was refused: %v", err)
	}

	other := sampleIdentity()
	other.Source.Hosts = []string{"db2.example:3306"}
	other.TargetDatabase = "dw2"
	other.Filters.Including = "orders"
	other.Source.Options = map[string]string{"server-id": "5401", "extra": "1"}
	for name, check := range map[string]func() error{
		"CheckIdentity": func() error { return s.CheckIdentity(other) },
		"Resume":        func() error { _, err := s.Resume(other); return err },
	} {
		err := check()
		var mm *IdentityMismatchError
		if !errors.As(err, &mm) {
			t.Fatalf("%s with a different identity: %v", name, err)
		}
		if exitcode.Of(err) != exitcode.UsageError {
			t.Errorf("%s: exit code %d, want 2", name, exitcode.Of(err))
		}
		msg := err.Error()
		for _, want := range []string{
			`job "shop"`, s.Path(),
			"source hosts was [db1.example:3306], now [db2.example:3306]",
			`source option extra was unset, now "1"`,
			`source option server-id was "5400", now "5401"`,
			`--including-tables was "orders|items", now "orders"`,
			`target database (--database) was "dw", now "dw2"`,
			"another --job-name", "delete " + s.Path(),
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message %q does not say %q", name, msg, want)
			}
		}
		if strings.Contains(msg, "source kind") || strings.Contains(msg, "--table-prefix") || strings.Contains(msg, "\n") {
			t.Errorf("%s: message lists fields that did not change, or spans lines: %q", name, msg)
		}
		if len(mm.Diffs) != 5 {
			t.Errorf("%s: %d diffs, want 5: %+v", name, len(mm.Diffs), mm.Diffs)
		}
	}
}

func TestCheckIdentityOfANewJobPasses(t *testing.T) {
	s := openT(t, t.TempDir(), "new")
	if err := s.CheckIdentity(sampleIdentity()); err != nil {
		t.Errorf("a job without state was refused: %v", err)
	}
	st, err := s.Resume(sampleIdentity())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sampleIdentity().Seal()
	if st.Job == nil || st.Job.Fingerprint != want.Fingerprint {
		t.Errorf("new state identity %+v, want %+v", st.Job, want)
	}
}
