package sink

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/config"
)

// The command line validates --sink-conf against config's key registry and the sink
// parses the same map: every key the registry documents (with a value of its documented
// form) must be accepted here, so a value the command line let through is never refused
// at run time, and every key the registry calls "no effect" must be ignored, not refused.
func TestEverySinkKeyOfTheCommandLineIsUnderstood(t *testing.T) {
	sample := map[string]string{
		"fenodes": "127.0.0.1:8030", "benodes": "127.0.0.1:8040", "jdbc-url": "jdbc:mysql://127.0.0.1:9030",
		"username": "root", "password": "pw", "doris.tls.excluded-protocols": "TLSv1",
		"doris.tls.ca-certificate-path": "/etc/ssl/ca.pem", "sink.label-prefix": "job",
		"sink.buffer-flush.interval": "1min", "sink.buffer-flush.max-bytes": "100MB",
		"doris.request.connect.timeout.ms": "5000", "doris.request.read.timeout.ms": "10min",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{"fenodes": "127.0.0.1:8030", "username": "root", "jdbc-url": "jdbc:mysql://127.0.0.1:9030"}
		m[k] = v
		return m
	}
	for _, k := range config.SinkKeys() {
		if strings.HasSuffix(k.Name, ".*") || k.Name == "password-file" {
			continue // families are checked below; password-file reads a file
		}
		v, ok := sample[k.Name]
		if !ok {
			v = k.Default
		}
		if v == "" || strings.Contains(v, " ") {
			v = "true" // descriptive defaults ("DUPLICATE tables only") belong to boolean keys
		}
		if _, _, err := ParseConfig(with(k.Name, v)); err != nil {
			t.Errorf("--sink-conf %s=%s is accepted by the command line but refused by the sink: %v", k.Name, v, err)
		}
	}
	if _, _, err := ParseConfig(with("sink.properties.strict_mode", "true")); err != nil {
		t.Errorf("sink.properties.*: %v", err)
	}
	for _, k := range config.IgnoredSinkKeys() {
		name := strings.Replace(k.Name, "*", "anything", 1)
		_, ignored, err := ParseConfig(with(name, "1"))
		if err != nil || len(ignored) != 1 {
			t.Errorf("no-effect key %s: ignored=%v err=%v", name, ignored, err)
		}
	}
}
