package encode

import (
	"math"
	"reflect"

	"github.com/doris-sync/doris-sync/schema"
)

// ValueError says which column refused which value; it is built only on failure.
type ValueError struct {
	Column string
	Type   string // the column's Doris type text
	Value  string // a short description of the Go value (its type, never its content)
	Reason string
}

func (e *ValueError) Error() string {
	return "column " + e.Column + " (" + e.Type + "): cannot encode " + e.Value + ": " + e.Reason
}

func valueError(col *column, v any, reason string) error {
	return &ValueError{Column: col.name, Type: col.typ.Text, Value: reflect.TypeOf(v).String(), Reason: reason}
}

// unsupported explains a value of no type the encoder takes. schema.Unchanged gets its
// own reason: it is not a value, and writing anything for it would overwrite the one
// Doris has.
func unsupported(col *column, v any) error {
	if schema.IsUnchanged(v) {
		return &ValueError{Column: col.name, Type: col.typ.Text, Value: "schema.Unchanged",
			Reason: "the source did not send this value (it is unchanged), so only a partial-column update of the other columns may load the row"}
	}
	return valueError(col, v, "unsupported Go type")
}

// nonFinite returns the text Doris parses back into NaN or ±Inf ("nan", "inf", "-inf").
func nonFinite(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case f > 0:
		return "inf"
	}
	return "-inf"
}

// normalize maps values outside the core set (named string types such as a schema
// package's decimal or JSON text, other integer/float widths) onto it. Only values that
// missed the fast type switch pay for the reflection.
func normalize(v any) (any, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), true
	case reflect.Float32:
		return float32(rv.Float()), true
	case reflect.Float64:
		return rv.Float(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), true
		}
	}
	return nil, false
}
