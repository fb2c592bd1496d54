package ddl

import (
	"errors"
	"fmt"
)

// AddColumnSQL returns ALTER TABLE … ADD COLUMN for c, placed after the named column
// (after == "": at the end).
func AddColumnSQL(db, table string, c Column, after string) string {
	s := "ALTER TABLE " + QuoteTable(db, table) + " ADD COLUMN " + c.Definition()
	if after != "" {
		s += " AFTER " + Quote(after)
	}
	return s
}

// DropColumnSQL returns ALTER TABLE … DROP COLUMN.
func DropColumnSQL(db, table, column string) string {
	return "ALTER TABLE " + QuoteTable(db, table) + " DROP COLUMN " + Quote(column)
}

// RenameColumnSQL returns ALTER TABLE … RENAME COLUMN old new (Doris has no TO).
func RenameColumnSQL(db, table, oldName, newName string) string {
	return "ALTER TABLE " + QuoteTable(db, table) + " RENAME COLUMN " + Quote(oldName) + " " + Quote(newName)
}

// NotAllowedError says a column change cannot be made in Doris.
type NotAllowedError struct {
	Column string
	From   string // the column's current definition (type, nullability, default)
	To     string
	Reason string
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("changing column %q from %s to %s is not allowed in Doris: %s", e.Column, e.From, e.To, e.Reason)
}

// ErrNothingChanged is returned for a MODIFY COLUMN that would change nothing (Doris
// answers "Nothing is changed. please check your alter stmt.").
var ErrNothingChanged = errors.New("nothing is changed")

// ModifyColumnSQL returns ALTER TABLE … MODIFY COLUMN turning column from into to. Only
// the changes Doris allows (reference/doris-behaviour.md §7.1) are accepted; any other
// is a *NotAllowedError. The statement restates the whole definition, as Doris requires,
// with KEY for key columns.
func ModifyColumnSQL(db, table string, from, to Column) (string, error) {
	if err := CheckModify(from, to); err != nil {
		return "", err
	}
	def := to.Definition()
	if to.Key {
		// `name` TYPE KEY NULL … : KEY goes right after the type.
		name := Quote(to.Name) + " " + to.Type.String()
		def = name + " KEY" + def[len(name):]
	}
	return "ALTER TABLE " + QuoteTable(db, table) + " MODIFY COLUMN " + def, nil
}

// CheckModify reports whether Doris can change column from into to.
func CheckModify(from, to Column) error {
	notAllowed := func(reason string) error {
		return &NotAllowedError{Column: from.Name, From: describe(from), To: describe(to), Reason: reason}
	}
	switch {
	case from.Name != to.Name:
		return notAllowed("MODIFY COLUMN cannot rename; use RENAME COLUMN")
	case from.Key != to.Key:
		return notAllowed("a column cannot move into or out of the key")
	case from.Nullable && !to.Nullable:
		return notAllowed("Can not change from nullable to non-nullable")
	case !sameDefault(from.Default, to.Default):
		return notAllowed("Can not change default value")
	}
	if reason := typeChangeNotAllowed(from.Type, to.Type); reason != "" {
		return notAllowed(reason)
	}
	if from.Type.Equal(to.Type) && from.Nullable == to.Nullable && from.Comment == to.Comment {
		return ErrNothingChanged
	}
	return nil
}

func describe(c Column) string {
	s := c.Type.String()
	if !c.Nullable {
		s += " NOT NULL"
	}
	if c.Default != nil {
		s += " DEFAULT " + c.Default.SQL()
	}
	return s
}

func sameDefault(a, b *Default) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// typeChangeNotAllowed applies Doris's schema-change matrix (ColumnType
// schemaChangeMatrix plus Column.checkSchemaChangeAllowed), limited to changes that
// keep every value: "" when from can become to.
func typeChangeNotAllowed(from, to Type) string {
	if from.Equal(to) {
		return ""
	}
	cannot := "Can not change " + from.String() + " to " + to.String()
	switch {
	case to.Kind == KindString:
		switch from.Kind {
		case KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindLargeInt, KindFloat, KindDouble,
			KindDecimal, KindChar, KindVarchar, KindJSON:
			return ""
		}
		return cannot
	case from.IsInteger():
		switch {
		case to.IsInteger() && to.Kind > from.Kind, to.Kind == KindFloat, to.Kind == KindDouble:
			return ""
		case to.Kind == KindDate && from.Kind == KindInt:
			return ""
		case to.Kind == KindVarchar:
			return widerText(from, to)
		}
		return cannot
	case from.Kind == KindFloat:
		switch to.Kind {
		case KindDouble:
			return ""
		case KindVarchar:
			return widerText(from, to)
		}
		return cannot
	case from.Kind == KindDouble:
		if to.Kind == KindVarchar {
			return widerText(from, to)
		}
		return cannot
	case from.Kind == KindDecimal:
		switch to.Kind {
		case KindVarchar:
			return ""
		case KindDecimal:
			if to.Scale == from.Scale && to.Precision >= from.Precision {
				return ""
			}
			return cannot + ": only the precision may grow, with the same scale"
		}
		return cannot
	case from.Kind == KindChar || from.Kind == KindVarchar:
		switch {
		case to.IsInteger(), to.Kind == KindFloat, to.Kind == KindDouble, to.Kind == KindDate:
			return ""
		case to.Kind == KindVarchar || (to.Kind == KindChar && from.Kind == KindChar):
			if to.Length < from.Length {
				return fmt.Sprintf("Shorten type length is prohibited, srcType=%s, dstType=%s", from, to)
			}
			return ""
		case to.Kind == KindJSON && from.Kind == KindVarchar:
			return ""
		}
		return cannot
	case from.Kind == KindDate:
		if to.Kind == KindDateTime {
			return ""
		}
		return cannot
	case from.Kind == KindDateTime:
		switch to.Kind {
		case KindDate:
			return ""
		case KindDateTime:
			if to.Scale >= from.Scale {
				return ""
			}
			return cannot + ": fractional seconds would be lost"
		}
		return cannot
	}
	return cannot
}

// widerText checks a numeric → VARCHAR change leaves room for every value's text.
func widerText(from, to Type) string {
	if to.Length < from.textSize() {
		return fmt.Sprintf("Can not change from wider type %s to narrower type %s", from, to)
	}
	return ""
}
