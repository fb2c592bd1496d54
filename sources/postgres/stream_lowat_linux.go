package postgres

import (
	"net"
	"syscall"
)

// setReceiveLowWater asks the kernel to report the socket readable only once n bytes
// are waiting (SO_RCVLOWAT), so the receiver wakes once per n bytes rather than once
// per message the walsender sends. A read still returns whatever is there: the
// receiver's read deadlines pick up a smaller remainder. It is best effort: a
// connection that is not a plain socket (TLS) keeps the default.
func setReceiveLowWater(conn net.Conn, n int) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
	}); err != nil || serr != nil {
		return false
	}
	return true
}
