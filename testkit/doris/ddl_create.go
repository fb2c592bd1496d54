package doris

import (
	"sort"
	"strconv"
	"strings"
)

// Doris's default short key: at most 3 columns and 36 bytes (FeConstants).
const (
	ddlShortKeyMaxColumns = 3
	ddlShortKeyMaxBytes   = 36
	ddlDefaultBuckets     = 10
	ddlBackends           = 1
)

// Identifier patterns as Doris prints them in errors (FeNameFormat).
const (
	ddlTableNamePattern  = `^[a-zA-Z][a-zA-Z0-9-_]*$`
	ddlColumnNamePattern = `^[_a-zA-Z@0-9\s/][.a-zA-Z0-9_+-/?@#$%^&*"\s,:]{0,255}$`
)

// ddlKnownProps are the table properties Doris accepts; anything else is rejected
// with "Unknown properties: {k=v}" as InternalCatalog does.
var ddlKnownProps = map[string]bool{
	"replication_num": true, "replication_allocation": true, "min_load_replica_num": true,
	"light_schema_change": true, "enable_unique_key_merge_on_write": true,
	"function_column.sequence_col": true, "function_column.sequence_type": true,
	"compression": true, "store_row_column": true, "row_store_columns": true, "row_store_page_size": true,
	"enable_unique_key_skip_bitmap_column": true, "group_commit_interval_ms": true,
	"group_commit_data_bytes": true, "bloom_filter_columns": true, "bloom_filter_fpp": true,
	"storage_medium": true, "storage_cooldown_time": true, "storage_policy": true, "storage_format": true,
	"inverted_index_storage_format": true, "disable_auto_compaction": true, "compaction_policy": true,
	"enable_single_replica_compaction": true, "enable_duplicate_without_keys_by_default": true,
	"estimate_partition_size": true, "is_being_synced": true, "in_memory": true,
	"skip_write_index_on_load": true, "enable_mow_light_delete": true, "colocate_with": true,
	"short_key": true, "storage_page_size": true, "storage_dict_page_size": true,
	"variant_enable_flatten_nested": true, "file_cache_ttl_seconds": true, "partition.retention_count": true,
	"enable_light_delete": true, "data_sort.sort_type": true, "data_sort.col_num": true,
	"auto_bucket": true, "tablet_type": true, "storage_vault_name": true,
}

var ddlKnownPropPrefixes = []string{"dynamic_partition.", "binlog.", "time_series_compaction_"}

func ddlIsKnownProperty(k string) bool {
	if ddlKnownProps[k] {
		return true
	}
	for _, p := range ddlKnownPropPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func (m *mysqlSession) execCreateTable(p *sqlParser) (*queryResult, error) {
	ct, err := parseCreateTable(p, m.sessionBool("enable_decimal256"))
	if err != nil {
		return nil, err
	}
	db, err := m.dbOrCurrent(ct.db)
	if err != nil {
		return nil, err
	}
	ct.db = db
	s := m.s
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	t, err := ddlBuildTable(s, ct)
	if err != nil {
		return nil, err
	}
	d, err := m.lookupDB(db)
	if err != nil {
		return nil, err
	}
	if d.Tables[ct.name] != nil {
		if ct.ifNotExists {
			return &queryResult{}, nil
		}
		return nil, dorisErr("Table '%s' already exists", ct.name)
	}
	if err := ddlCheckDistributionKeys(ct, t); err != nil {
		return nil, err
	}
	if err := ddlApplyCreateProperties(ct, t); err != nil {
		return nil, err
	}
	d.Tables[ct.name] = t
	x := s.mysql.extra(t)
	x.created = s.now()
	x.partCols = ddlCanonicalNames(t, ct.partCols)
	for _, idx := range ct.indexes {
		x.indexes = append(x.indexes, idx.text)
	}
	for _, c := range ct.cols {
		if c.autoInc {
			x.autoIncStart[strings.ToLower(c.name)] = c.autoStart
		}
		if c.onUpdate != "" {
			x.onUpdate[strings.ToLower(c.name)] = c.onUpdate
		}
	}
	return &queryResult{}, nil
}

// ddlBuildTable runs Doris's CREATE TABLE analysis (CreateTableInfo.validate, in its order)
// and returns the table definition. Caller holds Catalog.Mu.
func ddlBuildTable(s *Server, ct *ddlCreateTable) (*Table, error) {
	if ct.engine != "" && !strings.EqualFold(ct.engine, "olap") {
		return nil, dorisErr("Do not support table with engine name = %s", strings.ToLower(ct.engine))
	}
	if !tableNameRE.MatchString(ct.name) {
		return nil, dorisErr("Incorrect table name '%s'. Table name regex is '%s'", ct.name, ddlTableNamePattern)
	}
	if len(ct.name) > MaxTableNameLen {
		return nil, dorisErr("Table name length exceeds limit, the length of table name '%s' is %d which is greater than the configuration 'table_name_length_limit' (%d).", ct.name, len(ct.name), MaxTableNameLen)
	}
	if _, err := lookupDatabase(s.Catalog, ct.db); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, c := range ct.cols {
		if IsHiddenColumn(c.name) {
			return nil, dorisErr("Disable to create table column with name start with __DORIS_: %s", strings.ToUpper(c.name))
		}
		if seen[strings.ToLower(c.name)] {
			return nil, dorisErrCode(1060, "42S21", "Duplicate column name '%s'", c.name)
		}
		seen[strings.ToLower(c.name)] = true
	}

	keysType := DupKeys
	switch ct.keysType {
	case "UNIQUE":
		keysType = UniqueKeys
	case "AGGREGATE":
		keysType = AggKeys
	}
	withoutKeys := false
	if v, ok := sqlGetProp(ct.props, "enable_duplicate_without_keys_by_default"); ok {
		b, valid := sqlParseBool(v)
		if !valid || v == "1" || v == "0" {
			return nil, dorisErr("enable_duplicate_without_keys_by_default must be `true` or `false`")
		}
		withoutKeys = b
	}
	keys := ct.keys
	if ct.keysType == "" {
		keys, keysType = ddlDefaultKeys(ct.cols, withoutKeys)
		if len(keys) == 0 && (keysType != DupKeys || !withoutKeys) {
			return nil, dorisErr("The olap table first column could not be float, double, string or array, struct, map, please use decimal or varchar instead.")
		}
	} else if withoutKeys {
		return nil, dorisErr("table property 'enable_duplicate_without_keys_by_default' only can set 'true' when create olap table by default.")
	}
	if _, ok := sqlGetProp(ct.props, "enable_unique_key_merge_on_write"); ok && keysType != UniqueKeys {
		return nil, dorisErr("enable_unique_key_merge_on_write property only support unique key table")
	}
	mow := false
	if keysType == UniqueKeys {
		mow = true // the default since Doris 2.1
		if v, ok := sqlGetProp(ct.props, "enable_unique_key_merge_on_write"); ok {
			switch strings.ToLower(v) {
			case "true":
			case "false":
				mow = false
			default:
				return nil, dorisErr("enable_unique_key_merge_on_write must be `true` or `false`")
			}
		}
	}
	if err := ddlValidateKeys(ct.cols, keys, keysType); err != nil {
		return nil, err
	}
	if err := ddlCheckPartitionColumns(ct, len(keys), keysType); err != nil {
		return nil, err
	}
	if err := ddlCheckDistributionDesc(ct, keysType); err != nil {
		return nil, err
	}

	t := &Table{DB: ct.db, Name: ct.name, Keys: keysType, KeyCount: len(keys), MergeOnWrite: mow,
		LightSchema: true, Comment: ct.comment, PartitionSQL: ct.partition, Properties: ct.props,
		DistRandom: !ct.distHash, Buckets: int(ct.buckets)}
	if !ct.distSet || ct.buckets < 0 {
		t.Buckets = 0 // BUCKETS AUTO; no DISTRIBUTED clause is RANDOM BUCKETS AUTO in Doris 2.1
	}
	autoIncs := 0
	for i, c := range ct.cols {
		col, err := ddlColumnFromDef(c, i < len(keys), keysType)
		if err != nil {
			return nil, err
		}
		if c.autoInc {
			autoIncs++
			if autoIncs > 1 {
				return nil, dorisErr("there can be at most one auto increment column in OlapTable.")
			}
			if keysType == AggKeys {
				return nil, dorisErr("the auto increment is only supported in duplicate table and unique table.")
			}
		}
		t.Columns = append(t.Columns, col)
	}
	for _, idx := range ct.indexes {
		for _, ic := range idx.cols {
			if t.ColumnIndex(ic) < 0 {
				return nil, dorisErr("Column does not exist in table. invalid column: %s", ic)
			}
		}
	}
	if ct.distHash {
		t.DistCols = ddlCanonicalNames(t, ct.distCols)
	}
	return t, nil
}

// ddlDefaultKeys is Doris's key choice when CREATE TABLE has no KEY clause: the columns
// before the first aggregated one (AGGREGATE), else up to 3 leading columns within
// 36 bytes, stopping at float/string/json/complex types and after the first VARCHAR.
func ddlDefaultKeys(cols []*ddlColumnDef, withoutKeys bool) ([]string, KeysType) {
	var keys []string
	for _, c := range cols {
		if c.agg != "" {
			for _, k := range cols {
				if k.agg != "" {
					break
				}
				keys = append(keys, k.name)
			}
			return keys, AggKeys
		}
	}
	if withoutKeys {
		return nil, DupKeys
	}
	size := 0
	for _, c := range cols {
		size += ddlShortKeySize(c.typ)
		if len(keys) >= ddlShortKeyMaxColumns || size > ddlShortKeyMaxBytes {
			if len(keys) == 0 && c.typ.IsStringLike() {
				keys = append(keys, c.name)
			}
			break
		}
		k := c.typ.Kind
		if k == KindFloat || k == KindDouble || k == KindString || ddlIsComplexKind(k) {
			break
		}
		keys = append(keys, c.name)
		if k == KindVarchar {
			break
		}
	}
	return keys, DupKeys
}

// ddlValidateKeys is CreateTableInfo.ddlValidateKeys.
func ddlValidateKeys(cols []*ddlColumnDef, keys []string, kt KeysType) error {
	if len(keys) > len(cols) {
		return dorisErr("The number of key columns should be less than the number of columns.")
	}
	for i, k := range keys {
		name := cols[i].name
		if !strings.EqualFold(k, name) {
			found := false
			for _, c := range cols {
				found = found || strings.EqualFold(c.name, k)
			}
			if !found {
				return dorisErr("Key column[%s] doesn't exist.", k)
			}
			return dorisErr("Key columns should be a ordered prefix of the schema. KeyColumns[%d] (starts from zero) is %s, but corresponding column is %s in the previous columns declaration.", i, k, name)
		}
		if cols[i].agg != "" {
			return dorisErr("Key column[%s] should not specify aggregate type.", name)
		}
	}
	for _, c := range cols[len(keys):] {
		if kt == AggKeys && c.agg == "" {
			return dorisErr("AGG_KEYS table should specify aggregate type for non-key column[%s]", c.name)
		}
		if kt != AggKeys && c.agg != "" {
			return dorisErr("%s table should not specify aggregate type for non-key column[%s]", ddlKeysTypeName(kt), c.name)
		}
	}
	return nil
}

func ddlKeysTypeName(kt KeysType) string {
	switch kt {
	case UniqueKeys:
		return "UNIQUE_KEYS"
	case AggKeys:
		return "AGG_KEYS"
	}
	return "DUP_KEYS"
}

// ddlCheckPartitionColumns: partition columns must exist and, outside DUPLICATE tables,
// be key columns.
func ddlCheckPartitionColumns(ct *ddlCreateTable, keyCount int, kt KeysType) error {
	for _, pc := range ct.partCols {
		idx := -1
		for i, c := range ct.cols {
			if strings.EqualFold(c.name, pc) {
				idx = i
			}
		}
		if idx < 0 {
			return dorisErr("partition key %s is not exists", pc)
		}
		if kt != DupKeys && idx >= keyCount {
			return dorisErr("The partition column could not be aggregated column")
		}
		if k := ct.cols[idx].typ.Kind; k == KindFloat || k == KindDouble {
			return dorisErr("Floating point type column can not be partition column")
		}
	}
	return nil
}

// ddlCheckDistributionDesc is DistributionDescriptor.validate plus the RANDOM rules.
func ddlCheckDistributionDesc(ct *ddlCreateTable, kt KeysType) error {
	if ct.distHash {
		seen := map[string]bool{}
		for _, c := range ct.distCols {
			if seen[c] {
				return dorisErr("Duplicate key in distribution desc is not allowed")
			}
			seen[c] = true
			found := false
			for _, col := range ct.cols {
				found = found || strings.EqualFold(col.name, c)
			}
			if !found {
				return dorisErr("column %s is not found in distribution desc", c)
			}
		}
		if ct.distSet && ct.buckets == 0 {
			return dorisErr("Number of hash distribution should be greater than zero.")
		}
		return nil
	}
	switch kt {
	case UniqueKeys:
		return dorisErr("Create unique keys table should not contain random distribution desc")
	case AggKeys:
		for _, c := range ct.cols {
			if c.agg == "REPLACE" || c.agg == "REPLACE_IF_NOT_NULL" {
				return dorisErr("Create aggregate keys table with value columns of which aggregate type is REPLACE or REPLACE_IF_NOT_NULL should not contain random distribution desc")
			}
		}
	}
	if ct.distSet && ct.buckets == 0 {
		return dorisErr("Number of random distribution should be greater than zero.")
	}
	return nil
}

// ddlCheckDistributionKeys runs the checks InternalCatalog makes when it builds the
// distribution info: hash columns of UNIQUE/AGGREGATE tables must be keys.
func ddlCheckDistributionKeys(ct *ddlCreateTable, t *Table) error {
	for _, c := range ct.distCols {
		i := t.ColumnIndex(c)
		if t.Keys != DupKeys && !t.Columns[i].IsKey {
			return dorisErr("Distribution column[%s] is not key column", c)
		}
		if k := t.Columns[i].Type.Kind; k == KindFloat || k == KindDouble {
			return dorisErr("Floating point type should not be used in distribution column")
		}
	}
	return nil
}

// ddlColumnFromDef validates one column definition (ColumnDefinition.validate) and
// converts it; a column without NULL/NOT NULL is nullable, as in Doris 2.1.
func ddlColumnFromDef(c *ddlColumnDef, isKey bool, kt KeysType) (Column, error) {
	if !ValidColumnName(c.name) {
		l := strings.ToLower(c.name)
		if strings.HasPrefix(l, "mv_") || strings.HasPrefix(l, "mva_") {
			return Column{}, dorisErr("Incorrect column name %s, column name can't start with 'mv_'/'mva_'", c.name)
		}
		return Column{}, dorisErrCode(1166, "42000", "Incorrect column name '%s'. Column regex is '%s'", c.name, ddlColumnNamePattern)
	}
	t := c.typ
	nullable := c.nullable != nullNo
	if c.autoInc && c.nullable == nullUnspecified {
		nullable = false
	}
	if t.Kind == KindHLL || t.Kind == KindBitmap {
		if isKey {
			return Column{}, dorisErr("Key column can not set complex type:%s", c.name)
		}
		if kt == AggKeys && c.agg == "" {
			return Column{}, dorisErr("complex type have to use aggregate function: %s", c.name)
		}
		if nullable {
			return Column{}, dorisErr("complex type column must be not nullable, column:%s", c.name)
		}
	}
	if t.Kind == KindArray {
		depth := 0
		for e := &t; e != nil && e.Kind == KindArray; e = e.Elem {
			depth++
		}
		if depth > 9 {
			return Column{}, dorisErr("Type exceeds the maximum nesting depth of 9")
		}
	}
	if isKey {
		if msg := t.KeyError(c.name); msg != "" {
			return Column{}, dorisErr("%s", msg)
		}
		if c.agg != "" {
			return Column{}, dorisErr("Key column %s can not set aggregation type", c.name)
		}
	}
	if c.agg == "REPLACE_IF_NOT_NULL" {
		if !nullable {
			return Column{}, dorisErr("REPLACE_IF_NOT_NULL column must be nullable, maybe should use REPLACE, column:%s", c.name)
		}
		if !c.hasDef {
			c.hasDef, c.defNull = true, true
		}
	}
	if c.autoInc {
		if t.Kind != KindBigInt {
			return Column{}, dorisErr("the auto increment must be BIGINT type.")
		}
		if nullable {
			return Column{}, dorisErr("the auto increment column should be NOT NULL.")
		}
		if c.hasDef {
			return Column{}, dorisErr("the auto increment column can't have default value.")
		}
	}
	if err := ddlCheckDefault(c, nullable); err != nil {
		return Column{}, err
	}
	if c.onUpdate != "" && (!c.defExpr || !strings.HasPrefix(c.defText, "CURRENT_TIMESTAMP")) {
		return Column{}, dorisErr("You must set the default value of the column[%s] to CURRENT_TIMESTAMP when using 'ON UPDATE CURRENT_TIMESTAMP'.", c.name)
	}
	if t.Kind == KindTime {
		return Column{}, dorisErr("Time type is not supported for olap table")
	}
	col := Column{Name: c.name, Type: t, Nullable: nullable, HasDefault: c.hasDef, DefaultNull: c.defNull,
		Default: c.defText, DefaultExpr: c.defExpr, Comment: c.comment, IsKey: isKey, AutoInc: c.autoInc}
	if kt == AggKeys && !isKey {
		col.AggType = c.agg
	}
	return col, nil
}

// ddlApplyCreateProperties checks replication, light schema change and the sequence
// column (InternalCatalog.createOlapTable), then rejects unknown properties.
func ddlApplyCreateProperties(ct *ddlCreateTable, t *Table) error {
	if _, err := ddlReplicaCount(ct.props); err != nil {
		return err
	}
	if v, ok := sqlGetProp(ct.props, "light_schema_change"); ok {
		switch strings.ToLower(v) {
		case "true":
		case "false":
			t.LightSchema = false
		default:
			return dorisErr("light_schema_change must be `true` or `false`")
		}
	}
	seqCol, hasCol := sqlGetProp(ct.props, "function_column.sequence_col")
	seqType, hasType := sqlGetProp(ct.props, "function_column.sequence_type")
	if hasCol {
		if t.Keys != UniqueKeys {
			return dorisErr("sequence column only support UNIQUE_KEYS")
		}
		i := t.ColumnIndex(seqCol)
		if i < 0 {
			return dorisErr("The specified sequence column[%s] not exists", seqCol)
		}
		ct := t.Columns[i].Type
		if !ct.IsInteger() && ct.Kind != KindDate && ct.Kind != KindDateTime {
			return dorisErr("Sequence type only support integer types and date types")
		}
		t.SequenceCol = t.Columns[i].Name
	}
	if hasType {
		if t.Keys != UniqueKeys {
			return dorisErr("sequence column only support UNIQUE_KEYS")
		}
		st, err := ParseType(seqType, false)
		if err != nil || (!st.IsInteger() && st.Kind != KindDate && st.Kind != KindDateTime) {
			return dorisErr("sequence type only support integer types and date types")
		}
		if hasCol {
			if colType := t.SequenceValueType(); colType.Kind != st.Kind {
				return dorisErr("The sequence_col and sequence_type cannot be set at the same time")
			}
		} else {
			t.SequenceType = &st
		}
	}
	var unknown []string
	for _, kv := range ct.props {
		if !ddlIsKnownProperty(kv[0]) {
			unknown = append(unknown, kv[0]+"="+kv[1])
		}
	}
	if len(unknown) > 0 {
		return dorisErr("Unknown properties: {%s}", strings.Join(unknown, ", "))
	}
	return nil
}

// ddlReplicaCount reads replication_num / replication_allocation; the stand-in has one
// backend, so more than one replica fails like a single-BE Doris. Without either
// property the stand-in assumes one replica (Doris's default of 3 would need 3 BEs).
func ddlReplicaCount(props [][2]string) (int, error) {
	n := 1
	if v, ok := sqlGetProp(props, "replication_allocation"); ok {
		n = 0
		for _, part := range strings.Split(v, ",") {
			tag, num, found := strings.Cut(part, ":")
			if !found || !strings.HasPrefix(strings.TrimSpace(tag), "tag.location.") {
				return 0, dorisErr("Invalid replication allocation property: %s", v)
			}
			k, err := strconv.Atoi(strings.TrimSpace(num))
			if err != nil {
				return 0, dorisErr("Invalid replication allocation property: %s", v)
			}
			n += k
		}
	}
	if v, ok := sqlGetProp(props, "replication_num"); ok {
		k, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, dorisErr("Invalid replication number: %s", v)
		}
		n = k
	}
	if n <= 0 {
		return 0, dorisErr("Total replication num should between 1 and 32767")
	}
	if n > ddlBackends {
		return 0, dorisErr("replication num should be less than the number of available backends. replication num is %d, available backend num is %d", n, ddlBackends)
	}
	return n, nil
}

// ddlCanonicalNames maps column names as written to the table's spelling.
func ddlCanonicalNames(t *Table, names []string) []string {
	var out []string
	for _, n := range names {
		if i := t.ColumnIndex(n); i >= 0 {
			out = append(out, t.Columns[i].Name)
		} else {
			out = append(out, n)
		}
	}
	return out
}

// ddlSortedTableNames lists a database's tables by name.
func ddlSortedTableNames(d *Database) []string {
	names := make([]string, 0, len(d.Tables))
	for n := range d.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
