package postgres

import (
	"bufio"
	"context"
	"io"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// streamReadBuffer is the read buffer of a stream's connection. pgproto3 reads at most
// 8 KiB per system call on its own; a stream that moves ~25 MB/s spends less CPU in
// the kernel with fewer, larger reads (and the receiver's low-water mark lets that
// much gather).
const streamReadBuffer = 256 << 10

// connectStream opens the replication connection a Streamer reconnects with: the same
// as connectReplication, with the larger read buffer. (The connection that created
// the slot, which RunFromSnapshot streams on, has pgproto3's own.)
func (r *Replicator) connectStream(ctx context.Context) (*pgconn.PgConn, error) {
	pc, err := r.connConfig()
	if err != nil {
		return nil, err
	}
	pc.RuntimeParams["replication"] = "database"
	pc.BuildFrontend = func(rd io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(rd, streamReadBuffer), w)
	}
	var conn *pgconn.PgConn
	err = r.retryConnect(ctx, func() (err error) {
		conn, err = pgconn.ConnectConfig(ctx, pc)
		return err
	})
	return conn, err
}
