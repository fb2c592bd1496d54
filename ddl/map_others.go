package ddl

import (
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// mapSQLServer maps SQL Server types; like the anchor it keeps only the first word of
// the name, so "int identity" is "int".
func mapSQLServer(st schema.SourceType, opts MapOptions) Mapping {
	name := st.Name
	if i := strings.IndexByte(name, ' '); i > 0 {
		name = name[:i]
	}
	switch name {
	case "bit":
		return mapped(Boolean)
	case "tinyint":
		return mapped(SmallInt) // SQL Server tinyint is unsigned 0..255
	case "smallint":
		return mapped(SmallInt)
	case "int":
		return mapped(Int)
	case "bigint":
		return mapped(BigInt)
	case "real":
		return mapped(Float)
	case "float":
		return mapped(floatBits(st, Double)) // float = float(53)
	case "money":
		return mapped(Decimal(19, 4))
	case "smallmoney":
		return mapped(Decimal(10, 4))
	case "decimal", "numeric":
		p, s := 18, 0
		if st.HasPrecision {
			p = st.Precision
		}
		if st.HasScale {
			s = st.Scale
		}
		return mapped(decimalType(p, s, opts))
	case "date":
		return mapped(Date)
	case "datetime":
		return mapped(DateTime(3)) // 1/300 s resolution
	case "smalldatetime":
		return mapped(DateTime(0))
	case "datetime2", "datetimeoffset":
		return mapped(dateTimeType(st, 7))
	case "time":
		return mapped(String)
	case "char", "varchar":
		// Lengths count bytes of the column's code page (UTF-8 bytes with a _UTF8
		// collation).
		if unbounded(st) {
			return mapped(String)
		}
		return mapped(textType(lengthOr(st, 1), bytesPerByteUnit(st), name == "char"))
	case "nchar", "nvarchar":
		// Lengths count UTF-16 code units: at most 3 UTF-8 bytes each.
		if unbounded(st) {
			return mapped(String)
		}
		return mapped(textType(lengthOr(st, 1), utf16Unit(st), name == "nchar"))
	case "sysname": // nvarchar(128)
		return mapped(textType(128, utf16Unit(st), false))
	case "text", "ntext", "xml", "sql_variant", "hierarchyid", "geography", "geometry":
		return mapped(String)
	case "binary", "varbinary", "image", "timestamp", "rowversion":
		return mapped(String)
	case "uniqueidentifier":
		return mapped(uuidType)
	}
	return Mapping{}
}

// utf16Unit is the UTF-8 size of one UTF-16 code unit (a surrogate pair is 2 units and 4
// bytes).
func utf16Unit(st schema.SourceType) int64 {
	if st.MaxBytesPerChar > 0 {
		return int64(st.MaxBytesPerChar)
	}
	return 3
}

// mapOracle maps Oracle types.
func mapOracle(st schema.SourceType, opts MapOptions) Mapping {
	name := st.Name
	switch {
	case strings.HasPrefix(name, "timestamp"):
		return mapped(dateTimeType(st, 6)) // TIMESTAMP means TIMESTAMP(6)
	case strings.HasPrefix(name, "interval"):
		return mapped(String)
	}
	switch name {
	case "number":
		return mapped(oracleNumber(st, opts))
	case "integer", "int", "smallint": // NUMBER(38)
		return mapped(LargeInt)
	case "decimal", "numeric", "dec": // ANSI names of NUMBER(p,s); bare, NUMBER(38)
		if !st.HasPrecision {
			return mapped(LargeInt)
		}
		return mapped(oracleNumber(st, opts))
	case "float", "real", "double precision":
		return mapped(Double)
	case "binary_float":
		return mapped(Float)
	case "binary_double":
		return mapped(Double)
	case "date":
		return mapped(DateTime(0)) // Oracle DATE has a time of day, to the second
	case "char", "varchar2", "varchar", "character", "character varying":
		return mapped(textType(lengthOr(st, 1), oracleUnit(st), name == "char" || name == "character"))
	case "nchar", "nvarchar2", "national char", "national character varying":
		// Lengths count characters of the national charset (AL16UTF16 code units).
		return mapped(textType(lengthOr(st, 1), utf16Unit(st), name == "nchar" || name == "national char"))
	case "clob", "nclob", "long", "xmltype", "sdo_geometry":
		return mapped(String)
	case "blob", "raw", "long raw", "bfile":
		return mapped(String)
	case "rowid":
		return mapped(Varchar(18))
	case "urowid":
		return mapped(String)
	case "json":
		return mapped(JSON)
	case "boolean":
		return mapped(Boolean)
	}
	return Mapping{}
}

// oracleUnit is the UTF-8 size of one unit of a CHAR/VARCHAR2 length: bytes by default
// (NLS_LENGTH_SEMANTICS=BYTE), characters with "n CHAR".
func oracleUnit(st schema.SourceType) int64 {
	if st.LengthUnit == schema.UnitChars {
		return bytesPerCharUnit(st, 3)
	}
	return bytesPerByteUnit(st)
}

// oracleNumber maps NUMBER(p,s). Bare NUMBER (no precision, no scale) is a floating
// decimal of up to 38 digits with exponents to ±130: only STRING holds it. NUMBER(*,s)
// has precision 38. Integers (s ≤ 0) take the smallest Doris integer holding p−s digits.
func oracleNumber(st schema.SourceType, opts MapOptions) Type {
	if !st.HasPrecision && !st.HasScale {
		return String
	}
	p, s := 38, 0
	if st.HasPrecision {
		p = st.Precision
	}
	if st.HasScale {
		s = st.Scale
	}
	if s > 0 {
		return decimalType(p, s, opts)
	}
	switch digits := p - s; {
	case digits < 3:
		return TinyInt
	case digits < 5:
		return SmallInt
	case digits < 10:
		return Int
	case digits < 19:
		return BigInt
	case digits < 39:
		return LargeInt
	default:
		return decimalType(digits, 0, opts)
	}
}

// mapDB2 maps DB2 LUW types.
func mapDB2(st schema.SourceType, opts MapOptions) Mapping {
	name := st.Name
	if strings.HasSuffix(name, "for bit data") {
		return mapped(String) // binary character data
	}
	switch name {
	case "boolean":
		return mapped(Boolean)
	case "smallint":
		return mapped(SmallInt)
	case "integer", "int":
		return mapped(Int)
	case "bigint":
		return mapped(BigInt)
	case "real":
		return mapped(Float)
	case "double", "double precision":
		return mapped(Double)
	case "float":
		return mapped(floatBits(st, Double))
	case "decimal", "numeric", "dec", "num":
		p, s := 5, 0
		if st.HasPrecision {
			p = st.Precision
		}
		if st.HasScale {
			s = st.Scale
		}
		return mapped(decimalType(p, s, opts))
	case "decfloat":
		// A floating decimal (34 digits, exponent ±6144): no fixed DECIMAL holds it.
		return mapped(String)
	case "date":
		return mapped(Date)
	case "time":
		return mapped(String)
	case "timestamp", "timestamp with time zone":
		return mapped(dateTimeType(st, 6))
	case "char", "character", "varchar", "character varying", "long varchar":
		// Lengths count bytes of the database code page.
		def := int64(1)
		if name == "long varchar" {
			def = 32700
		}
		return mapped(textType(lengthOr(st, def), bytesPerByteUnit(st), name == "char" || name == "character"))
	case "graphic", "vargraphic", "long vargraphic":
		// Double-byte (UTF-16 code unit) lengths.
		def := int64(1)
		if name == "long vargraphic" {
			def = 16350
		}
		return mapped(textType(lengthOr(st, def), utf16Unit(st), name == "graphic"))
	case "clob", "dbclob", "blob", "xml", "binary", "varbinary":
		return mapped(String)
	}
	return Mapping{}
}

// mapMongoDB maps BSON type names ($type aliases) as the MongoDB source infers them
// from sampled documents.
func mapMongoDB(st schema.SourceType, opts MapOptions) Mapping {
	switch st.Name {
	case "double":
		return mapped(Double)
	case "int":
		return mapped(Int)
	case "long":
		return mapped(BigInt)
	case "decimal":
		// Precision and scale come from the sampled values; without them a Decimal128
		// (34 digits, exponent ±6143) needs text.
		if !st.HasPrecision {
			return mapped(String)
		}
		s := 0
		if st.HasScale {
			s = st.Scale
		}
		return mapped(decimalType(st.Precision, s, opts))
	case "bool", "boolean":
		return mapped(Boolean)
	case "date":
		return mapped(DateTime(3))
	case "timestamp":
		return mapped(DateTime(0))
	case "objectid":
		return mapped(Varchar(36))
	case "string", "bindata", "regex", "javascript", "javascriptwithscope", "symbol",
		"dbpointer", "minkey", "maxkey", "null", "undefined", "mixed":
		return mapped(String)
	case "object", "array":
		return mapped(JSON)
	}
	return Mapping{}
}
