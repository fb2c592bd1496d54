package ddl

import (
	"strconv"
	"strings"
)

// CreateDatabaseSQL returns CREATE DATABASE IF NOT EXISTS `db`.
func CreateDatabaseSQL(db string) string {
	return "CREATE DATABASE IF NOT EXISTS " + Quote(db)
}

// Definition renders the column as CREATE TABLE and ALTER TABLE take it:
// `name` TYPE NULL|NOT NULL [DEFAULT v] [COMMENT 'c'].
func (c Column) Definition() string {
	var b strings.Builder
	b.WriteString(Quote(c.Name))
	b.WriteByte(' ')
	b.WriteString(c.Type.String())
	if c.Nullable {
		b.WriteString(" NULL")
	} else {
		b.WriteString(" NOT NULL")
	}
	if c.Default != nil {
		b.WriteString(" DEFAULT ")
		b.WriteString(c.Default.SQL())
	}
	if c.Comment != "" {
		b.WriteString(" COMMENT ")
		b.WriteString(QuoteString(c.Comment))
	}
	return b.String()
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return strings.Join(q, ", ")
}

// CreateTableSQL renders the plan as one CREATE TABLE IF NOT EXISTS statement:
//
//	CREATE TABLE IF NOT EXISTS `db`.`t` (
//	  `id` BIGINT NOT NULL COMMENT 'order id',
//	  `note` VARCHAR(1020) NULL
//	)
//	UNIQUE KEY(`id`)
//	COMMENT 'orders'
//	DISTRIBUTED BY HASH(`id`) BUCKETS AUTO
//	PROPERTIES (
//	  'light_schema_change' = 'true'
//	)
func (p *TablePlan) CreateTableSQL() string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(QuoteTable(p.Database, p.Table))
	b.WriteString(" (\n")
	for i, c := range p.Columns {
		b.WriteString("  ")
		b.WriteString(c.Definition())
		if i < len(p.Columns)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")\n")
	b.WriteString(p.Model.String())
	b.WriteString(" KEY(")
	b.WriteString(quoteList(p.Keys))
	b.WriteString(")\n")
	if p.Comment != "" {
		b.WriteString("COMMENT ")
		b.WriteString(QuoteString(p.Comment))
		b.WriteByte('\n')
	}
	if p.Partition != nil {
		b.WriteString("AUTO PARTITION BY RANGE (date_trunc(")
		b.WriteString(Quote(p.Partition.Column))
		b.WriteString(", ")
		b.WriteString(QuoteString(p.Partition.Interval))
		b.WriteString(")) ()\n")
	}
	b.WriteString("DISTRIBUTED BY HASH(")
	b.WriteString(quoteList(p.DistributedBy))
	b.WriteString(") BUCKETS ")
	if p.Buckets > 0 {
		b.WriteString(strconv.Itoa(p.Buckets))
	} else {
		b.WriteString("AUTO")
	}
	if len(p.Properties) > 0 {
		b.WriteString("\nPROPERTIES (\n")
		for i, prop := range p.Properties {
			b.WriteString("  ")
			b.WriteString(QuoteString(prop.Key))
			b.WriteString(" = ")
			b.WriteString(QuoteString(prop.Value))
			if i < len(p.Properties)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteByte(')')
	}
	return b.String()
}
