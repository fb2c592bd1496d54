package ddl

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

type mapCase struct {
	in   string // source type text
	want string // Doris type
}

func parse(t *testing.T, text string) schema.SourceType {
	t.Helper()
	st, err := schema.ParseType(text)
	if err != nil {
		t.Fatalf("ParseType(%q): %v", text, err)
	}
	return st
}

func checkMappings(t *testing.T, src Source, opts MapOptions, cases []mapCase) {
	t.Helper()
	for _, c := range cases {
		m := MapType(src, parse(t, c.in), opts)
		if got := m.Type.String(); got != c.want {
			t.Errorf("%s %q: got %s, want %s", src, c.in, got, c.want)
		}
		if m.Warning != "" {
			t.Errorf("%s %q: unexpected warning %q", src, c.in, m.Warning)
		}
	}
}

func TestMapMySQL(t *testing.T) {
	checkMappings(t, SourceMySQL, MapOptions{}, []mapCase{
		{"bit", "BOOLEAN"}, {"bit(1)", "BOOLEAN"}, {"bit(2)", "BIGINT"}, {"bit(63)", "BIGINT"}, {"bit(64)", "LARGEINT"},
		{"bool", "BOOLEAN"}, {"boolean", "BOOLEAN"},
		{"tinyint(1)", "BOOLEAN"}, {"tinyint", "TINYINT"}, {"tinyint(4)", "TINYINT"},
		{"tinyint(1) unsigned", "SMALLINT"}, {"tinyint unsigned", "SMALLINT"}, {"tinyint(3) unsigned zerofill", "SMALLINT"},
		{"smallint", "SMALLINT"}, {"smallint unsigned", "INT"},
		{"mediumint", "INT"}, {"mediumint unsigned", "INT"},
		{"int", "INT"}, {"int(11)", "INT"}, {"integer", "INT"}, {"int unsigned", "BIGINT"}, {"int(10) unsigned", "BIGINT"},
		{"bigint", "BIGINT"}, {"bigint(20) unsigned", "LARGEINT"}, {"BIGINT UNSIGNED ZEROFILL", "LARGEINT"}, {"serial", "LARGEINT"},
		{"float", "FLOAT"}, {"float unsigned", "FLOAT"}, {"float(7,4)", "FLOAT"}, {"float(30)", "DOUBLE"},
		{"double", "DOUBLE"}, {"double precision", "DOUBLE"}, {"real", "DOUBLE"}, {"double(10,2) unsigned", "DOUBLE"},
		{"decimal", "DECIMAL(10,0)"}, {"decimal(9,3)", "DECIMAL(9,3)"}, {"decimal(38,9)", "DECIMAL(38,9)"},
		{"numeric(10,2)", "DECIMAL(10,2)"}, {"fixed(5,1)", "DECIMAL(5,1)"}, {"decimal(12,2) unsigned", "DECIMAL(12,2)"},
		{"decimal(39,0)", "STRING"}, {"decimal(65,30)", "STRING"},
		{"date", "DATE"}, {"datetime", "DATETIME"}, {"datetime(3)", "DATETIME(3)"}, {"datetime(6)", "DATETIME(6)"},
		{"timestamp", "DATETIME"}, {"timestamp(6)", "DATETIME(6)"},
		{"time", "STRING"}, {"time(3)", "STRING"}, {"year", "SMALLINT"}, {"year(4)", "SMALLINT"},
		// utf8mb4 (or unknown charset): 4 bytes per character.
		{"char(10)", "CHAR(40)"}, {"char", "CHAR(4)"}, {"char(64)", "VARCHAR(256)"}, {"char(255)", "VARCHAR(1020)"},
		{"varchar(100)", "VARCHAR(400)"}, {"varchar(255)", "VARCHAR(1020)"}, {"varchar(16383)", "VARCHAR(65532)"},
		{"varchar(16384)", "STRING"}, {"varchar(65535)", "STRING"},
		{"varchar(100) character set utf8mb4", "VARCHAR(400)"},
		{"varchar(100) character set utf8mb3", "VARCHAR(300)"}, {"varchar(100) character set utf8", "VARCHAR(300)"},
		{"varchar(100) character set latin1", "VARCHAR(300)"}, {"varchar(100) character set ascii", "VARCHAR(100)"},
		{"varchar(100) character set gb18030", "VARCHAR(400)"}, {"varchar(100) character set gbk", "VARCHAR(300)"},
		{"char(10) character set ascii", "CHAR(10)"}, {"char(85) character set utf8mb3", "CHAR(255)"}, {"char(86) character set utf8mb3", "VARCHAR(258)"},
		{"varchar(30000) character set latin1", "STRING"},
		{"tinytext", "STRING"}, {"text", "STRING"}, {"mediumtext", "STRING"}, {"longtext", "STRING"},
		{"enum('a','bb','ccc')", "VARCHAR(3)"}, {"enum('ok','失败')", "VARCHAR(6)"}, {"enum('')", "VARCHAR(1)"},
		{"set('a','bb','ccc')", "VARCHAR(8)"}, {"set('x')", "VARCHAR(1)"},
		{"binary(16)", "STRING"}, {"varbinary(255)", "STRING"}, {"tinyblob", "STRING"}, {"blob", "STRING"},
		{"mediumblob", "STRING"}, {"longblob", "STRING"},
		{"json", "JSON"},
		{"geometry", "STRING"}, {"point", "STRING"}, {"linestring", "STRING"}, {"polygon", "STRING"},
		{"multipoint", "STRING"}, {"multilinestring", "STRING"}, {"multipolygon", "STRING"},
		{"geometrycollection", "STRING"}, {"geomcollection", "STRING"},
		{"uuid", "VARCHAR(36)"}, {"inet4", "VARCHAR(15)"}, {"inet6", "VARCHAR(45)"},
	})
}

func TestMapMySQLOptions(t *testing.T) {
	checkMappings(t, SourceMySQL, MapOptions{TinyInt1AsTinyInt: true}, []mapCase{{"tinyint(1)", "TINYINT"}})
	checkMappings(t, SourceMySQL, MapOptions{Decimal256: true}, []mapCase{
		{"decimal(39,0)", "DECIMAL(39,0)"}, {"decimal(65,30)", "DECIMAL(65,30)"}, {"decimal(38,9)", "DECIMAL(38,9)"},
	})
	// MaxBytesPerChar from the source overrides the charset.
	st := parse(t, "varchar(10) character set utf8mb4")
	st.MaxBytesPerChar = 2
	if got := MapType(SourceMySQL, st, MapOptions{}).Type.String(); got != "VARCHAR(20)" {
		t.Errorf("MaxBytesPerChar=2: got %s", got)
	}
	// Temporal columns are forced nullable: zero dates arrive as NULL.
	for _, in := range []string{"date", "datetime(3)", "timestamp"} {
		if !MapType(SourceMySQL, parse(t, in), MapOptions{}).ForceNullable {
			t.Errorf("%s: ForceNullable not set", in)
		}
	}
	if MapType(SourceMySQL, parse(t, "int"), MapOptions{}).ForceNullable {
		t.Error("int: ForceNullable set")
	}
}

func TestMapPostgres(t *testing.T) {
	checkMappings(t, SourcePostgres, MapOptions{}, []mapCase{
		{"smallint", "SMALLINT"}, {"int2", "SMALLINT"}, {"smallserial", "SMALLINT"},
		{"integer", "INT"}, {"int4", "INT"}, {"serial", "INT"},
		{"bigint", "BIGINT"}, {"int8", "BIGINT"}, {"bigserial", "BIGINT"},
		{"real", "FLOAT"}, {"float4", "FLOAT"}, {"double precision", "DOUBLE"}, {"float8", "DOUBLE"},
		{"float(24)", "FLOAT"}, {"float(25)", "DOUBLE"}, {"float", "DOUBLE"},
		{"numeric(10,2)", "DECIMAL(10,2)"}, {"numeric(38,0)", "DECIMAL(38,0)"}, {"decimal(5)", "DECIMAL(5,0)"},
		{"numeric", "STRING"}, {"numeric(50,10)", "STRING"},
		{"numeric(5,-2)", "DECIMAL(7,0)"}, {"numeric(3,5)", "DECIMAL(5,5)"},
		{"money", "DECIMAL(19,2)"},
		{"boolean", "BOOLEAN"}, {"bool", "BOOLEAN"},
		{"bit", "BOOLEAN"}, {"bit(1)", "BOOLEAN"}, {"bit(8)", "VARCHAR(8)"}, {"bit varying(20)", "VARCHAR(20)"},
		{"varbit", "STRING"},
		{"character(10)", "CHAR(40)"}, {"char(10)", "CHAR(40)"}, {"bpchar(10)", "CHAR(40)"}, {"bpchar", "STRING"},
		{"character varying(128)", "VARCHAR(512)"}, {"varchar(100)", "VARCHAR(400)"}, {"varchar", "STRING"},
		{"character varying(16384)", "STRING"},
		{"text", "STRING"}, {"citext", "STRING"}, {"bytea", "STRING"},
		{"date", "DATE"},
		{"timestamp", "DATETIME(6)"}, {"timestamp(3)", "DATETIME(3)"}, {"timestamp(0) without time zone", "DATETIME"},
		{"timestamptz", "DATETIME(6)"}, {"timestamp(3) with time zone", "DATETIME(3)"},
		{"time", "STRING"}, {"timetz", "STRING"}, {"time(3) with time zone", "STRING"},
		{"interval", "STRING"}, {"interval day to second(3)", "STRING"},
		{"uuid", "VARCHAR(36)"}, {"json", "JSON"}, {"jsonb", "JSON"},
		{"xml", "STRING"}, {"tsvector", "STRING"}, {"tsquery", "STRING"}, {"hstore", "STRING"},
		{"inet", "STRING"}, {"cidr", "STRING"}, {"macaddr", "STRING"}, {"macaddr8", "STRING"},
		{"point", "STRING"}, {"line", "STRING"}, {"lseg", "STRING"}, {"box", "STRING"}, {"path", "STRING"},
		{"polygon", "STRING"}, {"circle", "STRING"},
		{"int4range", "STRING"}, {"int8range", "STRING"}, {"numrange", "STRING"}, {"tsrange", "STRING"},
		{"tstzrange", "STRING"}, {"daterange", "STRING"}, {"int4multirange", "STRING"},
		{"regclass", "STRING"}, {"REGCLASS", "STRING"}, {"pg_lsn", "STRING"},
		{"oid", "BIGINT"}, {"xid8", "LARGEINT"},
		{"_int4", "STRING"}, {"integer[]", "STRING"}, {"text[][]", "STRING"},
		{"name", "VARCHAR(189)"},
	})
	checkMappings(t, SourcePostgres, MapOptions{Decimal256: true}, []mapCase{{"numeric(50,10)", "DECIMAL(50,10)"}, {"numeric", "STRING"}})
}

func TestMapPostgresUserTypes(t *testing.T) {
	// An enum: sized for the longest label PostgreSQL could ever get (63 bytes).
	enum := schema.SourceType{Name: "mood", EnumValues: []string{"happy", "sad"}, Charset: "UTF8"}
	if got := MapType(SourcePostgres, enum, MapOptions{}); got.Type.String() != "VARCHAR(63)" || got.Warning != "" {
		t.Errorf("enum in UTF8 database: got %s %q", got.Type, got.Warning)
	}
	enum.Charset = "LATIN1"
	if got := MapType(SourcePostgres, enum, MapOptions{}).Type.String(); got != "VARCHAR(189)" {
		t.Errorf("enum in LATIN1 database: got %s", got)
	}
	// A domain maps as its base type.
	base := parse(t, "numeric(12,2)")
	domain := schema.SourceType{Name: "price", Base: &base}
	if got := MapType(SourcePostgres, domain, MapOptions{}); got.Type.String() != "DECIMAL(12,2)" || got.Warning != "" {
		t.Errorf("domain: got %s %q", got.Type, got.Warning)
	}
	// Encodings: LATIN1 characters take at most 3 UTF-8 bytes here (one rule for all
	// single-byte encodings), SQL_ASCII bytes are uninterpreted.
	for cs, want := range map[string]string{"UTF8": "VARCHAR(40)", "LATIN1": "VARCHAR(30)", "WIN1252": "VARCHAR(30)", "EUC_JP": "VARCHAR(30)", "GB18030": "VARCHAR(40)", "SQL_ASCII": "VARCHAR(40)", "": "VARCHAR(40)"} {
		st := parse(t, "varchar(10)")
		st.Charset = cs
		if got := MapType(SourcePostgres, st, MapOptions{}).Type.String(); got != want {
			t.Errorf("varchar(10) in %q: got %s want %s", cs, got, want)
		}
	}
}

func TestMapSQLServer(t *testing.T) {
	checkMappings(t, SourceSQLServer, MapOptions{}, []mapCase{
		{"bit", "BOOLEAN"}, {"tinyint", "SMALLINT"}, {"smallint", "SMALLINT"}, {"int", "INT"}, {"int identity", "INT"},
		{"int identity(1,1)", "INT"}, {"bigint", "BIGINT"},
		{"real", "FLOAT"}, {"float", "DOUBLE"}, {"float(24)", "FLOAT"}, {"float(53)", "DOUBLE"},
		{"money", "DECIMAL(19,4)"}, {"smallmoney", "DECIMAL(10,4)"},
		{"decimal(18,2)", "DECIMAL(18,2)"}, {"numeric(38,10)", "DECIMAL(38,10)"}, {"decimal", "DECIMAL(18,0)"},
		{"date", "DATE"}, {"datetime", "DATETIME(3)"}, {"smalldatetime", "DATETIME"},
		{"datetime2", "DATETIME(6)"}, {"datetime2(7)", "DATETIME(6)"}, {"datetime2(3)", "DATETIME(3)"}, {"datetime2(0)", "DATETIME"},
		{"datetimeoffset", "DATETIME(6)"}, {"datetimeoffset(2)", "DATETIME(2)"}, {"time", "STRING"}, {"time(7)", "STRING"},
		{"char(10)", "CHAR(30)"}, {"varchar(128)", "VARCHAR(384)"}, {"varchar(max)", "STRING"}, {"varchar(8000)", "VARCHAR(24000)"},
		{"nchar(10)", "CHAR(30)"}, {"nvarchar(128)", "VARCHAR(384)"}, {"nvarchar(4000)", "VARCHAR(12000)"},
		{"nvarchar(max)", "STRING"}, {"nvarchar(-1)", "STRING"}, {"varchar(-1)", "STRING"},
		{"sysname", "VARCHAR(384)"},
		{"text", "STRING"}, {"ntext", "STRING"}, {"xml", "STRING"},
		{"binary(16)", "STRING"}, {"varbinary(max)", "STRING"}, {"image", "STRING"}, {"timestamp", "STRING"}, {"rowversion", "STRING"},
		{"uniqueidentifier", "VARCHAR(36)"},
		{"sql_variant", "STRING"}, {"hierarchyid", "STRING"}, {"geography", "STRING"}, {"geometry", "STRING"},
	})
	// A _UTF8 collation stores varchar lengths as UTF-8 bytes already.
	st := parse(t, "varchar(100)")
	st.Charset = "UTF8"
	if got := MapType(SourceSQLServer, st, MapOptions{}).Type.String(); got != "VARCHAR(100)" {
		t.Errorf("varchar(100) with UTF8 collation: got %s", got)
	}
	// The anchor computed 1073741823 × 3 in 32 bits and produced VARCHAR(-1073741827).
	st = schema.SourceType{Name: "nvarchar", Length: 1073741823, HasLength: true}
	if got := MapType(SourceSQLServer, st, MapOptions{}).Type.String(); got != "STRING" {
		t.Errorf("nvarchar of 1073741823 units: got %s", got)
	}
}

func TestMapOracle(t *testing.T) {
	checkMappings(t, SourceOracle, MapOptions{}, []mapCase{
		{"NUMBER(1)", "TINYINT"}, {"NUMBER(2)", "TINYINT"}, {"NUMBER(3)", "SMALLINT"}, {"NUMBER(4)", "SMALLINT"},
		{"NUMBER(5)", "INT"}, {"NUMBER(9)", "INT"}, {"NUMBER(10)", "BIGINT"}, {"NUMBER(18)", "BIGINT"},
		{"NUMBER(19)", "LARGEINT"}, {"NUMBER(38)", "LARGEINT"}, {"NUMBER(*,0)", "LARGEINT"}, {"INTEGER", "LARGEINT"},
		{"NUMBER(10,0)", "BIGINT"}, {"NUMBER(5,-2)", "INT"}, {"NUMBER(38,-2)", "STRING"},
		{"NUMBER(8,2)", "DECIMAL(8,2)"}, {"NUMBER(2,2)", "DECIMAL(2,2)"}, {"NUMBER(2,5)", "DECIMAL(5,5)"},
		{"NUMBER(*,2)", "DECIMAL(38,2)"}, {"NUMBER", "STRING"},
		{"DECIMAL(10,2)", "DECIMAL(10,2)"}, {"NUMERIC(6)", "INT"}, {"DECIMAL", "LARGEINT"},
		{"FLOAT", "DOUBLE"}, {"FLOAT(126)", "DOUBLE"}, {"BINARY_FLOAT", "FLOAT"}, {"BINARY_DOUBLE", "DOUBLE"},
		{"DATE", "DATETIME"}, {"TIMESTAMP", "DATETIME(6)"}, {"TIMESTAMP(3)", "DATETIME(3)"}, {"TIMESTAMP(9)", "DATETIME(6)"},
		{"TIMESTAMP(6) WITH TIME ZONE", "DATETIME(6)"}, {"TIMESTAMP WITH LOCAL TIME ZONE", "DATETIME(6)"},
		{"INTERVAL YEAR(2) TO MONTH", "STRING"}, {"INTERVAL DAY(2) TO SECOND(6)", "STRING"},
		{"CHAR(10)", "CHAR(30)"}, {"VARCHAR2(50)", "VARCHAR(150)"}, {"VARCHAR2(50 BYTE)", "VARCHAR(150)"},
		{"VARCHAR2(50 CHAR)", "VARCHAR(200)"}, {"VARCHAR2(4000)", "VARCHAR(12000)"}, {"VARCHAR2(32767)", "STRING"},
		{"NCHAR(10)", "CHAR(30)"}, {"NVARCHAR2(100)", "VARCHAR(300)"},
		{"CLOB", "STRING"}, {"NCLOB", "STRING"}, {"LONG", "STRING"}, {"BLOB", "STRING"}, {"RAW(16)", "STRING"},
		{"LONG RAW", "STRING"}, {"BFILE", "STRING"}, {"ROWID", "VARCHAR(18)"}, {"UROWID", "STRING"},
		{"XMLTYPE", "STRING"}, {"JSON", "JSON"}, {"BOOLEAN", "BOOLEAN"}, {"SDO_GEOMETRY", "STRING"},
	})
	checkMappings(t, SourceOracle, MapOptions{Decimal256: true}, []mapCase{{"NUMBER(38,-2)", "DECIMAL(40,0)"}})
	// In an AL32UTF8 database a BYTE length is a UTF-8 length already.
	st := parse(t, "VARCHAR2(50)")
	st.Charset = "AL32UTF8"
	if got := MapType(SourceOracle, st, MapOptions{}).Type.String(); got != "VARCHAR(50)" {
		t.Errorf("VARCHAR2(50) in AL32UTF8: got %s", got)
	}
	st = parse(t, "VARCHAR2(50 CHAR)")
	st.Charset = "UTF8" // Oracle's UTF8 is CESU-8: 3 bytes per character unit
	if got := MapType(SourceOracle, st, MapOptions{}).Type.String(); got != "VARCHAR(150)" {
		t.Errorf("VARCHAR2(50 CHAR) in UTF8: got %s", got)
	}
}

func TestMapDB2(t *testing.T) {
	checkMappings(t, SourceDB2, MapOptions{}, []mapCase{
		{"BOOLEAN", "BOOLEAN"}, {"SMALLINT", "SMALLINT"}, {"INTEGER", "INT"}, {"INT", "INT"}, {"BIGINT", "BIGINT"},
		{"REAL", "FLOAT"}, {"DOUBLE", "DOUBLE"}, {"FLOAT", "DOUBLE"},
		{"DECIMAL(31,0)", "DECIMAL(31,0)"}, {"DECIMAL(31,31)", "DECIMAL(31,31)"}, {"NUMERIC(31,0)", "DECIMAL(31,0)"},
		{"NUMERIC(31,31)", "DECIMAL(31,31)"}, {"DECIMAL", "DECIMAL(5,0)"}, {"DECFLOAT(34)", "STRING"}, {"DECFLOAT", "STRING"},
		{"DATE", "DATE"}, {"TIME", "STRING"}, {"TIMESTAMP", "DATETIME(6)"}, {"TIMESTAMP(0)", "DATETIME"}, {"TIMESTAMP(12)", "DATETIME(6)"},
		{"CHAR(1)", "CHAR(3)"}, {"CHAR(85)", "CHAR(255)"}, {"CHAR(255)", "VARCHAR(765)"}, {"VARCHAR(200)", "VARCHAR(600)"},
		{"VARCHAR(32672)", "STRING"}, {"LONG VARCHAR", "STRING"},
		{"GRAPHIC(10)", "CHAR(30)"}, {"VARGRAPHIC(100)", "VARCHAR(300)"},
		{"CLOB", "STRING"}, {"DBCLOB", "STRING"}, {"BLOB", "STRING"}, {"XML", "STRING"}, {"VARCHAR(16) FOR BIT DATA", "STRING"},
	})
}

func TestMapMongoDB(t *testing.T) {
	checkMappings(t, SourceMongoDB, MapOptions{}, []mapCase{
		{"double", "DOUBLE"}, {"int", "INT"}, {"long", "BIGINT"}, {"decimal(10,5)", "DECIMAL(10,5)"}, {"decimal", "STRING"},
		{"decimal(40,2)", "STRING"}, {"bool", "BOOLEAN"}, {"date", "DATETIME(3)"}, {"timestamp", "DATETIME"},
		{"objectId", "VARCHAR(36)"}, {"string", "STRING"}, {"object", "JSON"}, {"array", "JSON"},
		{"binData", "STRING"}, {"regex", "STRING"}, {"javascript", "STRING"}, {"null", "STRING"}, {"mixed", "STRING"},
	})
}

func TestMapUnknownTypesWarn(t *testing.T) {
	for _, src := range []Source{SourceMySQL, SourcePostgres, SourceSQLServer, SourceOracle, SourceDB2, SourceMongoDB} {
		m := MapType(src, schema.SourceType{Name: "no_such_type"}, MapOptions{})
		if m.Type.Kind != KindString {
			t.Errorf("%s: unknown type mapped to %s", src, m.Type)
		}
		if !strings.Contains(m.Warning, "no_such_type") || !strings.Contains(m.Warning, "STRING") {
			t.Errorf("%s: warning %q does not name the type and the fallback", src, m.Warning)
		}
	}
	m := MapType("informix", schema.SourceType{Name: "int"}, MapOptions{})
	if m.Type.Kind != KindString || m.Warning == "" {
		t.Errorf("unknown source: got %s %q", m.Type, m.Warning)
	}
	m = MapType(SourceMySQL, schema.SourceType{Name: "enum"}, MapOptions{})
	if m.Type.Kind != KindString || m.Warning == "" {
		t.Errorf("enum without labels: got %s %q", m.Type, m.Warning)
	}
}
