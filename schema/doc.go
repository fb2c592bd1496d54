// Package schema is the neutral model every part of doris-sync shares: source tables and
// their columns, the changes read from a source, and the opaque positions those changes
// carry. It imports nothing of ours and holds no database-specific code; each source
// package fills it in, and ddl, sink and sync read it.
//
// # Row values
//
// A Change carries its rows as []any in the table's column order (Table.Columns). Every
// value is one of a small set of Go types, so the sink can encode rows without reflection:
//
//	nil         SQL NULL
//	int64       signed integers (TINYINT(1) included) and YEAR
//	uint64      unsigned integers and BIT(n>1) bit fields (sources may use it for any
//	            unsigned column, and must for values above math.MaxInt64)
//	float64     FLOAT, REAL, DOUBLE, BINARY_FLOAT/BINARY_DOUBLE
//	bool        BOOLEAN and BIT(1)
//	string      text, valid UTF-8, in the form Doris should store: CHAR/VARCHAR/TEXT,
//	            ENUM/SET labels, TIME and INTERVAL text, UUIDs, network addresses, WKT
//	            for geometries, PostgreSQL array/range/hstore text, and so on
//	[]byte      binary data (BINARY, BLOB, bytea, RAW, varbinary, binData); Doris has no
//	            binary column type, so the sink writes it as standard base64 (RFC 4648)
//	time.Time   DATE, DATETIME and TIMESTAMP values, rendered by the sink as the UTC wall
//	            clock. Zone-less source values (MySQL DATETIME, PostgreSQL timestamp,
//	            SQL Server datetime2, Oracle DATE/TIMESTAMP) are put in time.UTC with the
//	            wall-clock fields as stored, so they arrive unshifted; instants (MySQL
//	            TIMESTAMP, timestamptz, datetimeoffset, TIMESTAMP WITH [LOCAL] TIME ZONE,
//	            MongoDB dates) are the real instant and therefore land in Doris as UTC.
//	Decimal     exact decimal text ("-12.50"); never a float
//	JSON        JSON document text
//	Unchanged   not a value: the source did not send this column's value; it is unchanged
//	            and must not be written (see Unchanged). Only an OpUpdate's After row
//	            holds it.
//
// Values that Doris cannot store (a MySQL zero date '0000-00-00', a time of day outside
// 00:00–23:59) are the source's to translate; the zero date arrives as nil, which is why
// ddl creates MySQL temporal columns nullable.
package schema
