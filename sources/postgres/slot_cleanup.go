package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// publicationMark is the comment EnsurePublication puts on a publication it creates,
// naming the job's slot: Cleanup drops only a publication carrying its own slot's mark.
func publicationMark(slot string) string {
	return "doris-sync: created for replication slot " + slot
}

// markPublication comments the publication just created as this job's. A failure only
// means a later Cleanup keeps the publication and prints its DROP statement.
func markPublication(ctx context.Context, s *Source, opts ReplicationOptions) {
	sql := "COMMENT ON PUBLICATION " + quoteIdent(opts.Publication) + " IS " + quoteLiteral(publicationMark(opts.Slot))
	if _, err := s.conn.Exec(ctx, sql); err != nil {
		slog.Warn("could not mark the publication as created by doris-sync; --drop-slot-and-publication will keep it", "publication", opts.Publication, "error", oneLine(err.Error()))
	}
}

// CleanupStep is what Cleanup did with one object.
type CleanupStep struct {
	Object string // `replication slot "x"` or `publication "y"`
	// Outcome is "dropped", "already gone" or "kept: <why>".
	Outcome string
	// Statement is, for a kept object, the statement that drops it (for the user).
	Statement string
}

func (c CleanupStep) String() string {
	s := c.Object + ": " + c.Outcome
	if c.Statement != "" {
		s += "; to drop it yourself: " + c.Statement
	}
	return s
}

// slotReleaseWait is how long Cleanup waits for the walsender of a consumer that just
// disconnected to release the slot before calling it in use.
const slotReleaseWait = 3 * time.Second

// Cleanup removes what a given-up job leaves on the server: its replication slot, so
// PostgreSQL stops keeping WAL for it, and its publication, but only when doris-sync
// created that publication for this slot (EnsurePublication's mark) and no other
// logical slot of the database might read it; otherwise the publication is kept and
// its DROP statement returned. A slot in use by a consumer is an error naming the
// consumer's pid: its walsender is never terminated. Running it again reports both
// objects as already gone.
func (r *Replicator) Cleanup(ctx context.Context) ([]CleanupStep, error) {
	s, err := r.openSession(ctx)
	if err != nil {
		return nil, err
	}
	defer s.conn.Close(context.Background())
	slotStep := CleanupStep{Object: fmt.Sprintf("replication slot %q", r.opts.Slot), Outcome: "already gone"}
	st, err := slotStatusOn(ctx, s, r.opts)
	for deadline := time.Now().Add(slotReleaseWait); err == nil && st.Exists && st.Active && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		st, err = slotStatusOn(ctx, s, r.opts)
	}
	if err != nil {
		return nil, err
	}
	if st.Exists {
		if st.Active {
			return nil, fmt.Errorf("postgres source %s: replication slot %s is in use by the process with pid %d: stop the job (or other consumer) that reads it, then run --drop-slot-and-publication again; it is not terminated for you",
				r.where(), r.opts.Slot, st.ActivePID)
		}
		if _, err := s.conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", r.opts.Slot); err != nil {
			return nil, s.queryError("drop replication slot "+r.opts.Slot, err)
		}
		slotStep.Outcome = "dropped"
		slog.Info("dropped replication slot", "slot", r.opts.Slot)
	}
	pubStep, err := r.dropOwnPublication(ctx, s)
	if err != nil {
		return nil, err
	}
	return []CleanupStep{slotStep, pubStep}, nil
}

// dropOwnPublication drops the job's publication when it is surely this job's alone.
func (r *Replicator) dropOwnPublication(ctx context.Context, s *Source) (CleanupStep, error) {
	step := CleanupStep{Object: fmt.Sprintf("publication %q", r.opts.Publication), Outcome: "already gone"}
	var comment *string
	var found bool
	err := s.conn.QueryRow(ctx, `SELECT true, obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = $1`, r.opts.Publication).
		Scan(&found, &comment)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return step, s.queryError("read publication "+r.opts.Publication, err)
	}
	if !found {
		return step, nil
	}
	drop := "DROP PUBLICATION " + quoteIdent(r.opts.Publication)
	if comment == nil || *comment != publicationMark(r.opts.Slot) {
		step.Outcome = "kept: doris-sync did not create it for this job's slot, so other consumers may read it"
		step.Statement = drop
		return step, nil
	}
	var others []string
	rows, err := s.conn.Query(ctx, `SELECT slot_name::text FROM pg_replication_slots
		WHERE slot_type = 'logical' AND plugin = 'pgoutput' AND database = current_database() AND slot_name <> $1
		ORDER BY 1`, r.opts.Slot)
	if err != nil {
		return step, s.queryError("list replication slots", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return step, s.queryError("list replication slots", err)
		}
		others = append(others, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return step, s.queryError("list replication slots", err)
	}
	if len(others) > 0 {
		step.Outcome = fmt.Sprintf("kept: other pgoutput slots of this database (%s) may read it", strings.Join(others, ", "))
		step.Statement = drop
		return step, nil
	}
	if _, err := s.conn.Exec(ctx, "DROP PUBLICATION IF EXISTS "+quoteIdent(r.opts.Publication)); err != nil {
		return step, r.publicationError(s, drop, err)
	}
	step.Outcome = "dropped"
	slog.Info("dropped publication", "publication", r.opts.Publication)
	return step, nil
}
