package doris

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// Options configures a stand-in. Zero values mean Doris's defaults.
type Options struct {
	HTTPAddr  string // FE HTTP (Stream Load entry, answers 307); default 127.0.0.1:0
	BEAddr    string // BE HTTP (executes loads); default 127.0.0.1:0. "same" = serve the BE role on the FE port
	MySQLAddr string // FE MySQL protocol; default 127.0.0.1:0
	User      string // default "root"
	Password  string // default ""

	// Discard accepts loads, counts rows, stores nothing and skips per-value checks,
	// so a benchmark measures the client rather than the stand-in.
	Discard bool

	LabelKeep        time.Duration // streaming_label_keep_max_second, default 12 h
	LabelNumCap      int           // label_num_threshold, default 2000 (-1: time only)
	PrecommitTimeout time.Duration // stream_load_default_precommit_timeout_second, default 1 h
	AlterDelay       time.Duration // how long a heavy (non light-schema-change) ALTER job runs, default 0
	AllowPrepare     bool          // accept COM_STMT_PREPARE like Doris ≥ 2.1; by default it is refused like older Doris, so clients must use interpolateParams=true
	StringLimit      int           // BE string_type_length_soft_limit_bytes: the STRING/JSON value cap, default 1 MB (DefaultStringSize)
}

func (o *Options) defaults() {
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:0"
	}
	if o.BEAddr == "" {
		o.BEAddr = "127.0.0.1:0"
	}
	if o.MySQLAddr == "" {
		o.MySQLAddr = "127.0.0.1:0"
	}
	if o.User == "" {
		o.User = "root"
	}
	if o.LabelKeep == 0 {
		o.LabelKeep = 12 * time.Hour
	}
	if o.LabelNumCap == 0 {
		o.LabelNumCap = 2000
	}
	if o.PrecommitTimeout == 0 {
		o.PrecommitTimeout = time.Hour
	}
	if o.StringLimit == 0 {
		o.StringLimit = DefaultStringSize
	}
}

// Server is a running stand-in.
type Server struct {
	Opts    Options
	Catalog *Catalog

	httpLn, beLn, mysqlLn net.Listener
	closers               []func()
	closeOnce             sync.Once
	now                   func() time.Time // replaceable clock for expiry tests

	web   *webState   // the HTTP side's state (http.go)
	mysql *mysqlState // the MySQL side's state (mysql.go)
}

// Start starts a stand-in listening on the configured addresses.
func Start(opts Options) (*Server, error) {
	opts.defaults()
	s := &Server{Opts: opts, Catalog: NewCatalog(), now: time.Now}
	var err error
	if s.httpLn, err = net.Listen("tcp", opts.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen http %s: %w", opts.HTTPAddr, err)
	}
	if opts.BEAddr != "same" {
		if s.beLn, err = net.Listen("tcp", opts.BEAddr); err != nil {
			s.httpLn.Close()
			return nil, fmt.Errorf("listen be %s: %w", opts.BEAddr, err)
		}
	}
	if s.mysqlLn, err = net.Listen("tcp", opts.MySQLAddr); err != nil {
		s.httpLn.Close()
		if s.beLn != nil {
			s.beLn.Close()
		}
		return nil, fmt.Errorf("listen mysql %s: %w", opts.MySQLAddr, err)
	}
	if err := s.startHTTP(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.startMySQL(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// HTTPAddr is the FE HTTP address (host:port): the Stream Load entry point.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// BEAddr is the BE HTTP address the FE redirects to.
func (s *Server) BEAddr() string {
	if s.beLn == nil {
		return s.HTTPAddr()
	}
	return s.beLn.Addr().String()
}

// MySQLAddr is the FE MySQL-protocol address.
func (s *Server) MySQLAddr() string { return s.mysqlLn.Addr().String() }

// SetClock replaces the clock used for label retention and precommit expiry (tests).
func (s *Server) SetClock(now func() time.Time) {
	s.Catalog.Mu.Lock()
	s.now = now
	s.Catalog.Mu.Unlock()
}

// Close stops every listener and connection.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		for _, ln := range []net.Listener{s.httpLn, s.beLn, s.mysqlLn} {
			if ln != nil {
				ln.Close()
			}
		}
		for i := len(s.closers) - 1; i >= 0; i-- {
			s.closers[i]()
		}
	})
}
