package doris

import (
	"testing"
)

func TestDeleteSignOnUniqueAndMergeTypes(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	h.logTable("db1", "logs")

	r := h.load("db1", "users", map[string]string{"format": "json", "hidden_columns": "__DORIS_DELETE_SIGN__"},
		`{"id":1,"name":"a","__DORIS_DELETE_SIGN__":0}`+"\n"+`{"id":2,"name":"b","__DORIS_DELETE_SIGN__":0}`+"\n"+`{"id":3,"name":"c"}`)
	wantStatus(t, r, StatusSuccess, "OK")
	r = h.load("db1", "users", map[string]string{"format": "json", "hidden_columns": "__DORIS_DELETE_SIGN__"},
		`{"id":2,"name":"b","__DORIS_DELETE_SIGN__":1}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "users"), `id=1,name=a,score=\N`, `id=3,name=c,score=\N`)

	// The delete sign as a CSV column through the columns header.
	r = h.load("db1", "users", map[string]string{"columns": "id,name,score,__DORIS_DELETE_SIGN__"}, "3\tc\t\\N\t1\n4\td\t\\N\t0\n")
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "users"), `id=1,name=a,score=\N`, `id=4,name=d,score=\N`)

	// MERGE with a delete predicate on a temporary source column.
	r = h.load("db1", "users", map[string]string{"columns": "id,name,op", "merge_type": "MERGE", "delete": "op=1"}, "1\ta\t1\n5\te\t0\n")
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "users"), `id=4,name=d,score=\N`, `id=5,name=e,score=\N`)

	// DELETE: every row deletes its key.
	r = h.load("db1", "users", map[string]string{"merge_type": "delete", "columns": "id"}, "4\n")
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "users"), `id=5,name=e,score=\N`)

	// MERGE/DELETE need a UNIQUE table.
	for _, mt := range []string{"DELETE", "MERGE"} {
		hdr := map[string]string{"merge_type": mt}
		if mt == "MERGE" {
			hdr["delete"] = "id=1"
		}
		r = h.load("db1", "logs", hdr, "1\tx\n")
		wantStatus(t, r, StatusFail, "load by MERGE or DELETE is only supported in unique tables.")
	}
	// A DUPLICATE table has no delete sign: the hidden column is ignored and the row appended.
	r = h.load("db1", "logs", map[string]string{"format": "json", "hidden_columns": "__DORIS_DELETE_SIGN__"},
		`{"id":1,"msg":"x","__DORIS_DELETE_SIGN__":1}`+"\n"+`{"id":1,"msg":"x","__DORIS_DELETE_SIGN__":1}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "logs"), "id=1,msg=x", "id=1,msg=x")
}

func TestSequenceColumnMaxWinsAndDeletesNeedNewerSequence(t *testing.T) {
	h := newHarness(t, Options{})
	// Hidden sequence column (function_column.sequence_type): loads must name its source.
	seqType := mustType(t, "BIGINT")
	h.addTable(&Table{DB: "db1", Name: "s", Keys: UniqueKeys, KeyCount: 1, MergeOnWrite: true, SequenceType: &seqType,
		Columns: []Column{col(t, "id", "INT", false), col(t, "v", "VARCHAR(10)", true), col(t, "lsn", "BIGINT", true)}})

	r := h.load("db1", "s", nil, "1\ta\t10\n")
	wantStatus(t, r, StatusFail, "Table s has sequence column, need to specify the sequence column")

	seq := map[string]string{"function_column.sequence_col": "lsn", "format": "json", "hidden_columns": "__DORIS_DELETE_SIGN__"}
	r = h.load("db1", "s", seq, `{"id":1,"v":"new","lsn":20}`+"\n"+`{"id":1,"v":"older","lsn":15}`+"\n"+`{"id":2,"v":"b","lsn":5}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "s"), "id=1,v=new,lsn=20", "id=2,v=b,lsn=5")

	// A later load with a smaller sequence does not overwrite; an equal or larger one does.
	r = h.load("db1", "s", seq, `{"id":1,"v":"stale","lsn":19}`+"\n"+`{"id":2,"v":"b2","lsn":5}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "s"), "id=1,v=new,lsn=20", "id=2,v=b2,lsn=5")

	// A delete with an older sequence is ignored; with a newer one it removes the row,
	// and a later stale upsert does not resurrect it.
	r = h.load("db1", "s", seq, `{"id":1,"lsn":19,"__DORIS_DELETE_SIGN__":1}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "s"), "id=1,v=new,lsn=20", "id=2,v=b2,lsn=5")
	r = h.load("db1", "s", seq, `{"id":1,"lsn":21,"__DORIS_DELETE_SIGN__":1}`+"\n"+`{"id":1,"v":"late","lsn":20}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "s"), "id=2,v=b2,lsn=5")

	// sequence_col tables take the sequence from the mapped column without a header.
	h.addTable(&Table{DB: "db1", Name: "sc", Keys: UniqueKeys, KeyCount: 1, MergeOnWrite: true, SequenceCol: "ver",
		Columns: []Column{col(t, "id", "INT", false), col(t, "ver", "INT", true)}})
	wantStatus(t, h.load("db1", "sc", nil, "1\t5\n1\t3\n"), StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "sc"), "id=1,ver=5")
}

func TestPartialColumnUpdate(t *testing.T) {
	h := newHarness(t, Options{})
	h.addTable(&Table{DB: "db1", Name: "p", Keys: UniqueKeys, KeyCount: 1, MergeOnWrite: true, Columns: []Column{
		col(t, "id", "INT", false),
		col(t, "a", "VARCHAR(10)", true),
		{Name: "b", Type: mustType(t, "INT"), HasDefault: true, Default: "7"},
	}})
	h.addTable(&Table{DB: "db1", Name: "mor", Keys: UniqueKeys, KeyCount: 1, Columns: []Column{col(t, "id", "INT", false), col(t, "a", "INT", true)}})

	wantStatus(t, h.load("db1", "p", nil, "1\tx\t1\n2\ty\t2\n"), StatusSuccess, "OK")
	r := h.load("db1", "p", map[string]string{"partial_columns": "true", "columns": "id,a"}, "1\tx2\n3\tz\n")
	wantStatus(t, r, StatusSuccess, "OK")
	// Existing keys keep unmentioned columns; new keys take defaults.
	wantRows(t, h.rows("db1", "p"), "id=1,a=x2,b=1", "id=2,a=y,b=2", "id=3,a=z,b=7")

	r = h.load("db1", "p", map[string]string{"unique_key_update_mode": "UPDATE_FIXED_COLUMNS", "format": "json", "columns": "id,b"}, `{"id":2,"b":20}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "p"), "id=1,a=x2,b=1", "id=2,a=y,b=20", "id=3,a=z,b=7")

	// Strict mode filters new keys; partial_update_new_key_behavior ERROR fails the load.
	r = h.load("db1", "p", map[string]string{"partial_columns": "true", "columns": "id,a", "strict_mode": "true", "max_filter_ratio": "1"}, "4\tq\n1\tx3\n")
	wantStatus(t, r, StatusSuccess, "OK")
	if r.NumberFilteredRows != 1 || r.NumberLoadedRows != 1 {
		t.Fatalf("strict partial update counts: %s", r.raw)
	}
	r = h.load("db1", "p", map[string]string{"partial_columns": "true", "columns": "id,a", "partial_update_new_key_behavior": "error"}, "5\tq\n")
	wantStatus(t, r, StatusFail, "Can't append new rows in partial update when partial_update_new_key_behavior is ERROR. Row with key=[5] is not in table.")
	wantRows(t, h.rows("db1", "p"), "id=1,a=x3,b=1", "id=2,a=y,b=20", "id=3,a=z,b=7")

	r = h.load("db1", "p", map[string]string{"partial_columns": "true", "columns": "a"}, "x\n")
	wantStatus(t, r, StatusFail, "Partial update should include all key columns, missing: id")
	r = h.load("db1", "mor", map[string]string{"partial_columns": "true", "columns": "id,a"}, "1\t1\n")
	wantStatus(t, r, StatusFail, "load by PARTIAL_COLUMNS is only supported in unique table MoW")
}
