package mysql

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLS modes (the ssl.mode setting).
const (
	TLSDisabled   = "disabled"
	TLSPreferred  = "preferred"
	TLSRequired   = "required"
	TLSVerifyCA   = "verify-ca"
	TLSVerifyFull = "verify-full"
)

// TLSConfig is the ssl.* settings.
type TLSConfig struct {
	Mode string // one of the TLS* modes; "" means preferred
	CA   string // PEM file of the CA that signed the server certificate
	Cert string // client certificate PEM file (with Key)
	Key  string
}

// build returns the driver's TLS config (nil: no TLS) and whether the driver may fall
// back to plain text when the server offers no TLS.
func (c TLSConfig) build(host string) (*tls.Config, bool, error) {
	mode := c.Mode
	if mode == "" {
		mode = TLSPreferred
	}
	if mode == TLSDisabled {
		return nil, false, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.Cert != "" || c.Key != "" {
		pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, false, fmt.Errorf("ssl.cert/ssl.key: %w", err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	var roots *x509.CertPool
	if c.CA != "" {
		pem, err := os.ReadFile(c.CA)
		if err != nil {
			return nil, false, fmt.Errorf("ssl.ca: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, false, fmt.Errorf("ssl.ca: %s holds no PEM certificate", c.CA)
		}
	}
	switch mode {
	case TLSPreferred, TLSRequired:
		// Encrypt without checking who answers, as MySQL's own clients do in these modes.
		conf.InsecureSkipVerify = true
		return conf, mode == TLSPreferred, nil
	case TLSVerifyCA:
		// Check the chain but not the host name: Go has no switch for that, so verify
		// by hand.
		conf.InsecureSkipVerify = true
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
		return conf, false, nil
	case TLSVerifyFull:
		conf.RootCAs = roots
		conf.ServerName = host
		return conf, false, nil
	}
	return nil, false, fmt.Errorf("ssl.mode %q is not one of disabled, preferred, required, verify-ca, verify-full", mode)
}
