// Package streamload speaks Doris's Stream Load HTTP protocol: a load PUT through the
// FE (following its 307 to a BE by hand, credentials kept) or straight to a BE, the
// two-phase commit endpoint, and the error log of a rejected load. It knows nothing
// about batching, labels or retries; package sink does.
package streamload

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says where Doris is and how to reach it.
type Config struct {
	FENodes []string // FE HTTP host:port list (fenodes)
	BENodes []string // BE HTTP host:port list (benodes): when set, loads go straight to them
	// AutoRedirect (default true in the sink) loads through the FE, which redirects to a
	// BE. When false and BENodes is empty, the BE list is read from the FE
	// (GET /api/backends?is_alive=true).
	AutoRedirect bool
	User         string
	Password     string
	// TLS enables HTTPS; nil means plain HTTP. A redirect from HTTPS to HTTP is refused.
	TLS            *tls.Config
	ConnectTimeout time.Duration // TCP (and TLS) connect; default 10 s
	ReadTimeout    time.Duration // wait for the reply after the body is sent; default 10 min
}

// Client sends Stream Load requests. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *http.Client
	scheme string
	auth   string // "Basic …", computed once
	next   atomic.Uint32

	beMu sync.Mutex
	bes  []string // BEs discovered from the FE (AutoRedirect off, no BENodes)
}

// New checks the configuration and returns a client.
func New(cfg Config) (*Client, error) {
	if len(cfg.FENodes) == 0 && len(cfg.BENodes) == 0 {
		return nil, errors.New("streamload: no fenodes or benodes configured")
	}
	for _, n := range append(append([]string{}, cfg.FENodes...), cfg.BENodes...) {
		if _, _, err := net.SplitHostPort(n); err != nil {
			return nil, fmt.Errorf("streamload: node %q is not host:port", n)
		}
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Minute
	}
	scheme := "http"
	if cfg.TLS != nil {
		scheme = "https"
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg.TLS,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.ReadTimeout,
		// The FE answers 307 without reading the body; with 100-continue the body is
		// sent only to the BE. Servers that never answer 100 get the body after 2 s.
		ExpectContinueTimeout: 2 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
	c := &Client{
		cfg:    cfg,
		scheme: scheme,
		auth:   "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.User+":"+cfg.Password)),
		http: &http.Client{
			Transport: tr,
			// Redirects are followed by hand: net/http drops Authorization when the BE is
			// another host, and the FE's Location carries the password in clear.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Request is one Stream Load.
type Request struct {
	DB, Table string
	Header    http.Header // format, label, hidden_columns, two_phase_commit … (Authorization and Expect are added)
	// Body is the load body as consecutive chunks (sent as one stream), so a large body
	// is never copied into one slice.
	Body [][]byte
	// Attempt selects the endpoint: attempt n of a batch uses the next node in the list,
	// so a retry goes elsewhere when several nodes are configured.
	Attempt int
}

// TransportError is a failure to get a Doris answer (connect, reset, timeout, HTTP
// status other than 200, a body that is not a load result). The load's outcome is
// unknown; resending it with the same label is safe.
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// PermanentError is a protocol-level refusal no retry fixes (a redirect to plain HTTP
// from HTTPS, a 404 for the load path).
type PermanentError struct{ Msg string }

func (e *PermanentError) Error() string { return e.Msg }

// Load sends one Stream Load and returns Doris's result. A non-nil error is a
// *TransportError (outcome unknown, retry) or a *PermanentError.
func (c *Client) Load(ctx context.Context, req *Request) (*Result, error) {
	node, err := c.loadNode(ctx, req.Attempt)
	if err != nil {
		return nil, err
	}
	u := c.scheme + "://" + node + "/api/" + url.PathEscape(req.DB) + "/" + url.PathEscape(req.Table) + "/_stream_load"
	code, body, err := c.put(ctx, u, req.Header, req.Body, true)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, httpStatusError("stream load", code, body)
	}
	var r Result
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, &TransportError{Op: "stream load", Err: fmt.Errorf("reply is not a load result: %s", snippet(body))}
	}
	return &r, nil
}

// TwoPhase commits or aborts (op "commit" or "abort") a precommitted load, by txnID
// when non-zero, else by label.
func (c *Client) TwoPhase(ctx context.Context, db, op string, txnID int64, label string, attempt int) (*TxnReply, error) {
	node, err := c.loadNode(ctx, attempt)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("txn_operation", op)
	if txnID != 0 {
		h.Set("txn_id", strconv.FormatInt(txnID, 10))
	} else {
		h.Set("label", label)
	}
	u := c.scheme + "://" + node + "/api/" + url.PathEscape(db) + "/_stream_load_2pc"
	code, body, err := c.put(ctx, u, h, nil, true)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, httpStatusError("2pc "+op, code, body)
	}
	var r TxnReply
	if err := json.Unmarshal(body, &r); err != nil || (r.Status == "" && r.Msg == "") {
		return nil, &TransportError{Op: "2pc " + op, Err: fmt.Errorf("reply is not a 2PC result: %s", snippet(body))}
	}
	return &r, nil
}

// ErrorLog fetches the rejected rows of a failed load (the ErrorURL of its result) and
// returns at most maxLines lines of at most 300 bytes each.
func (c *Client) ErrorLog(ctx context.Context, errorURL string, maxLines int) (string, error) {
	u, err := url.Parse(errorURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", errors.New("error log: not an http URL")
	}
	u.User = nil
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("error log: %w", err)
	}
	req.Header.Set("Authorization", c.auth)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("error log: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("error log: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("error log: HTTP %d", resp.StatusCode)
	}
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(line) > 300 {
			line = line[:300] + "…"
		}
		out = append(out, line)
		if len(out) == maxLines {
			break
		}
	}
	return strings.Join(out, "\n"), nil
}

// put sends a PUT and follows redirects by hand: each hop gets our own Authorization
// (never the userinfo of Location) and a fresh reader over the body.
func (c *Client) put(ctx context.Context, target string, h http.Header, body [][]byte, expect bool) (int, []byte, error) {
	op := "PUT " + redactedPath(target)
	size := 0
	for _, b := range body {
		size += len(b)
	}
	for hop := 0; hop < 5; hop++ {
		var r io.Reader = http.NoBody
		if size > 0 {
			readers := make([]io.Reader, len(body))
			for i, b := range body {
				readers[i] = bytes.NewReader(b)
			}
			r = io.MultiReader(readers...)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, r)
		if err != nil {
			return 0, nil, &PermanentError{Msg: op + ": " + err.Error()}
		}
		req.ContentLength = int64(size)
		for k, v := range h {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", c.auth)
		if expect {
			req.Header.Set("Expect", "100-continue")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return 0, nil, &TransportError{Op: op, Err: scrub(err)}
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return 0, nil, &TransportError{Op: op, Err: scrub(err)}
		}
		switch resp.StatusCode {
		case http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound, http.StatusMovedPermanently, http.StatusSeeOther:
			next, err := c.redirectTarget(req.URL, resp.Header.Get("Location"))
			if err != nil {
				return 0, nil, err
			}
			target = next
			op = "PUT " + redactedPath(target)
			continue
		}
		return resp.StatusCode, data, nil
	}
	return 0, nil, &PermanentError{Msg: op + ": too many redirects"}
}

// redirectTarget resolves Location against the request URL and drops its userinfo.
func (c *Client) redirectTarget(from *url.URL, location string) (string, error) {
	if location == "" {
		return "", &TransportError{Op: "redirect", Err: errors.New("redirect without Location")}
	}
	loc, err := url.Parse(location)
	if err != nil {
		// Never echo the header: it carries the password.
		return "", &TransportError{Op: "redirect", Err: errors.New("unparsable Location header")}
	}
	loc = from.ResolveReference(loc)
	loc.User = nil
	if c.cfg.TLS != nil && loc.Scheme != "https" {
		return "", &PermanentError{Msg: "redirect from HTTPS to " + loc.Scheme + "://" + loc.Host + " refused"}
	}
	return loc.String(), nil
}

// loadNode picks the endpoint for an attempt: a BE from benodes, the FE list
// (auto-redirect), or BEs read from the FE.
func (c *Client) loadNode(ctx context.Context, attempt int) (string, error) {
	nodes := c.cfg.BENodes
	if len(nodes) == 0 {
		if c.cfg.AutoRedirect || len(c.cfg.FENodes) == 0 {
			nodes = c.cfg.FENodes
		} else {
			bes, err := c.backends(ctx, attempt > 0)
			if err != nil {
				return "", err
			}
			nodes = bes
		}
	}
	if attempt == 0 {
		return nodes[int(c.next.Add(1))%len(nodes)], nil
	}
	return nodes[(int(c.next.Load())+attempt)%len(nodes)], nil
}

// backends returns the alive BEs as the FE lists them, refreshed on retries.
func (c *Client) backends(ctx context.Context, refresh bool) ([]string, error) {
	c.beMu.Lock()
	defer c.beMu.Unlock()
	if len(c.bes) > 0 && !refresh {
		return c.bes, nil
	}
	var lastErr error
	for _, fe := range c.cfg.FENodes {
		bes, err := c.fetchBackends(ctx, fe)
		if err == nil && len(bes) > 0 {
			c.bes = bes
			return bes, nil
		}
		if err == nil {
			err = errors.New("the FE lists no alive backend")
		}
		lastErr = err
	}
	if len(c.bes) > 0 {
		return c.bes, nil
	}
	return nil, &TransportError{Op: "list backends", Err: lastErr}
}

func (c *Client) fetchBackends(ctx context.Context, fe string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.scheme+"://"+fe+"/api/backends?is_alive=true", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, scrub(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, scrub(err)
	}
	var r struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data struct {
			Backends []struct {
				IP       string `json:"ip"`
				HTTPPort int    `json:"http_port"`
				IsAlive  bool   `json:"is_alive"`
			} `json:"backends"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Code != 0 {
		return nil, fmt.Errorf("GET /api/backends on %s: HTTP %d: %s", fe, resp.StatusCode, snippet(body))
	}
	var out []string
	for _, b := range r.Data.Backends {
		if b.IsAlive {
			out = append(out, net.JoinHostPort(b.IP, strconv.Itoa(b.HTTPPort)))
		}
	}
	return out, nil
}

func httpStatusError(op string, code int, body []byte) error {
	err := fmt.Errorf("HTTP %d: %s", code, snippet(body))
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed || code == http.StatusUnauthorized || code == http.StatusForbidden {
		return &PermanentError{Msg: op + ": " + err.Error()}
	}
	return &TransportError{Op: op, Err: err}
}

// scrub removes any userinfo a url.Error might carry (we never put one in, but a
// redirect target could).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactedPath(ue.URL), ue.Err)
	}
	return err
}

// redactedPath keeps scheme, host and path of a URL, without userinfo or query.
func redactedPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
