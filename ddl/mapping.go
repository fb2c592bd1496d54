package ddl

import (
	"fmt"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// Source names a source database family; it selects the type mapping.
type Source string

// The source families. MariaDB uses SourceMySQL.
const (
	SourceMySQL     Source = "mysql"
	SourcePostgres  Source = "postgres"
	SourceSQLServer Source = "sqlserver"
	SourceOracle    Source = "oracle"
	SourceDB2       Source = "db2"
	SourceMongoDB   Source = "mongodb"
)

// MapOptions change how types map.
type MapOptions struct {
	// Decimal256 allows DECIMAL precision up to 76 (table-conf enable-decimal256=true,
	// Doris ≥ 2.1); otherwise decimals above 38 digits become STRING.
	Decimal256 bool
	// TinyInt1AsTinyInt maps MySQL TINYINT(1) to TINYINT instead of BOOLEAN (the
	// anchor's jdbc.properties.tinyInt1isBit=false).
	TinyInt1AsTinyInt bool
}

// Mapping is the Doris type chosen for a source type.
type Mapping struct {
	Type Type
	// Warning is set when the source type was not recognised (mapped to STRING) or the
	// mapping is known to lose something. It is for the caller to report.
	Warning string
	// ForceNullable: the source delivers values Doris cannot store as NULL (MySQL zero
	// dates), so the column must be nullable whatever the source says.
	ForceNullable bool
}

// MapType maps a source column type to a Doris type. It never fails: an unknown type
// maps to STRING with a warning.
func MapType(src Source, st schema.SourceType, opts MapOptions) Mapping {
	if st.Base != nil {
		return MapType(src, *st.Base, opts)
	}
	var m Mapping
	switch src {
	case SourceMySQL:
		m = mapMySQL(st, opts)
	case SourcePostgres:
		m = mapPostgres(st, opts)
	case SourceSQLServer:
		m = mapSQLServer(st, opts)
	case SourceOracle:
		m = mapOracle(st, opts)
	case SourceDB2:
		m = mapDB2(st, opts)
	case SourceMongoDB:
		m = mapMongoDB(st, opts)
	default:
		return Mapping{Type: String, Warning: fmt.Sprintf("unknown source %q: type %q mapped to STRING", src, st.Name)}
	}
	if m.Type.Kind == KindInvalid {
		return Mapping{Type: String, Warning: fmt.Sprintf("unsupported %s type %q: mapped to STRING", src, st.Name)}
	}
	return m
}

func mapped(t Type) Mapping { return Mapping{Type: t} }

// textType sizes a character type: units × UTF-8 bytes per unit, as CHAR when fixed
// and at most 255 bytes, else VARCHAR up to 65533 bytes, else STRING. The arithmetic is
// 64-bit so no declared length can overflow into a negative size.
func textType(units, bytesPerUnit int64, fixed bool) Type {
	if units < 1 {
		units = 1 // CHAR(0)/VARCHAR(0) hold only '' (or NULL)
	}
	n := units * bytesPerUnit
	switch {
	case fixed && n <= MaxCharBytes:
		return Char(int(n))
	case n <= MaxVarcharBytes:
		return Varchar(int(n))
	}
	return String
}

// labelsType sizes a VARCHAR for ENUM (join == false: the longest label) or SET (join:
// every label and the commas between them).
func labelsType(labels []string, join bool) Type {
	n := 0
	for _, l := range labels {
		if join {
			n += len(l)
		} else if len(l) > n {
			n = len(l)
		}
	}
	if join && len(labels) > 1 {
		n += len(labels) - 1
	}
	if n < 1 {
		n = 1
	}
	if n > MaxVarcharBytes {
		return String
	}
	return Varchar(n)
}

// decimalType maps DECIMAL(p,s), fixing forms Doris does not have: a negative scale
// (PostgreSQL 15, Oracle) widens the integer part; a scale above the precision
// (NUMBER(2,5)) widens the precision. Above 38 digits: DECIMAL up to 76 with
// Decimal256, else STRING.
func decimalType(p, s int, opts MapOptions) Type {
	if s < 0 {
		p, s = p-s, 0
	}
	if s > p {
		p = s
	}
	if p < 1 {
		p = 1
	}
	if p <= MaxDecimalDigits || (opts.Decimal256 && p <= MaxDecimal256) {
		return Decimal(p, s)
	}
	return String
}

// dateTimeType keeps the fractional-second digits (def when the source gave none),
// capped at Doris's 6.
func dateTimeType(st schema.SourceType, def int) Type {
	p := def
	if st.HasPrecision {
		p = st.Precision
	}
	if p < 0 {
		p = 0
	}
	if p > MaxDateTimeDigits {
		p = MaxDateTimeDigits
	}
	return DateTime(p)
}

// floatBits maps FLOAT(p) by its binary precision: up to 24 bits is single precision.
func floatBits(st schema.SourceType, def Type) Type {
	if !st.HasPrecision {
		return def
	}
	if st.Precision <= 24 {
		return Float
	}
	return Double
}

// lengthOr returns the declared length, or def when none was given.
func lengthOr(st schema.SourceType, def int64) int64 {
	if st.HasLength {
		return st.Length
	}
	return def
}

// unbounded reports a "(max)" or negative (-1 = max) length.
func unbounded(st schema.SourceType) bool {
	return st.MaxLength || (st.HasLength && st.Length < 0)
}

// normCharset folds a charset name for lookup: "UTF-8", "utf_8" and "utf8" are one.
func normCharset(cs string) string {
	cs = strings.ToLower(cs)
	cs = strings.ReplaceAll(cs, "-", "")
	return strings.ReplaceAll(cs, "_", "")
}

// isUTF8 reports charsets whose bytes already are UTF-8 bytes (so a length in bytes
// needs no expansion).
func isUTF8(cs string) bool {
	switch normCharset(cs) {
	case "utf8", "utf8mb4", "utf8mb3", "al32utf8", "1208":
		return true
	}
	return false
}

// bytesPerByteUnit is the UTF-8 size of one byte of a length counted in bytes: 1 when
// the charset is UTF-8, else 3, because a character of any non-UTF-8 charset takes at
// least one byte there and at most 3 bytes in UTF-8 (4-byte UTF-8 characters take at
// least 4 bytes in every other encoding that can hold them).
func bytesPerByteUnit(st schema.SourceType) int64 {
	if st.MaxBytesPerChar > 0 {
		return int64(st.MaxBytesPerChar)
	}
	if isUTF8(st.Charset) {
		return 1
	}
	return 3
}

// fourByteCharsets can hold characters outside the BMP (4 bytes in UTF-8).
var fourByteCharsets = map[string]bool{
	"utf8mb4": true, "utf16": true, "utf16le": true, "utf32": true, "gb18030": true,
	"eucjis2004": true, "shiftjis2004": true, "muleinternal": true, "al32utf8": true,
}

// threeByteCharsets are the other known charsets: every character fits in 3 UTF-8
// bytes. Single-byte charsets are here too: cp1252 (MySQL's latin1) maps 0x80 to €,
// which is 3 bytes in UTF-8.
var threeByteCharsets = map[string]bool{
	"utf8mb3": true, "ucs2": true, "al16utf16": true,
	"latin1": true, "latin2": true, "latin5": true, "latin7": true, "cp1250": true, "cp1251": true,
	"cp1256": true, "cp1257": true, "cp850": true, "cp852": true, "cp866": true, "cp932": true,
	"big5": true, "gbk": true, "gb2312": true, "sjis": true, "ujis": true, "eucjpms": true, "euckr": true,
	"koi8r": true, "koi8u": true, "greek": true, "hebrew": true, "tis620": true, "armscii8": true,
	"dec8": true, "hp8": true, "swe7": true, "keybcs2": true, "macce": true, "macroman": true, "geostd8": true,
	"eucjp": true, "euccn": true, "euctw": true, "uhc": true, "johab": true, "shiftjis": true,
	"latin3": true, "latin4": true, "latin6": true, "latin8": true, "latin9": true, "latin10": true,
	"win866": true, "win874": true, "win1250": true, "win1251": true, "win1252": true, "win1253": true,
	"win1254": true, "win1255": true, "win1256": true, "win1257": true, "win1258": true,
	"iso88595": true, "iso88596": true, "iso88597": true, "iso88598": true, "we8iso8859p1": true,
	"we8mswin1252": true, "zhs16gbk": true, "ja16sjis": true, "ko16mswin949": true,
}

// bytesPerCharUnit is the UTF-8 size of one character of the column's charset: the
// source's MaxBytesPerChar, else the charset's, else 4 (enough for any character).
// plainUTF8 is what the bare name "utf8" means to the source: 3 for MySQL (utf8mb3)
// and Oracle (CESU-8 counts a supplementary character as two), 4 for PostgreSQL.
func bytesPerCharUnit(st schema.SourceType, plainUTF8 int64) int64 {
	if st.MaxBytesPerChar > 0 {
		return int64(st.MaxBytesPerChar)
	}
	cs := normCharset(st.Charset)
	switch {
	case cs == "ascii" || cs == "usascii" || cs == "us7ascii":
		return 1
	case cs == "utf8":
		return plainUTF8
	case fourByteCharsets[cs]:
		return 4
	case threeByteCharsets[cs]:
		return 3
	}
	return 4
}

// uuidType holds a UUID's canonical 36-character text and can be a key.
var uuidType = Varchar(36)
