// Package encode turns rows into Stream Load bodies: JSON lines (the default) or CSV.
//
// Column types are Doris type text, parsed once by ParseType into a Kind. Rows are []any
// in column order; the hot path takes only these Go types, without reflection, fmt or a
// per-value allocation:
//
//	nil        NULL
//	int64      integers; BOOLEAN accepts 0 and 1 only
//	uint64     unsigned integers (BIGINT UNSIGNED fits LARGEINT)
//	float64    shortest text that round-trips (FLOAT columns: through float32);
//	           NaN/±Inf are sent as "nan"/"inf"/"-inf", which Doris parses into
//	           FLOAT/DOUBLE; other numeric columns refuse them
//	bool       true/false for BOOLEAN, 1/0 for numbers and text
//	string     text for any column type (Doris parses it): decimal text, JSON text,
//	           dates already formatted … In JSON bodies strings are escaped (", \,
//	           every control character incl. NUL as \u00XX), and each byte that is not
//	           valid UTF-8 (latin1 data passed undecoded) becomes U+FFFD.
//	[]byte     binary: base64 (standard alphabet, padded) in CHAR/VARCHAR/STRING columns
//	           — the only form that survives a JSON body and round-trips; in other
//	           columns the bytes are the value's text (drivers that return DECIMAL as
//	           []byte)
//	time.Time  DATE: YYYY-MM-DD; DATETIME(s): YYYY-MM-DD HH:MM:SS with exactly s fraction
//	           digits (truncated); text columns: the DATETIME layout with the fraction's
//	           significant digits. Always the UTC wall clock (package schema: zone-less
//	           values arrive in time.UTC as stored, instants land as UTC).
//	schema.Decimal, schema.JSON
//	           their text, like string
//
// Values of other types whose underlying kind is string, an integer, a float, bool or a
// byte slice (a driver's int32, float32, a named string type) are accepted through a
// reflection fallback that does not allocate either; anything else is a *ValueError.
// So is schema.Unchanged, which is not a value: the sink writes a row holding it with an
// encoder of the other columns only (a partial-column update).
//
// LARGEINT and DECIMAL values are always sent as JSON strings so no JSON number parser
// on the way rounds them; JSON/VARIANT values are JSON text sent as a JSON string, which
// is the form Doris JSON columns take.
package encode
