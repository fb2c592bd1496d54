package ddl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Property is one k=v entry, kept in the order given.
type Property struct {
	Key, Value string
}

// BucketRule is one table-buckets entry: a Doris table name or full-match regex and its
// bucket count.
type BucketRule struct {
	Pattern string
	Buckets int
	re      *regexp.Regexp
}

// PartitionRule is one table-partitions entry: auto range partitioning of a table by
// date_trunc(column, interval).
type PartitionRule struct {
	Table    string
	Column   string
	Interval string
}

// TableConf is the parsed --table-conf map.
type TableConf struct {
	Buckets         []BucketRule
	Partitions      []PartitionRule
	ConvertUniqToPK bool
	Decimal256      bool
	// Properties are the remaining keys, in the order given: they go to PROPERTIES
	// verbatim (the planner adds light_schema_change=true when it is absent).
	Properties []Property
}

// Keys of --table-conf that configure doris-sync rather than the Doris table.
const (
	ConfTableBuckets    = "table-buckets"
	ConfTablePartitions = "table-partitions"
	ConfConvertUniqToPK = "convert-uniq-to-pk"
	ConfDecimal256      = "enable-decimal256"
)

// partitionIntervals are the date_trunc units Doris auto partitioning accepts.
var partitionIntervals = map[string]bool{
	"year": true, "quarter": true, "month": true, "week": true, "day": true, "hour": true,
	"minute": true, "second": true,
}

// ParseTableConf reads --table-conf entries in the order given. A key given twice keeps
// its first position and its last value.
func ParseTableConf(entries []Property) (TableConf, error) {
	var c TableConf
	for _, e := range entries {
		key, value := strings.TrimSpace(e.Key), strings.TrimSpace(e.Value)
		if key == "" {
			return TableConf{}, fmt.Errorf("--table-conf: empty key")
		}
		if err := c.set(key, value); err != nil {
			return TableConf{}, fmt.Errorf("--table-conf %s: %w", key, err)
		}
	}
	return c, nil
}

// CheckTableConfEntry checks one --table-conf entry the way ParseTableConf reads it.
// The error says what is wrong with the value without repeating the key, for callers
// that name the entry themselves.
func CheckTableConfEntry(key, value string) error {
	var c TableConf
	return c.set(strings.TrimSpace(key), strings.TrimSpace(value))
}

func (c *TableConf) set(key, value string) error {
	var err error
	switch key {
	case ConfTableBuckets:
		c.Buckets, err = parseBuckets(value)
	case ConfTablePartitions:
		c.Partitions, err = parsePartitions(value)
	case ConfConvertUniqToPK:
		c.ConvertUniqToPK, err = parseBool(value)
	case ConfDecimal256:
		c.Decimal256, err = parseBool(value)
	default:
		c.Properties = setProperty(c.Properties, key, value)
	}
	return err
}

// IsTableConfKey reports whether a --table-conf key configures doris-sync rather than
// being a Doris table property.
func IsTableConfKey(key string) bool {
	switch key {
	case ConfTableBuckets, ConfTablePartitions, ConfConvertUniqToPK, ConfDecimal256:
		return true
	}
	return false
}

// tableProperties are the PROPERTIES of a new table: the given ones in order, then
// light_schema_change=true unless given (RENAME COLUMN and fast ADD/DROP COLUMN need it).
func (c *TableConf) tableProperties() []Property {
	props := append([]Property(nil), c.Properties...)
	for _, p := range props {
		if p.Key == "light_schema_change" {
			return props
		}
	}
	return append(props, Property{Key: "light_schema_change", Value: "true"})
}

func setProperty(props []Property, key, value string) []Property {
	for i := range props {
		if props[i].Key == key {
			props[i].Value = value
			return props
		}
	}
	return append(props, Property{Key: key, Value: value})
}

func parseBool(value string) (bool, error) {
	switch strings.ToLower(value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q: want true or false", value)
}

// parseBuckets reads "name:N,regex:N,…".
func parseBuckets(value string) ([]BucketRule, error) {
	var rules []BucketRule
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndexByte(item, ':')
		if i < 0 {
			return nil, fmt.Errorf("%q is not table:buckets", item)
		}
		pattern, count := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
		n, err := strconv.Atoi(count)
		if err != nil {
			return nil, fmt.Errorf("%q: %q is not a number", item, count)
		}
		if n <= 0 {
			return nil, fmt.Errorf("%q: The number of buckets must be positive", item)
		}
		if pattern == "" {
			return nil, fmt.Errorf("%q has no table name", item)
		}
		re, err := fullMatch("table name pattern", pattern)
		if err != nil {
			return nil, err
		}
		rules = append(rules, BucketRule{Pattern: pattern, Buckets: n, re: re})
	}
	return rules, nil
}

// parsePartitions reads "table:column:interval,…".
func parsePartitions(value string) ([]PartitionRule, error) {
	var rules []PartitionRule
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%q is not table:column:interval", item)
		}
		r := PartitionRule{
			Table:    strings.TrimSpace(parts[0]),
			Column:   strings.TrimSpace(parts[1]),
			Interval: strings.ToLower(strings.TrimSpace(parts[2])),
		}
		if r.Table == "" || r.Column == "" {
			return nil, fmt.Errorf("%q is not table:column:interval", item)
		}
		if !partitionIntervals[r.Interval] {
			return nil, fmt.Errorf("%q: interval %q is not one of year, quarter, month, week, day, hour, minute, second", item, r.Interval)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// BucketsFor returns the bucket count for a Doris table: the rule whose name equals the
// table, else the first rule (in the given order) whose regex matches it, else 0
// (BUCKETS AUTO).
func (c *TableConf) BucketsFor(table string) int {
	for _, r := range c.Buckets {
		if r.Pattern == table {
			return r.Buckets
		}
	}
	for _, r := range c.Buckets {
		if r.re.MatchString(table) {
			return r.Buckets
		}
	}
	return 0
}

// PartitionFor returns the partition rule for a table: one naming the Doris table, else
// one naming the source table (users write either; the anchor only honoured the Doris
// name, issue #632).
func (c *TableConf) PartitionFor(dorisTable, sourceTable string) (PartitionRule, bool) {
	for _, r := range c.Partitions {
		if r.Table == dorisTable {
			return r, true
		}
	}
	for _, r := range c.Partitions {
		if r.Table == sourceTable {
			return r, true
		}
	}
	return PartitionRule{}, false
}
