package doris

import (
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// resultCol is a result-set column: its name and MySQL field type.
type resultCol struct {
	name  string
	ftype byte
}

// queryResult is what a statement returns: rows (cols != nil) or an OK packet.
type queryResult struct {
	cols     []resultCol
	rows     [][]Value
	affected uint64
}

func resStrCols(names ...string) []resultCol {
	out := make([]resultCol, len(names))
	for i, n := range names {
		out[i] = resultCol{name: n, ftype: mysql.MYSQL_TYPE_VAR_STRING}
	}
	return out
}

func resStr(s string) Value { return Value{S: s} }
func resInt(n int64) Value  { return Value{S: strconv.FormatInt(n, 10)} }
func resNull() Value        { return Value{Null: true} }
func resBool(b bool) Value  { return resStr(strconv.FormatBool(b)) }

// resOptStr is NULL for an empty string.
func resOptStr(s string) Value {
	if s == "" {
		return resNull()
	}
	return resStr(s)
}

// fieldTypeOf maps a Doris column type to the MySQL field type Doris reports for it.
func fieldTypeOf(t Type) byte {
	switch t.Kind {
	case KindBoolean, KindTinyInt:
		return mysql.MYSQL_TYPE_TINY
	case KindSmallInt:
		return mysql.MYSQL_TYPE_SHORT
	case KindInt:
		return mysql.MYSQL_TYPE_LONG
	case KindBigInt:
		return mysql.MYSQL_TYPE_LONGLONG
	case KindFloat:
		return mysql.MYSQL_TYPE_FLOAT
	case KindDouble:
		return mysql.MYSQL_TYPE_DOUBLE
	case KindDecimal:
		return mysql.MYSQL_TYPE_NEWDECIMAL
	case KindDate:
		return mysql.MYSQL_TYPE_DATE
	case KindDateTime:
		return mysql.MYSQL_TYPE_DATETIME
	}
	return mysql.MYSQL_TYPE_VAR_STRING
}

func isNumericField(ft byte) bool {
	switch ft {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONGLONG,
		mysql.MYSQL_TYPE_FLOAT, mysql.MYSQL_TYPE_DOUBLE, mysql.MYSQL_TYPE_NEWDECIMAL:
		return true
	}
	return false
}

// encode renders the result for the text protocol (COM_QUERY) or, with binary, for
// COM_STMT_EXECUTE, where every column is sent as a length-encoded string.
func (r *queryResult) encode(binary bool) *mysql.Result {
	if r == nil || r.cols == nil {
		return &mysql.Result{AffectedRows: r.affectedRows()}
	}
	rs := &mysql.Resultset{FieldNames: map[string]int{}}
	for i, c := range r.cols {
		f := &mysql.Field{Name: []byte(c.name), Type: c.ftype, Charset: 33, ColumnLength: 255}
		if binary {
			f.Type = mysql.MYSQL_TYPE_VAR_STRING
		} else if isNumericField(c.ftype) {
			f.Charset = 63
			f.Flag = mysql.BINARY_FLAG
			f.ColumnLength = 20
		}
		rs.Fields = append(rs.Fields, f)
		rs.FieldNames[c.name] = i
	}
	for _, row := range r.rows {
		var data []byte
		if binary {
			bitmap := make([]byte, (len(r.cols)+7+2)>>3)
			for j, v := range row {
				if v.Null {
					bitmap[(j+2)/8] |= 1 << (uint(j+2) % 8)
				}
			}
			data = append(data, 0)
			data = append(data, bitmap...)
			for _, v := range row {
				if !v.Null {
					data = append(data, mysql.PutLengthEncodedString([]byte(v.S))...)
				}
			}
		} else {
			for _, v := range row {
				if v.Null {
					data = append(data, 0xfb)
				} else {
					data = append(data, mysql.PutLengthEncodedString([]byte(v.S))...)
				}
			}
		}
		rs.RowDatas = append(rs.RowDatas, data)
	}
	return &mysql.Result{Resultset: rs}
}

func (r *queryResult) affectedRows() uint64 {
	if r == nil {
		return 0
	}
	return r.affected
}
