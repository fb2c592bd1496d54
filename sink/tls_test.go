package sink

import (
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/sink/streamload"
)

// The TLS keys build a client that verifies Doris with the given CA, and with
// skip-hostname-verification still checks the chain but not the name.
func TestTLSOptions(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"TxnId": 1, "Label": "l", "TwoPhaseCommit": "false", "Status": "Success", "Message": "OK"}`)
	}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))

	load := func(c Config, node string) error {
		c.BENodes = []string{node}
		sc, err := c.clientConfig()
		if err != nil {
			return err
		}
		cl, err := streamload.New(sc)
		if err != nil {
			return err
		}
		defer cl.Close()
		_, err = cl.Load(context.Background(), &streamload.Request{DB: "d", Table: "t", Header: http.Header{}, Body: [][]byte{[]byte("x")}})
		return err
	}
	c := DefaultConfig()
	c.User, c.EnableTLS, c.TLSCAFile = "u", true, caFile
	if err := load(c, "127.0.0.1:"+port); err != nil {
		t.Errorf("load with the CA: %v", err)
	}
	// The test certificate names 127.0.0.1 and example.com, not localhost.
	if err := load(c, "localhost:"+port); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("load to a name the certificate lacks = %v, want a certificate error", err)
	}
	c.TLSSkipVerifyHost = true
	if err := load(c, "localhost:"+port); err != nil {
		t.Errorf("load with skip-hostname-verification: %v", err)
	}
	noCA := DefaultConfig()
	noCA.User, noCA.EnableTLS, noCA.TLSSkipVerifyHost = "u", true, true
	if err := load(noCA, "localhost:"+port); err == nil {
		t.Error("skip-hostname-verification accepted a certificate from an unknown CA")
	}
	c.TLSExcluded = []string{"TLSv1.2", "TLSv1.3"}
	if _, err := c.clientConfig(); err == nil {
		t.Error("excluding every TLS version was accepted")
	}
}
