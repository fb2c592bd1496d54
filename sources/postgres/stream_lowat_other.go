//go:build !linux

package postgres

import "net"

// setReceiveLowWater is Linux only (see stream_lowat_linux.go).
func setReceiveLowWater(net.Conn, int) bool { return false }
