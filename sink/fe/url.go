package fe

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultPort is the FE's MySQL-protocol port (query_port).
const DefaultPort = 9030

// Endpoint is what a jdbc-url says.
type Endpoint struct {
	// Hosts are host:port, in the order given; the client tries them in that order.
	Hosts []string
	// Database is the default database of the URL, if any. The client qualifies every
	// name, so it is only informative.
	Database string
	// ConnectTimeout and ReadTimeout come from the Connector/J properties
	// connectTimeout and socketTimeout (milliseconds); zero when absent.
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
}

// ParseJDBCURL reads jdbc:mysql://host[:port][,host2[:port]…][/db][?k=v&…]. A port
// left out is 9030. Credentials embedded in the URL (user:pass@host) are ignored and
// never repeated in an error; other properties than connectTimeout and socketTimeout
// are Connector/J settings with no meaning here.
func ParseJDBCURL(raw string) (Endpoint, error) {
	var ep Endpoint
	rest, ok := strings.CutPrefix(strings.TrimSpace(raw), "jdbc:mysql://")
	if !ok {
		return ep, fmt.Errorf("jdbc-url must start with jdbc:mysql:// (e.g. jdbc:mysql://doris-fe:9030)")
	}
	rest, query, _ := strings.Cut(rest, "?")
	hosts, db, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(hosts, '@'); i >= 0 {
		hosts = hosts[i+1:]
	}
	ep.Database = db
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return ep, fmt.Errorf("jdbc-url has an empty host (want jdbc:mysql://host:9030[,host2:9030])")
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			// No port: the whole item is the host (an IPv6 address must be bracketed).
			host, port = strings.Trim(h, "[]"), strconv.Itoa(DefaultPort)
			if strings.Contains(host, ":") && !strings.HasPrefix(h, "[") {
				return ep, fmt.Errorf("jdbc-url host %q: write an IPv6 address in brackets, [addr]:9030", h)
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return ep, fmt.Errorf("jdbc-url host %q: port %q is not a number from 1 to 65535", host, port)
		}
		if host == "" {
			return ep, fmt.Errorf("jdbc-url has a port without a host")
		}
		ep.Hosts = append(ep.Hosts, net.JoinHostPort(host, port))
	}
	if query != "" {
		values, err := url.ParseQuery(strings.ReplaceAll(query, ";", "&"))
		if err != nil {
			return ep, fmt.Errorf("jdbc-url properties are not k=v&k=v")
		}
		ms := func(key string) (time.Duration, error) {
			v := values.Get(key)
			if v == "" {
				return 0, nil
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("jdbc-url property %s=%s is not a number of milliseconds", key, v)
			}
			return time.Duration(n) * time.Millisecond, nil
		}
		if ep.ConnectTimeout, err = ms("connectTimeout"); err != nil {
			return ep, err
		}
		if ep.ReadTimeout, err = ms("socketTimeout"); err != nil {
			return ep, err
		}
	}
	return ep, nil
}
