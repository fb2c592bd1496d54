package ddl

import (
	"fmt"
	"strings"
)

// ExistingColumn is a column of a Doris table as DESC or information_schema.columns
// shows it.
type ExistingColumn struct {
	Name     string
	Type     string // Doris spelling, any version ("varchar(20)", "DECIMALV3(9, 0)", "datetime")
	Nullable bool
	Key      bool
}

// ExistingTable is a Doris table that already exists.
type ExistingTable struct {
	Model   Model // ModelUnknown when not read
	Columns []ExistingColumn
}

// Incompatibility is a difference between an existing Doris table and the plan that
// doris-sync cannot fix by adding columns.
type Incompatibility struct {
	Column string // empty for table-level differences
	Reason string
}

func (i Incompatibility) String() string {
	if i.Column == "" {
		return i.Reason
	}
	return fmt.Sprintf("column %q: %s", i.Column, i.Reason)
}

// Diff is the result of comparing an existing Doris table with the plan.
type Diff struct {
	// Missing are planned columns the table lacks, as they can be added: nullable, with
	// the planned default. After is the existing column each one goes after.
	Missing      []MissingColumn
	Incompatible []Incompatibility
}

// MissingColumn is a planned column to add.
type MissingColumn struct {
	Column Column
	After  string
}

// AddColumnStatements returns the ALTER TABLE … ADD COLUMN statements for the missing
// columns, in plan order.
func (d Diff) AddColumnStatements(db, table string) []string {
	out := make([]string, len(d.Missing))
	for i, m := range d.Missing {
		out[i] = AddColumnSQL(db, table, m.Column, m.After)
	}
	return out
}

// Diff compares an existing Doris table with the plan. A planned column the table
// lacks is Missing (to be added) unless it is in a UNIQUE KEY; an existing column that
// cannot hold every value of the planned type, a NOT NULL column the source may fill
// with NULL, or a different key model or key is Incompatible. Columns only Doris has
// are left alone: rows are loaded by column name.
func (p *TablePlan) Diff(existing ExistingTable) Diff {
	var d Diff
	if existing.Model != ModelUnknown && existing.Model != p.Model {
		d.Incompatible = append(d.Incompatible, Incompatibility{Reason: fmt.Sprintf(
			"the Doris table is %s KEY but the source needs %s KEY (%s)", existing.Model, p.Model, modelConsequence(p.Model))})
	}
	byName := make(map[string]ExistingColumn, len(existing.Columns))
	for _, c := range existing.Columns {
		byName[strings.ToLower(c.Name)] = c
	}
	if existing.Model == ModelUnique && p.Model == ModelUnique {
		var have []string
		for _, c := range existing.Columns {
			if c.Key {
				have = append(have, c.Name)
			}
		}
		if !sameNames(have, p.Keys) {
			d.Incompatible = append(d.Incompatible, Incompatibility{Reason: fmt.Sprintf(
				"the Doris UNIQUE KEY is (%s) but the source key is (%s)", strings.Join(have, ", "), strings.Join(p.Keys, ", "))})
		}
	}
	after := ""
	for _, c := range p.Columns {
		ec, ok := byName[strings.ToLower(c.Name)]
		if !ok {
			if c.Key && p.Model == ModelUnique {
				d.Incompatible = append(d.Incompatible, Incompatibility{Column: c.Name, Reason: "key column missing from the Doris table; key columns cannot be added"})
				continue
			}
			add := c
			add.Key = false     // a DUPLICATE sort-key column is added as a value column
			add.Nullable = true // existing rows have no value for it
			d.Missing = append(d.Missing, MissingColumn{Column: add, After: after})
			after = c.Name
			continue
		}
		after = ec.Name
		et, err := ParseType(ec.Type)
		if err != nil {
			d.Incompatible = append(d.Incompatible, Incompatibility{Column: c.Name, Reason: err.Error()})
			continue
		}
		if reason := holds(et, c.Type); reason != "" {
			d.Incompatible = append(d.Incompatible, Incompatibility{Column: c.Name, Reason: fmt.Sprintf(
				"the Doris column is %s but the source needs %s: %s", et, c.Type, reason)})
		}
		if c.Nullable && !ec.Nullable {
			d.Incompatible = append(d.Incompatible, Incompatibility{Column: c.Name, Reason: "the Doris column is NOT NULL but the source column can be NULL"})
		}
	}
	return d
}

func modelConsequence(planned Model) string {
	if planned == ModelUnique {
		return "updates and deletes would add rows instead of replacing them"
	}
	return "rows with equal key values would replace each other"
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// intDigits is the number of decimal digits of the largest value of an integer kind.
var intDigits = map[Kind]int{KindBoolean: 1, KindTinyInt: 3, KindSmallInt: 5, KindInt: 10, KindBigInt: 19, KindLargeInt: 39}

// holds returns "" when every value of type want can be stored in a column of type
// have, else why not.
func holds(have, want Type) string {
	if have.Equal(want) || have.Kind == KindString && want.Kind != KindArray {
		return ""
	}
	switch want.Kind {
	case KindBoolean, KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindLargeInt:
		switch {
		case have.IsInteger() && have.Kind >= want.Kind, have.Kind == KindLargeInt:
			return ""
		case want.Kind == KindBoolean && have.IsInteger():
			return ""
		case have.Kind == KindDecimal && have.Precision-have.Scale >= intDigits[want.Kind]:
			return ""
		case have.Kind == KindDouble && want.Kind <= KindInt, have.Kind == KindFloat && want.Kind <= KindSmallInt:
			return ""
		case (have.Kind == KindVarchar || have.Kind == KindChar) && have.Length >= want.textSize():
			return ""
		}
		return "values would overflow or be rounded"
	case KindFloat:
		if have.Kind == KindDouble {
			return ""
		}
		return "values would be rounded"
	case KindDecimal:
		if have.Kind == KindDecimal && have.Scale >= want.Scale && have.Precision-have.Scale >= want.Precision-want.Scale {
			return ""
		}
		if have.Kind == KindVarchar && have.Length >= want.textSize() {
			return ""
		}
		return "values would overflow or be rounded"
	case KindDate:
		if have.Kind == KindDateTime || (have.Kind == KindVarchar && have.Length >= want.textSize()) {
			return ""
		}
		return "dates would not fit"
	case KindDateTime:
		if have.Kind == KindDateTime && have.Scale >= want.Scale {
			return ""
		}
		if have.Kind == KindVarchar && have.Length >= want.textSize() {
			return ""
		}
		return "fractional seconds would be lost or values would not fit"
	case KindChar, KindVarchar:
		if (have.Kind == KindVarchar || have.Kind == KindChar) && have.Length >= want.Length {
			return ""
		}
		if have.Kind == KindVarchar || have.Kind == KindChar {
			return "too short; widen it with ALTER TABLE … MODIFY COLUMN"
		}
		return "text would not fit"
	case KindString:
		return "values may be longer than the column allows"
	case KindJSON:
		return "JSON values need a JSON or STRING column"
	}
	return "the types differ"
}
