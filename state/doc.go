// Package state is the checkpoint store of doris-sync: one JSON file per job under the
// state directory, holding the job's identity, its phase, the stream position, snapshot
// progress per table, loads in flight, schema history and the last run's outcome.
//
// A Store owns one job's file for the life of a run: Open takes an exclusive lock so a
// second run of the same job fails at once, and Save replaces the file atomically (temp
// file, fsync, rename, fsync of the directory) so a crash at any moment leaves the old or
// the new state, never a torn one. List reads every job of a directory without locks,
// for `doris-sync status`. The file is compact JSON (`jq . <job>.json` to read it); a
// hand-edited file is checked on load, and unknown keys are refused.
//
// Nothing in a state file is a secret: the identity has no credential fields, host
// entries are stripped of user info, and option keys that name credentials are refused.
// Nothing in it needs Doris to remember anything across runs either: labels and
// precommitted transactions are recorded with their time, so a resumed run can tell
// which of them Doris may already have forgotten (labels after 12 h, precommitted
// transactions after 1 h).
package state
