package sink

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
)

// Doris label rule: ^[-_A-Za-z0-9:]{1,128}$, unique per database (doris-behaviour.md §4).
const (
	maxLabelLen  = 128
	maxPrefixLen = 40
	maxEpochLen  = 16
)

func labelChar(c byte) bool {
	return c == '-' || c == '_' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func allLabelChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !labelChar(s[i]) {
			return false
		}
	}
	return true
}

// checkLabelPrefix validates sink.label-prefix: label characters only. A prefix longer
// than 40 characters is shortened in labels (a stem plus a hash) so every label fits.
func checkLabelPrefix(p string) error {
	if len(p) > maxLabelLen {
		return errors.New("sink.label-prefix is longer than " + strconv.Itoa(maxLabelLen) + " characters")
	}
	if !allLabelChars(p) {
		return errors.New("sink.label-prefix may contain only letters, digits, '-', '_' and ':' (Doris label rule)")
	}
	return nil
}

func checkEpoch(e string) error {
	if e == "" || len(e) > maxEpochLen || !allLabelChars(e) {
		return errors.New("journal epoch must be 1–16 label characters")
	}
	return nil
}

// batchLabel derives a batch's label from the job's prefix, the table, the journal epoch
// and the batch identity: its first change (sequence, ordinal within that sequence for
// this table) and its number of changes. The same changes replayed after a crash get the
// same label, so Doris refuses a second copy (Label Already Exists, FINISHED); a
// different cut of the changes gets a different label. Table names that are not label
// characters or too long for 128 are replaced by a readable stem plus a hash of db.table.
func batchLabel(prefix, db, table, epoch string, seq uint64, ord uint32, changes int) string {
	tail := make([]byte, 0, 64)
	tail = append(tail, '_')
	tail = append(tail, epoch...)
	tail = append(tail, '_')
	tail = strconv.AppendUint(tail, seq, 10)
	tail = append(tail, '_')
	tail = strconv.AppendUint(tail, uint64(ord), 10)
	tail = append(tail, '_')
	tail = strconv.AppendInt(tail, int64(changes), 10)
	head := ""
	if len(prefix) > maxPrefixLen {
		sum := sha256.Sum256([]byte(prefix))
		prefix = prefix[:maxPrefixLen-13] + "-" + hex.EncodeToString(sum[:6])
	}
	if prefix != "" {
		head = prefix + "_"
	}
	room := maxLabelLen - len(head) - len(tail)
	part := table
	if len(part) > room || part == "" || !allLabelChars(part) {
		part = hashedName(db, table, room)
	}
	return head + part + string(tail)
}

// hashedName is a label-safe stand-in for a table name: up to room characters made of
// the name's label characters and 12 hex digits of SHA-256(db.table).
func hashedName(db, table string, room int) string {
	sum := sha256.Sum256([]byte(db + "." + table))
	h := hex.EncodeToString(sum[:6])
	stem := make([]byte, 0, room)
	for i := 0; i < len(table) && len(stem) < room-len(h)-1; i++ {
		if labelChar(table[i]) {
			stem = append(stem, table[i])
		}
	}
	if len(stem) == 0 {
		return "t" + h
	}
	return string(stem) + "-" + h
}
