package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/doris-sync/doris-sync/exitcode"
)

const (
	stateSuffix = ".json"
	lockSuffix  = ".lock"
	tempInfix   = ".json.tmp-"
	// maxStemLen keeps "<stem>.json.tmp-<random>" under the usual 255-byte name limit.
	maxStemLen = 200
)

// fileStem turns a job name into the file name stem of its state. Letters, digits, '-',
// '_' and '.' stay; any other byte is written as %XX, so distinct names never share a
// file. Path separators, "." and ".." are refused rather than escaped: they are almost
// certainly a mistake (a path given as a name).
func fileStem(job string) (string, error) {
	switch {
	case job == "":
		return "", exitcode.Usagef("job name is empty: give --job-name")
	case strings.ContainsAny(job, `/\`):
		return "", exitcode.Usagef("job name %q contains a path separator; a job name is a plain name (the state directory is set with --state-dir)", job)
	case job == "." || job == "..":
		return "", exitcode.Usagef("job name %q is not a usable name", job)
	}
	var b strings.Builder
	for i := 0; i < len(job); i++ {
		c := job[i]
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' && i > 0 // a leading dot would hide the file
		if plain {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	if b.Len() > maxStemLen {
		return "", exitcode.Usagef("job name %q is too long for a file name (at most %d bytes once escaped)", job, maxStemLen)
	}
	return b.String(), nil
}

// jobFromStem reverses fileStem.
func jobFromStem(stem string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(stem); i++ {
		if stem[i] != '%' {
			b.WriteByte(stem[i])
			continue
		}
		if i+2 >= len(stem) {
			return "", fmt.Errorf("bad escape in state file name %q", stem)
		}
		v, err := strconv.ParseUint(stem[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in state file name %q", stem)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// removeStaleTemps deletes temp files a crashed Save left behind for this job. Only the
// lock holder may call it: another holder's temp file may be in use.
func removeStaleTemps(dir, stem string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("find stale temp files: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !isTempOf(e.Name(), stem) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove stale temp file: %w", err))
		}
	}
	return errors.Join(errs...)
}

// isTempOf reports whether name is a temp file of Save for stem: "<stem>.json.tmp-"
// followed by the digits os.CreateTemp puts in place of its '*'. Matching the digits
// keeps the state file of a job named, say, "x.json.tmp-1" from being taken for one.
func isTempOf(name, stem string) bool {
	rest, ok := strings.CutPrefix(name, stem+tempInfix)
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}
