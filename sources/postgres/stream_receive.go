package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// A session runs on two goroutines so that reading the socket overlaps with decoding,
// and the walsender, which streams on one core of its own, is not kept waiting while
// we decode:
//
//   - the receiver (receive) owns the connection: it reads CopyData, copies each
//     XLogData payload into a recycled batch buffer, answers keepalives and sends every
//     standby status update;
//   - the decoder (session.run's goroutine) parses and decodes the batches in order and
//     calls emit.
//
// Between them there are walBatches buffers of about walBatchBytes each, handed over
// and given back through channels, so a burst holds at most that much memory (plus one
// message larger than a buffer). When the decoder falls behind, the receiver stops
// reading and the socket's buffer, then the walsender, wait; the receiver keeps sending
// status updates meanwhile, so wal_sender_timeout does not end the stream.
//
// Both goroutines wake as seldom as the stream allows: the receiver once per
// walLowWater bytes (SO_RCVLOWAT) rather than once per message, the decoder once per
// batch. Each wake-up costs system calls and scheduling, and on a small machine that
// CPU is taken from the walsender, which sets the pace.

// walBatch is a run of messages received in order.
type walBatch struct {
	data []byte // XLogData payloads, back to back
	msgs []walMsg
}

// walMsg is an XLogData payload (data[start:end] of its batch) or a primary keepalive.
type walMsg struct {
	start, end int
	keepalive  bool
	walEnd     LSN // a keepalive's server WAL end
}

func (b *walBatch) payload(m walMsg) []byte { return b.data[m.start:m.end:m.end] }

const (
	walBatches     = 3                     // one being decoded, one queued, one being filled
	walBatchBytes  = 256 << 10             // a batch is handed over once it holds this much,
	walBatchMsgs   = 4096                  // or this many messages,
	walBatchDelay  = 5 * time.Millisecond  // or this long after its first message
	walLowWater    = 32 << 10              // wake the receiver for this much data at once
	walIdleWait    = 50 * time.Millisecond // the longest wait for data below walLowWater
	maxKeptBufSize = 4 * walBatchBytes
)

// reset empties a batch for reuse; a buffer grown for a huge message is let go.
func (b *walBatch) reset() {
	if cap(b.data) > maxKeptBufSize {
		b.data = nil
	}
	b.data, b.msgs = b.data[:0], b.msgs[:0]
}

// receive reads the replication stream until ctx ends or the connection fails, and
// hands batches to out in order: a batch is handed over once it is full, or
// walBatchDelay after its first message. Handing over every few messages would wake the
// decoder for each of them, which costs more CPU than decoding them when the stream
// trickles in; the delay is nothing next to the sink's flush interval.
func (ss *session) receive(ctx context.Context, out chan<- *walBatch, free chan *walBatch) error {
	conn := ss.conn
	netConn := conn.Conn()
	// A read blocks with a deadline rather than a context: pgconn would register and
	// unregister the context on every message. ctx ending moves the deadline to now,
	// which ends a blocked read.
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(woken)
		netConn.SetReadDeadline(time.Now())
	})
	defer func() {
		if !stop() {
			<-woken // it ran or runs: let it finish, so nothing of the session outlives it
		}
	}()
	ackPoll := min(time.Second, ss.s.opts.StatusInterval)
	tick := time.NewTicker(ackPoll)
	defer tick.Stop()
	// With a low-water mark, fewer bytes than it sit unnoticed until a read deadline:
	// an idle read then waits at most walIdleWait, so a lone small transaction is late
	// by no more than that.
	idleWait := ackPoll
	if setReceiveLowWater(netConn, walLowWater) {
		idleWait = min(idleWait, walIdleWait)
	}

	var (
		cur       *walBatch
		due       time.Time // when cur, once it holds a message, is handed over
		windowEnd time.Time // while cur is empty, reads wait until then, then check for a status to send
		armed     time.Time // the read deadline set on the connection
	)
	for {
		now := time.Now()
		if err := ss.sendStatus(now, false); err != nil {
			return err
		}
		if cur == nil {
			var err error
			if cur, err = ss.waitForBatch(ctx, free, tick); err != nil {
				return err
			}
			now = time.Now()
		}
		if len(cur.msgs) > 0 && (!now.Before(due) || len(cur.data) >= walBatchBytes || len(cur.msgs) >= walBatchMsgs) {
			if err := ss.handOver(ctx, out, cur, tick); err != nil {
				return err
			}
			cur = nil
			continue
		}
		deadline := due
		if len(cur.msgs) == 0 {
			if now.After(windowEnd) {
				windowEnd = now.Add(idleWait)
			}
			deadline = windowEnd
		}
		if !deadline.Equal(armed) {
			if err := netConn.SetReadDeadline(deadline); err != nil {
				return fmt.Errorf("set the read deadline: %w", err)
			}
			armed = deadline
			// ctx ended before the deadline was set: AfterFunc's deadline is overwritten.
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		msg, err := conn.ReceiveMessage(context.Background())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue // the batch is due, or a quiet window ended: see above
			}
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			held := len(cur.msgs)
			if err := ss.add(cur, m.Data); err != nil {
				return err
			}
			if held == 0 && len(cur.msgs) > 0 {
				due = time.Now().Add(walBatchDelay)
			}
		case *pgproto3.ErrorResponse:
			return ss.s.serverError(pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return errors.New("the server ended the replication stream")
		}
	}
}

// add copies one CopyData message of the stream into the batch; a keepalive that asks
// for a reply gets one right away.
func (ss *session) add(b *walBatch, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case pglogrepl.XLogDataByteID:
		// WALStart, ServerWALEnd, ServerTime (Int64 each), then the pgoutput message.
		const header = 1 + 24
		if len(data) < header {
			return permanent(fmt.Errorf("WAL data: %d bytes, want at least %d", len(data), header))
		}
		start := len(b.data)
		b.data = append(b.data, data[header:]...)
		b.msgs = append(b.msgs, walMsg{start: start, end: len(b.data)})
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		// ServerWALEnd, ServerTime (Int64 each), ReplyRequested (Byte1).
		if len(data) < 1+17 {
			return permanent(fmt.Errorf("keepalive: %d bytes, want %d", len(data), 1+17))
		}
		if data[17] != 0 {
			if err := ss.sendStatus(time.Now(), true); err != nil {
				return err
			}
		}
		b.msgs = append(b.msgs, walMsg{keepalive: true, walEnd: LSN(binary.BigEndian.Uint64(data[1:]))})
	}
	return nil
}

// waitForBatch takes a free batch, sending status updates while the decoder holds them
// all.
func (ss *session) waitForBatch(ctx context.Context, free <-chan *walBatch, tick *time.Ticker) (*walBatch, error) {
	for {
		select {
		case b := <-free:
			return b, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			if err := ss.sendStatus(time.Now(), false); err != nil {
				return nil, err
			}
		}
	}
}

// handOver gives a batch to the decoder, sending status updates while it is busy.
func (ss *session) handOver(ctx context.Context, out chan<- *walBatch, b *walBatch, tick *time.Ticker) error {
	for {
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if err := ss.sendStatus(time.Now(), false); err != nil {
				return err
			}
		}
	}
}
