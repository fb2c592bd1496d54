package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

// Handler serves GET /metrics (Prometheus text format 0.0.4) and GET /healthz (200
// "ok" while the job runs without error, else 503 and the error on one line).
func (r *Registry) Handler() http.Handler {
	return r.handler(false)
}

// handler is Handler, with Go's profiler under /debug/pprof/ when profiler is set. The
// profiler's /cmdline is left out on purpose: argv may hold a password.
func (r *Registry) handler(profiler bool) http.Handler {
	mux := http.NewServeMux()
	if profiler {
		mux.HandleFunc("GET /debug/pprof/", func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == "/debug/pprof/cmdline" {
				http.Error(w, "not served: the command line may hold secrets", http.StatusNotFound)
				return
			}
			pprof.Index(w, req)
		})
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		body := AppendText(nil, r.Snapshot())
		w.Header().Set("Content-Type", ContentType)
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := r.Health(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(w, oneLine(err.Error()))
			return
		}
		_, _ = fmt.Fprintln(w, "ok")
	})
	return mux
}

// Server serves a registry's Handler on --metrics-addr.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Serve listens on addr (HOST:PORT) and serves the registry until Close, and Go's
// profiler under /debug/pprof/ when profiler is set (--pprof). A port that cannot be
// bound is a configuration error (exit code 2) naming the address.
func Serve(addr string, r *Registry, log *slog.Logger, profiler bool) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, exitcode.Usagef("--metrics-addr %s: cannot serve metrics there: %v", addr, err)
	}
	s := &Server{
		ln: ln,
		srv: &http.Server{
			Handler:           r.handler(profiler),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("the metrics server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	if profiler {
		log.Info("serving metrics", "addr", ln.Addr().String(), "metrics", "/metrics", "health", "/healthz", "profiler", "/debug/pprof/")
	} else {
		log.Info("serving metrics", "addr", ln.Addr().String(), "metrics", "/metrics", "health", "/healthz")
	}
	return s, nil
}

// Addr is the address the server listens on (with the port chosen for ":0").
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting requests in progress finish until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("stop the metrics server on %s: %w", s.Addr(), err)
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
