package doris

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// webState is owned by the HTTP side (Stream Load, 2PC, faults, dump, loads log).
//
// Locking: transactions (txns) and autoInc are guarded by Catalog.Mu, like the table
// data they relate to; mu guards the rest and is a leaf lock (never take Catalog.Mu
// while holding it).
type webState struct {
	txns txnManager

	mu       sync.Mutex
	faults   []*Fault
	loads    []LoadRecord
	errLogs  map[string]string
	errOrder []string
	autoInc  map[string]int64

	closing  chan struct{} // closed by Server.Close: releases held requests
	servers  []*http.Server
	inflight inflight
}

// Bounds on what the stand-in remembers, so long benchmark runs stay small.
const (
	maxLoadRecords = 100000
	maxErrorLogs   = 1000
	maxErrorRows   = 50 // Doris's MAX_ERROR_NUM: rows written to one error log
	heldRequestMax = 60 * time.Second
)

// startHTTP serves the FE role on httpLn and the BE role on beLn. With
// Options.BEAddr == "same" there is no BE listener: the FE port then executes Stream
// Load and 2PC requests itself, exactly like a PUT sent straight to a BE (no 307), so
// a client that follows redirects and one that does not both work.
func (s *Server) startHTTP() error {
	s.web = &webState{
		errLogs: map[string]string{},
		autoInc: map[string]int64{},
		closing: make(chan struct{}),
	}
	s.web.txns.init()
	s.web.inflight.zero = sync.NewCond(&s.web.inflight.mu)

	fe := http.NewServeMux()
	s.routeSupport(fe)
	fe.HandleFunc("GET /api/backends", s.feBackends)
	if s.beLn == nil {
		s.routeBE(fe)
	} else {
		fe.HandleFunc("PUT /api/{db}/{table}/_stream_load", s.feStreamLoad)
		fe.HandleFunc("PUT /api/{db}/_stream_load_2pc", s.fe2PC)
		fe.HandleFunc("PUT /api/{db}/{table}/_stream_load_2pc", s.fe2PC)
		be := http.NewServeMux()
		s.routeBE(be)
		s.serve(s.beLn, be)
	}
	s.serve(s.httpLn, fe)
	s.closers = append(s.closers, s.closeHTTP)
	return nil
}

func (s *Server) routeBE(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/{db}/{table}/_stream_load", s.beStreamLoad)
	mux.HandleFunc("PUT /api/{db}/_stream_load_2pc", s.be2PC)
	mux.HandleFunc("PUT /api/{db}/{table}/_stream_load_2pc", s.be2PC)
	mux.HandleFunc("GET /api/_load_error_log", s.serveErrorLog)
}

func (s *Server) serve(ln net.Listener, mux *http.ServeMux) {
	srv := &http.Server{
		Handler:           s.web.inflight.wrap(mux),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          nil,
	}
	s.web.servers = append(s.web.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			slog.Warn("doris stand-in: http server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// closeHTTP releases held requests, closes every connection and waits for the
// handlers to return.
func (s *Server) closeHTTP() {
	close(s.web.closing)
	for _, srv := range s.web.servers {
		srv.Close()
	}
	s.web.inflight.closeAndWait()
}

// inflight counts running handlers so Close can wait for them (a sync.WaitGroup may
// not see Add after Wait has started, which a late request could cause).
type inflight struct {
	mu     sync.Mutex
	n      int
	closed bool
	zero   *sync.Cond
}

func (f *inflight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			http.Error(w, "stand-in is shutting down", http.StatusServiceUnavailable)
			return
		}
		f.n++
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.n--
			if f.n == 0 {
				f.zero.Broadcast()
			}
			f.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

func (f *inflight) closeAndWait() {
	f.mu.Lock()
	f.closed = true
	for f.n > 0 {
		f.zero.Wait()
	}
	f.mu.Unlock()
}

// sleep waits for d unless the server closes or ctx ends first; it reports whether
// the full delay elapsed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.web.closing:
	}
	return false
}

// parseBasicAuth parses the Authorization header the way Doris does (be/src/http/
// utils.cpp): exactly "Basic " + base64(user:password), split at the first ':', and a
// "user@cluster" user loses its cluster part.
func parseBasicAuth(h string) (user, pass string, ok bool) {
	const prefix = "Basic "
	if !strings.HasPrefix(h, prefix) {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(h[len(prefix):])
	if err != nil {
		return "", "", false
	}
	cred := string(dec)
	i := strings.IndexByte(cred, ':')
	if i < 0 {
		return "", "", false
	}
	user, pass = cred[:i], cred[i+1:]
	if j := strings.IndexByte(user, '@'); j >= 0 {
		user = user[:j]
	}
	return user, pass, true
}

// checkPassword returns "" when the credentials are the stand-in's, else the FE's
// access-denied text (which never contains the password).
func (s *Server) checkPassword(r *http.Request, user, pass string) string {
	if user == s.Opts.User && pass == s.Opts.Password {
		return ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	using := "NO"
	if pass != "" {
		using = "YES"
	}
	return fmt.Sprintf("Access denied for user '%s@%s' (using password: %s)", user, host, using)
}

// writeFEUnauthorized answers like the FE's REST exception handler: HTTP 200 with the
// real code inside the body.
func writeFEUnauthorized(w http.ResponseWriter, reason string) {
	writeCompactJSON(w, http.StatusOK, `{"msg":"Unauthorized","code":401,"data":`+jsonString(reason)+`,"count":0}`)
}

// writeFEFailed answers with the FE's RestBaseResult failure form.
func writeFEFailed(w http.ResponseWriter, msg string) {
	writeCompactJSON(w, http.StatusOK, `{"status":"FAILED","msg":`+jsonString(msg)+`}`)
}

func writeCompactJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

// feAuth applies the FE's authentication; it answers and returns false on failure.
func (s *Server) feAuth(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		writeFEUnauthorized(w, "Need auth information.")
		return false
	}
	user, pass, ok := parseBasicAuth(h)
	if !ok {
		writeFEUnauthorized(w, "Need auth information.")
		return false
	}
	if denied := s.checkPassword(r, user, pass); denied != "" {
		writeFEUnauthorized(w, denied)
		return false
	}
	return true
}

// feStreamLoad is the FE's LoadAction for a stream load: checks, then 307 to the BE.
// It never reads the body.
func (s *Server) feStreamLoad(w http.ResponseWriter, r *http.Request) {
	if gc := r.Header.Get("group_commit"); gc != "" && !validGroupCommit(gc) {
		writeFEFailed(w, "Header `group_commit` can only be `sync_mode`, `async_mode` or `off_mode`.")
		return
	}
	if !s.feAuth(w, r) {
		return
	}
	if len(r.Header.Values("Expect")) == 0 {
		writeFEFailed(w, "There is no 100-continue header")
		return
	}
	s.redirectToBE(w, r)
}

// feBackends is the FE's BackendsAction (GET /api/backends[?is_alive=true]): the BEs a
// client may load into when it does not go through the FE's redirect. The stand-in has
// one BE, always alive.
func (s *Server) feBackends(w http.ResponseWriter, r *http.Request) {
	if !s.feAuth(w, r) {
		return
	}
	host, port, err := net.SplitHostPort(s.BEAddr())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p, _ := strconv.Atoi(port)
	body, _ := json.Marshal(map[string]any{
		"msg": "success", "code": 0, "count": 0,
		"data": map[string]any{"backends": []map[string]any{{"ip": host, "http_port": p, "is_alive": true}}},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// fe2PC is the FE's LoadAction for _stream_load_2pc: checks, then 307 to the BE.
func (s *Server) fe2PC(w http.ResponseWriter, r *http.Request) {
	if !s.feAuth(w, r) {
		return
	}
	if r.Header.Get("txn_id") == "" && r.Header.Get("label") == "" {
		writeFEFailed(w, "No transaction id or label selected.")
		return
	}
	if r.Header.Get("txn_operation") == "" {
		writeFEFailed(w, "No transaction operation('commit' or 'abort') selected.")
		return
	}
	s.redirectToBE(w, r)
}

func validGroupCommit(v string) bool {
	switch strings.ToLower(v) {
	case "sync_mode", "async_mode", "off_mode":
		return true
	}
	return false
}

// redirectToBE answers 307 like RestBaseController.redirectTo: Location is
// http://[user:password@]be/path? + query; the "?" is always there (Java builds the URI
// with an empty query and appends the original query string).
func (s *Server) redirectToBE(w http.ResponseWriter, r *http.Request) {
	loc := "http://"
	if h := r.Header.Get("Authorization"); h != "" {
		if user, pass, ok := parseBasicAuth(h); ok {
			loc += escapeUserinfo(user) + ":" + escapeUserinfo(pass) + "@"
		}
	}
	loc += s.beHostPort(r) + r.URL.EscapedPath() + "?" + r.URL.RawQuery
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// beHostPort is the BE address clients should use; a BE listening on an unspecified
// address (0.0.0.0) is reached through the host the client used for the FE.
func (s *Server) beHostPort(r *http.Request) string {
	addr := s.BEAddr()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			return net.JoinHostPort(h, port)
		}
		return net.JoinHostPort(r.Host, port)
	}
	return addr
}

// escapeUserinfo percent-encodes what java.net.URI quotes in userinfo: everything
// except unreserved and punct characters (`;:&=+$,`); bytes are UTF-8, upper-case hex.
func escapeUserinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-!.~'()*;:&=+$,", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)>>4, 16)) + strings.ToUpper(strconv.FormatInt(int64(c)&15, 16)))
	}
	return b.String()
}
