package ddl

import (
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// pgNameBytes is NAMEDATALEN-1: the longest identifier, and the longest enum label,
// PostgreSQL allows, in bytes of the server encoding.
const pgNameBytes = 63

// mapPostgres maps PostgreSQL types by their format_type or udt names.
func mapPostgres(st schema.SourceType, opts MapOptions) Mapping {
	if st.Elem != nil || strings.HasPrefix(st.Name, "_") {
		return mapped(String) // arrays, as PostgreSQL's array text ('{1,2,NULL}')
	}
	if len(st.EnumValues) > 0 {
		// Sized for the longest label PostgreSQL allows, not the longest label today:
		// ALTER TYPE … ADD VALUE changes no table and sends no event, so a later, longer
		// label must still fit.
		return mapped(Varchar(int(pgNameBytes * bytesPerByteUnit(st))))
	}
	name := st.Name
	switch {
	case strings.HasPrefix(name, "interval"):
		return mapped(String)
	case strings.HasSuffix(name, "range") || strings.HasSuffix(name, "multirange"):
		return mapped(String) // int4range, tstzrange, datemultirange, …: range text
	}
	switch name {
	case "smallint", "int2", "smallserial", "serial2":
		return mapped(SmallInt)
	case "integer", "int", "int4", "serial", "serial4":
		return mapped(Int)
	case "bigint", "int8", "bigserial", "serial8":
		return mapped(BigInt)
	case "real", "float4":
		return mapped(Float)
	case "double precision", "float8":
		return mapped(Double)
	case "float":
		return mapped(floatBits(st, Double))
	case "numeric", "decimal":
		if !st.HasPrecision {
			// Unconstrained numeric holds up to 131072 digits before the point and 16383
			// after, plus NaN and ±Infinity: only text keeps every value.
			return mapped(String)
		}
		s := 0
		if st.HasScale {
			s = st.Scale
		}
		return mapped(decimalType(st.Precision, s, opts))
	case "money":
		return mapped(Decimal(19, 2))
	case "bool", "boolean":
		return mapped(Boolean)
	case "bit":
		if n := lengthOr(st, 1); n > 1 {
			return mapped(bitString(n))
		}
		return mapped(Boolean)
	case "varbit", "bit varying":
		if !st.HasLength {
			return mapped(String)
		}
		return mapped(bitString(st.Length))
	case "bpchar":
		if !st.HasLength {
			return mapped(String) // bare bpchar is unbounded
		}
		return mapped(textType(st.Length, bytesPerCharUnit(st, 4), true))
	case "char", "character":
		return mapped(textType(lengthOr(st, 1), bytesPerCharUnit(st, 4), true))
	case "varchar", "character varying":
		if !st.HasLength {
			return mapped(String)
		}
		return mapped(textType(st.Length, bytesPerCharUnit(st, 4), false))
	case "text", "citext":
		return mapped(String)
	case "name":
		return mapped(Varchar(int(pgNameBytes * bytesPerByteUnit(st))))
	case "bytea":
		return mapped(String)
	case "date":
		return mapped(Date)
	case "timestamp", "timestamp without time zone", "timestamptz", "timestamp with time zone":
		return mapped(dateTimeType(st, 6)) // PostgreSQL keeps microseconds by default
	case "time", "timetz", "time without time zone", "time with time zone":
		return mapped(String)
	case "uuid":
		return mapped(uuidType)
	case "json", "jsonb":
		return mapped(JSON)
	case "xml", "tsvector", "tsquery", "hstore", "ltree", "lquery", "ltxtquery",
		"inet", "cidr", "macaddr", "macaddr8",
		"point", "line", "lseg", "box", "path", "polygon", "circle",
		"geometry", "geography",
		"pg_lsn", "txid_snapshot", "pg_snapshot",
		"regclass", "regproc", "regprocedure", "regoper", "regoperator", "regtype",
		"regconfig", "regdictionary", "regnamespace", "regrole", "regcollation":
		return mapped(String)
	case "oid", "xid", "cid", "regoid":
		return mapped(BigInt) // unsigned 32-bit
	case "xid8":
		return mapped(LargeInt) // unsigned 64-bit
	}
	return Mapping{}
}

// bitString holds a bit string as its '0'/'1' text, one byte per bit.
func bitString(n int64) Type {
	if n > MaxVarcharBytes {
		return String
	}
	return Varchar(int(n))
}
