package postgres

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// spillFile holds the raw pgoutput messages of one streamed (in-progress) transaction
// until its StreamCommit, on disk, so memory stays bounded whatever the transaction's
// size: one 64 KiB buffer per transaction being streamed. The file is unlinked as soon
// as it is created, so nothing is left behind however the process ends.
type spillFile struct {
	f       *os.File
	w       *bufio.Writer
	records int
	// aborted holds subtransactions rolled back (StreamAbort with a sub-xid): their
	// data messages are skipped on replay. Their Relation messages are not: PostgreSQL
	// does not send a relation twice within one streamed transaction.
	aborted map[uint32]bool
}

const spillBufferSize = 64 << 10

func newSpillFile(dir string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, "doris-sync-pgstream-*")
	if err != nil {
		return nil, fmt.Errorf("spill a streamed transaction: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spill a streamed transaction: %w", err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, spillBufferSize), aborted: map[uint32]bool{}}, nil
}

// append stores one message (copied: data is the connection's buffer).
func (s *spillFile) append(data []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	if _, err := s.w.Write(n[:]); err != nil {
		return fmt.Errorf("spill a streamed transaction: %w", err)
	}
	if _, err := s.w.Write(data); err != nil {
		return fmt.Errorf("spill a streamed transaction: %w", err)
	}
	s.records++
	return nil
}

// replay calls fn with every stored message in order; the slice is reused.
func (s *spillFile) replay(fn func(msg []byte) error) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spill a streamed transaction: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("replay a streamed transaction: %w", err)
	}
	r := bufio.NewReaderSize(s.f, spillBufferSize)
	var buf []byte
	for i := 0; i < s.records; i++ {
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return fmt.Errorf("replay a streamed transaction: %w", err)
		}
		size := int(binary.BigEndian.Uint32(n[:]))
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("replay a streamed transaction: %w", err)
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

func (s *spillFile) close() { s.f.Close() }
