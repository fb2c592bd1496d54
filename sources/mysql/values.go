package mysql

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/doris-sync/doris-sync/schema"
)

// This file is the one decoder per MySQL type that both paths share. The snapshot
// reads the binary protocol's rows itself (snapshot_read.go): it decodes the common
// types directly and hands the rest to fromText in the forms go-sql-driver gave (nil,
// int64, uint64, float32/float64 or []byte); the stream gets values from go-mysql's
// binlog decoder (intN/uintN, float32/float64, decimal and temporal text, []byte). A
// columnCodec turns either into the value contract of package schema, so the same row
// reads the same both ways:
//
//	integers      int64, or uint64 for UNSIGNED columns (the binlog sends unsigned
//	              columns as signed numbers unless its metadata says otherwise)
//	BIT(1)        bool;  BIT(n>1) uint64
//	FLOAT         float64 holding the exact single-precision value (the snapshot
//	              selects CAST(col AS DOUBLE): the text protocol prints FLOAT with 6 digits)
//	DOUBLE        float64
//	DECIMAL       schema.Decimal, the server's exact text
//	DATE/DATETIME time.Time in UTC with the stored wall clock
//	TIMESTAMP     time.Time, the real instant (the snapshot session runs in UTC)
//	zero dates    nil: '0000-00-00', and dates with a zero month or day ('2024-00-10'),
//	              which Doris cannot store
//	TIME          string "[-]HH:MM:SS[.fff]" with the column's fractional digits
//	YEAR          int64 (YEAR 0000 is 0)
//	ENUM/SET      string: the label, or the labels joined by commas
//	CHAR/VARCHAR/TEXT  string in UTF-8, converted from the column's charset
//	BINARY/VARBINARY/BLOB  []byte (BINARY(n) zero-padded to n bytes, as stored)
//	JSON          schema.JSON in one canonical text form (see canonicalJSON)
//	GEOMETRY      string, WKT
//	MariaDB UUID, INET4, INET6  string, as the server prints them

type valueKind uint8

const (
	kindOther valueKind = iota // unknown type: text as string, bytes as string when UTF-8
	kindSigned
	kindUnsigned
	kindBool // BIT(1)
	kindBits // BIT(n>1)
	kindFloat
	kindDouble
	kindDecimal
	kindDate
	kindDatetime
	kindTimestamp
	kindTime
	kindYear
	kindText        // VARCHAR, TEXT
	kindChar        // CHAR: the binlog may keep trailing spaces the server strips on read
	kindBinary      // VARBINARY, BLOB
	kindFixedBinary // BINARY(n)
	kindEnum
	kindSet
	kindJSON
	kindGeometry
	kindUUID  // MariaDB UUID
	kindInet4 // MariaDB INET4
	kindInet6 // MariaDB INET6
)

var kindNames = [...]string{"other", "signed integer", "unsigned integer", "bit(1)", "bit", "float", "double",
	"decimal", "date", "datetime", "timestamp", "time", "year", "text", "char", "binary", "binary(n)",
	"enum", "set", "json", "geometry", "uuid", "inet4", "inet6"}

func (k valueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// columnCodec decodes one column's values.
type columnCodec struct {
	name    string
	kind    valueKind
	width   int          // integer width in bytes (1, 2, 3, 4, 8)
	length  int          // BINARY(n): n
	fsp     int          // TIME(n): fractional digits
	charset *textCharset // text kinds in the binlog; nil means UTF-8
	labels  []string     // ENUM/SET labels
	// decimalType is "DECIMAL(p,s)" of a DECIMAL column, for exact comparisons with
	// chunk bounds.
	decimalType string
}

// codecForColumn builds the codec of a column from its discovered (or DDL-derived)
// type. It never fails: an unknown type decodes as kindOther.
func codecForColumn(c schema.Column) columnCodec {
	st := c.Type
	cc := columnCodec{name: c.Name}
	switch st.Name {
	case "tinyint", "bool", "boolean":
		cc.kind, cc.width = kindSigned, 1
	case "smallint":
		cc.kind, cc.width = kindSigned, 2
	case "mediumint":
		cc.kind, cc.width = kindSigned, 3
	case "int", "integer":
		cc.kind, cc.width = kindSigned, 4
	case "bigint":
		cc.kind, cc.width = kindSigned, 8
	case "bit":
		cc.kind = kindBits
		if !st.HasLength || st.Length <= 1 {
			cc.kind = kindBool
		}
	case "float":
		cc.kind = kindFloat
		if st.HasPrecision && !st.HasScale && st.Precision > 24 {
			cc.kind = kindDouble
		}
	case "double", "real", "double precision":
		cc.kind = kindDouble
	case "decimal", "numeric", "dec", "fixed":
		cc.kind, cc.decimalType = kindDecimal, "DECIMAL(10,0)"
		if st.HasPrecision {
			cc.decimalType = fmt.Sprintf("DECIMAL(%d,%d)", st.Precision, st.Scale)
		}
	case "date":
		cc.kind = kindDate
	case "datetime":
		cc.kind = kindDatetime
	case "timestamp":
		cc.kind = kindTimestamp
	case "time":
		cc.kind, cc.fsp = kindTime, st.Precision
	case "year":
		cc.kind = kindYear
	case "char", "nchar", "national char", "character":
		cc.kind = kindChar
	case "varchar", "nvarchar", "national varchar", "character varying", "tinytext", "text", "mediumtext", "longtext", "long", "long varchar":
		cc.kind = kindText
	case "binary":
		cc.kind, cc.length = kindFixedBinary, int(st.Length)
		if !st.HasLength {
			cc.length = 1
		}
	case "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "long varbinary", "vector":
		cc.kind = kindBinary
	case "enum":
		cc.kind, cc.labels = kindEnum, st.EnumValues
	case "set":
		cc.kind, cc.labels = kindSet, st.EnumValues
	case "json":
		cc.kind = kindJSON
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection":
		cc.kind = kindGeometry
	case "uuid":
		cc.kind = kindUUID
	case "inet4":
		cc.kind = kindInet4
	case "inet6":
		cc.kind = kindInet6
	}
	if st.Unsigned && cc.kind == kindSigned {
		cc.kind = kindUnsigned
	}
	switch cc.kind {
	case kindChar, kindText, kindEnum, kindSet, kindOther:
		if strings.EqualFold(st.Charset, "binary") {
			if cc.kind == kindChar {
				cc.kind, cc.length = kindFixedBinary, int(st.Length)
			} else if cc.kind == kindText {
				cc.kind = kindBinary
			}
			break
		}
		cc.charset = charsetByName(st.Charset)
	}
	return cc
}

// binlogFamily groups binlog column types whose values share a Go form, to tell
// whether a discovered column type still describes a binlog column.
func binlogFamily(k valueKind) string {
	switch k {
	case kindSigned, kindUnsigned:
		return "int"
	case kindBool, kindBits:
		return "bit"
	case kindText, kindChar, kindBinary, kindFixedBinary, kindUUID, kindInet4, kindInet6, kindOther:
		return "string"
	}
	return k.String()
}

// codecForBinlog builds the codec of column i of a table map event carrying full
// metadata (binlog_row_metadata=FULL): its type, signedness, charset and labels.
// collations maps collation ids to charset names.
func codecForBinlog(tm *replication.TableMapEvent, i int, name string, collations map[uint64]string) columnCodec {
	cc := columnCodec{name: name}
	unsigned := tm.UnsignedMap()[i]
	meta := tm.ColumnMeta[i]
	tp := tm.ColumnType[i]
	switch {
	case tm.IsEnumColumn(i):
		cc.kind, cc.labels = kindEnum, tm.EnumStrValueMap()[i]
		cc.charset = charsetForCollation(tm.EnumSetCollationMap(), i, collations)
		return cc
	case tm.IsSetColumn(i):
		cc.kind, cc.labels = kindSet, tm.SetStrValueMap()[i]
		cc.charset = charsetForCollation(tm.EnumSetCollationMap(), i, collations)
		return cc
	}
	switch tp {
	case gomysql.MYSQL_TYPE_TINY:
		cc.kind, cc.width = kindSigned, 1
	case gomysql.MYSQL_TYPE_SHORT:
		cc.kind, cc.width = kindSigned, 2
	case gomysql.MYSQL_TYPE_INT24:
		cc.kind, cc.width = kindSigned, 3
	case gomysql.MYSQL_TYPE_LONG:
		cc.kind, cc.width = kindSigned, 4
	case gomysql.MYSQL_TYPE_LONGLONG:
		cc.kind, cc.width = kindSigned, 8
	case gomysql.MYSQL_TYPE_BIT:
		nbits := int(meta>>8)*8 + int(meta&0xFF)
		cc.kind = kindBits
		if nbits <= 1 {
			cc.kind = kindBool
		}
	case gomysql.MYSQL_TYPE_FLOAT:
		cc.kind = kindFloat
	case gomysql.MYSQL_TYPE_DOUBLE:
		cc.kind = kindDouble
	case gomysql.MYSQL_TYPE_NEWDECIMAL, gomysql.MYSQL_TYPE_DECIMAL:
		cc.kind = kindDecimal
	case gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE:
		cc.kind = kindDate
	case gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_DATETIME2:
		cc.kind = kindDatetime
	case gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIMESTAMP2:
		cc.kind = kindTimestamp
	case gomysql.MYSQL_TYPE_TIME:
		cc.kind = kindTime
	case gomysql.MYSQL_TYPE_TIME2:
		cc.kind, cc.fsp = kindTime, int(meta)
	case gomysql.MYSQL_TYPE_YEAR:
		cc.kind = kindYear
	case gomysql.MYSQL_TYPE_JSON:
		cc.kind = kindJSON
	case gomysql.MYSQL_TYPE_GEOMETRY:
		cc.kind = kindGeometry
	case gomysql.MYSQL_TYPE_VECTOR:
		cc.kind = kindBinary
	case gomysql.MYSQL_TYPE_STRING, gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING, gomysql.MYSQL_TYPE_BLOB:
		coll, known := tm.CollationMap()[i]
		binaryData := known && coll == binaryCollation
		switch {
		case tp == gomysql.MYSQL_TYPE_STRING && binaryData:
			cc.kind, cc.length = kindFixedBinary, stringColumnLength(meta)
		case tp == gomysql.MYSQL_TYPE_STRING:
			cc.kind = kindChar
		case binaryData:
			cc.kind = kindBinary
		default:
			cc.kind = kindText
		}
		if !binaryData {
			cc.charset = charsetForCollation(tm.CollationMap(), i, collations)
		}
	}
	if unsigned && cc.kind == kindSigned {
		cc.kind = kindUnsigned
	}
	return cc
}

// binaryCollation is the id of the "binary" collation (charset binary).
const binaryCollation = 63

// stringColumnLength decodes the byte length of a MYSQL_TYPE_STRING column from its
// table-map metadata (the length's high bits hide in the real-type byte).
func stringColumnLength(meta uint16) int {
	if meta < 256 {
		return int(meta)
	}
	b0, b1 := uint8(meta>>8), uint8(meta&0xFF)
	if b0&0x30 != 0x30 {
		return int(uint16(b1) | uint16((b0&0x30)^0x30)<<4)
	}
	return int(b1)
}

func charsetForCollation(m map[int]uint64, i int, collations map[uint64]string) *textCharset {
	coll, ok := m[i]
	if !ok {
		return nil
	}
	return charsetByName(collations[coll])
}

// mergeCodec picks the codec for a binlog column that also has a discovered type: the
// discovered one when it describes the same kind of value (it knows MariaDB's UUID and
// INET types, which the binlog shows as plain binary), else the binlog's, which is
// what the row really holds at this position.
func mergeCodec(fromBinlog, fromSchema columnCodec) columnCodec {
	if binlogFamily(fromBinlog.kind) != binlogFamily(fromSchema.kind) {
		return fromBinlog
	}
	switch fromSchema.kind {
	case kindUUID, kindInet4, kindInet6:
		return fromSchema
	}
	out := fromBinlog
	if out.kind == kindTime && out.fsp == 0 {
		out.fsp = fromSchema.fsp // old TIME type without metadata
	}
	return out
}

// ---- snapshot ----

// fromText decodes a value in the forms go-sql-driver gave (text or binary protocol,
// parseTime off); the snapshot decoder falls back to it for the rarer types.
func (c *columnCodec) fromText(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case kindSigned:
		switch x := v.(type) {
		case int64:
			return x, nil
		case uint64:
			return x, nil // a BIGINT above MaxInt64 can only be unsigned; keep it exact
		case []byte:
			return parseIntText(x)
		}
	case kindUnsigned:
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return nil, fmt.Errorf("unsigned column holds %d", x)
			}
			return uint64(x), nil
		case uint64:
			return x, nil
		case []byte:
			return strconv.ParseUint(string(x), 10, 64)
		}
	case kindBool, kindBits:
		if b, ok := v.([]byte); ok {
			if len(b) > 8 {
				return nil, fmt.Errorf("BIT value of %d bytes", len(b))
			}
			var n uint64
			for _, x := range b {
				n = n<<8 | uint64(x)
			}
			if c.kind == kindBool {
				return n != 0, nil
			}
			return n, nil
		}
	case kindFloat:
		if f, ok := asFloat(v); ok {
			return float64(float32(f)), nil
		}
	case kindDouble:
		if f, ok := asFloat(v); ok {
			return f, nil
		}
	case kindDecimal:
		if b, ok := v.([]byte); ok {
			return schema.Decimal(b), nil
		}
	case kindDate, kindDatetime, kindTimestamp:
		if b, ok := v.([]byte); ok {
			return parseTemporal(string(b))
		}
	case kindTime:
		if b, ok := v.([]byte); ok {
			return normalizeTime(string(b), c.fsp)
		}
	case kindYear:
		switch x := v.(type) {
		case int64:
			return x, nil
		case []byte:
			return parseIntText(x)
		}
	case kindText, kindChar, kindEnum, kindSet, kindUUID, kindInet4, kindInet6:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	case kindBinary, kindFixedBinary:
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case kindJSON:
		if b, ok := v.([]byte); ok {
			return canonicalJSON(b)
		}
	case kindGeometry:
		if b, ok := v.([]byte); ok {
			return geometryToWKT(b)
		}
	case kindOther:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %T for a %s column", v, c.kind)
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case []byte:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	}
	return 0, false
}

func parseIntText(b []byte) (any, error) {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return n, nil
	}
	return strconv.ParseUint(string(b), 10, 64)
}

// ---- binlog (stream) ----

// fromBinlog decodes a value from go-mysql's row decoder (ParseTime=true,
// UseDecimal=false, TimestampStringLocation=UTC, RenderJSONAsMySQLText=true).
func (c *columnCodec) fromBinlog(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case kindSigned:
		return signedFromBinlog(v)
	case kindUnsigned:
		return unsignedFromBinlog(v, c.width)
	case kindBool, kindBits:
		if n, ok := v.(int64); ok {
			if c.kind == kindBool {
				return n != 0, nil
			}
			return uint64(n), nil
		}
	case kindFloat:
		switch x := v.(type) {
		case float32:
			return float64(x), nil
		case float64:
			return float64(float32(x)), nil
		}
	case kindDouble:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case kindDecimal:
		if s, ok := v.(string); ok {
			return schema.Decimal(s), nil
		}
	case kindDate, kindDatetime, kindTimestamp:
		switch x := v.(type) {
		case time.Time:
			// A DATETIME is built in UTC from its wall clock; a TIMESTAMP is the
			// instant in time.Local: UTC makes both the contract's form.
			return x.UTC(), nil
		case string:
			// Every DATE, and what ParseTime leaves as text: zero dates, zero months
			// or days (nil), DATETIMEs before 1970.
			return parseTemporal(x)
		}
	case kindTime:
		if s, ok := v.(string); ok {
			return normalizeTime(s, c.fsp)
		}
	case kindYear:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		}
	case kindEnum:
		if n, ok := v.(int64); ok {
			return c.enumLabel(n)
		}
	case kindSet:
		if n, ok := v.(int64); ok {
			return c.setLabels(uint64(n))
		}
	case kindText:
		return c.decodeText(v)
	case kindChar:
		s, err := c.decodeText(v)
		if err != nil {
			return nil, err
		}
		return strings.TrimRight(s.(string), " "), nil
	case kindBinary:
		if b, ok := bytesOf(v); ok {
			return b, nil
		}
	case kindFixedBinary:
		if b, ok := bytesOf(v); ok {
			if len(b) < c.length {
				padded := make([]byte, c.length)
				copy(padded, b)
				return padded, nil
			}
			return b, nil
		}
	case kindJSON:
		switch x := v.(type) {
		case string:
			return canonicalJSON([]byte(x))
		case []byte:
			if len(x) == 0 { // an empty document, as INSERT IGNORE of NULL leaves it
				return schema.JSON("null"), nil
			}
			return canonicalJSON(x)
		case *replication.JsonDiff:
			return nil, fmt.Errorf("partial JSON update (binlog_row_value_options=PARTIAL_JSON); set binlog_row_value_options=''")
		}
	case kindGeometry:
		if b, ok := bytesOf(v); ok {
			return geometryToWKT(b)
		}
	case kindUUID:
		if b, ok := bytesOf(v); ok {
			return mariaDBUUIDText(b)
		}
	case kindInet4:
		if b, ok := bytesOf(v); ok && len(b) <= 4 {
			var a [4]byte
			copy(a[:], b)
			return netip.AddrFrom4(a).String(), nil
		}
	case kindInet6:
		if b, ok := bytesOf(v); ok && len(b) <= 16 {
			var a [16]byte
			copy(a[:], b)
			return inet6Text(a), nil
		}
	case kindOther:
		switch x := v.(type) {
		case []byte:
			if utf8.Valid(x) {
				return string(x), nil
			}
			return x, nil
		default:
			return x, nil
		}
	}
	return nil, fmt.Errorf("unexpected %T for a %s column", v, c.kind)
}

func bytesOf(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	}
	return nil, false
}

func (c *columnCodec) decodeText(v any) (any, error) {
	b, ok := bytesOf(v)
	if !ok {
		return nil, fmt.Errorf("unexpected %T for a %s column", v, c.kind)
	}
	return c.charset.decode(b)
}

func signedFromBinlog(v any) (any, error) {
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return x, nil
		}
		return int64(x), nil
	}
	return nil, fmt.Errorf("unexpected %T for an integer column", v)
}

// unsignedFromBinlog reads an unsigned column. Without signedness metadata the binlog
// decoder returns the bits as a signed number of the column's width, which is
// reinterpreted here.
func unsignedFromBinlog(v any, width int) (any, error) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case int8:
		return uint64(uint8(x)), nil
	case int16:
		return uint64(uint16(x)), nil
	case int32:
		if width == 3 {
			return uint64(uint32(x) & 0xFFFFFF), nil
		}
		return uint64(uint32(x)), nil
	case int64:
		return uint64(x), nil
	}
	return nil, fmt.Errorf("unexpected %T for an unsigned integer column", v)
}

func (c *columnCodec) enumLabel(n int64) (any, error) {
	if n == 0 {
		return "", nil // the error value an invalid insert leaves in non-strict mode
	}
	if n < 0 || int(n) > len(c.labels) {
		return nil, fmt.Errorf("ENUM index %d but the column has %d labels (is the schema history missing a DDL?)", n, len(c.labels))
	}
	return c.labelText(c.labels[n-1])
}

func (c *columnCodec) setLabels(bits uint64) (any, error) {
	var parts []string
	for i := 0; bits != 0; i++ {
		if bits&1 != 0 {
			if i >= len(c.labels) {
				return nil, fmt.Errorf("SET bit %d but the column has %d labels (is the schema history missing a DDL?)", i, len(c.labels))
			}
			l, err := c.labelText(c.labels[i])
			if err != nil {
				return nil, err
			}
			parts = append(parts, l.(string))
		}
		bits >>= 1
	}
	return strings.Join(parts, ","), nil
}

// labelText converts a label from the table map (in the column's charset) to UTF-8;
// labels from the discovered schema are UTF-8 already and pass unchanged.
func (c *columnCodec) labelText(l string) (any, error) {
	if c.charset == nil || c.charset.utf8 {
		return l, nil
	}
	return c.charset.decode([]byte(l))
}

// parseTemporal reads "YYYY-MM-DD[ HH:MM:SS[.ffffff]]". Zero dates and dates with a
// zero month or day are nil; everything else is a time.Time in UTC holding the text's
// wall clock (for TIMESTAMP that is the instant, since both paths print it in UTC).
func parseTemporal(s string) (any, error) {
	t, ok, err := parseDateTime(s)
	if err != nil || !ok {
		return nil, err
	}
	return t, nil
}

// parseDateTime is parseTemporal without the boxing: ok is false for a zero date
// (the value is then NULL). It keeps no reference to s, so s may be a view of a
// buffer that is reused afterwards.
func parseDateTime(s string) (t time.Time, ok bool, err error) {
	bad := func() (time.Time, bool, error) {
		return time.Time{}, false, fmt.Errorf("cannot read %q as a date or time", s)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	var hour, minute, second, nanos int
	if len(s) > 10 {
		if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
			return bad()
		}
		var ok4, ok5, ok6 bool
		hour, ok4 = digits(s[11:13])
		minute, ok5 = digits(s[14:16])
		second, ok6 = digits(s[17:19])
		if !ok4 || !ok5 || !ok6 {
			return bad()
		}
		if len(s) > 19 {
			if s[19] != '.' || len(s) > 29 {
				return bad()
			}
			frac := s[20:]
			f, ok := digits(frac)
			if !ok && frac != "" {
				return bad()
			}
			for i := len(frac); i < 9; i++ {
				f *= 10
			}
			nanos = f
		}
	}
	if month == 0 || day == 0 {
		return time.Time{}, false, nil
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC), true, nil
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// normalizeTime prints a TIME value as the server does for a column with fsp
// fractional digits: "[-]HH:MM:SS" plus exactly fsp digits (the binlog decoder drops
// a zero fraction).
func normalizeTime(s string, fsp int) (any, error) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	clock, frac, _ := strings.Cut(body, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("cannot read %q as a time", s)
	}
	h, ok1 := digits(parts[0])
	m, ok2 := digits(parts[1])
	sec, ok3 := digits(parts[2])
	if !ok1 || !ok2 || !ok3 || (frac != "" && !isDigits(frac)) {
		return nil, fmt.Errorf("cannot read %q as a time", s)
	}
	var b strings.Builder
	b.Grow(17)
	if neg {
		b.WriteByte('-')
	}
	var num [20]byte
	for i, v := range [3]int{h, m, sec} {
		if i > 0 {
			b.WriteByte(':')
		}
		if v < 10 {
			b.WriteByte('0')
		}
		b.Write(strconv.AppendInt(num[:0], int64(v), 10))
	}
	if fsp > 0 {
		b.WriteByte('.')
		for i := 0; i < fsp; i++ {
			if i < len(frac) {
				b.WriteByte(frac[i])
			} else {
				b.WriteByte('0')
			}
		}
	}
	return b.String(), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// inet6Text prints an IPv6 address as MariaDB's INET6 does: IPv4-mapped addresses as
// ::ffff:a.b.c.d, the rest in the compressed RFC 5952 form.
func inet6Text(a [16]byte) string {
	return netip.AddrFrom16(a).String()
}

// mariaDBUUIDText prints a UUID column's record bytes as text.
func mariaDBUUIDText(b []byte) (string, error) {
	if len(b) > 16 {
		return "", fmt.Errorf("UUID value of %d bytes", len(b))
	}
	var rec [16]byte
	copy(rec[:], b) // the binlog drops trailing zero bytes of fixed-size binary values
	mem := uuidFromRecord(rec[:])
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range mem {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexdigits[x>>4], hexdigits[x&0xF])
	}
	return string(out), nil
}

// uuidFromRecord undoes MariaDB's record order for a UUID (sql/plugin/type_uuid):
// the record is time_hi_and_version, time_mid, time_low, clock_seq, node when the
// swapped form is used; memory (text) order is time_low, time_mid, time_hi, clock_seq,
// node. The swapped form is used for RFC 4122 variant UUIDs of versions 1 to 5, which
// the record shows through the version nibble in its first byte and the variant in
// byte 8.
func uuidFromRecord(rec []byte) [16]byte {
	var mem [16]byte
	version := rec[0] >> 4
	variant := rec[8] >> 6
	if variant == 2 && version >= 1 && version <= 5 {
		copy(mem[0:4], rec[4:8])   // time_low
		copy(mem[4:6], rec[2:4])   // time_mid
		copy(mem[6:8], rec[0:2])   // time_hi_and_version
		copy(mem[8:16], rec[8:16]) // clock_seq, node
		return mem
	}
	copy(mem[:], rec)
	return mem
}

// rowCodec decodes a whole row.
type rowCodec []columnCodec
