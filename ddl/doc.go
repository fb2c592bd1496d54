// Package ddl is everything Doris-DDL: the per-source mapping of column types to Doris
// types, the naming rules (prefix/suffix, include/exclude, multi-to-one, target
// database, Doris identifier rules), --table-conf (buckets, partitions, properties), the
// CREATE TABLE plan and its text, ALTER statements, and the comparison of an existing
// Doris table with the plan. It is pure logic: it imports only schema and runs no SQL.
//
// The mappings and the choices behind them are documented, row by row, in
// docs/type-mapping.md; a test checks every row of that file against MapType.
//
// Generated DDL targets Doris ≥ 2.0, where DECIMAL, DATE and DATETIME are the V3/V2
// types (DECIMAL above 38 digits needs Doris ≥ 2.1 and the session variable
// enable_decimal256, see TablePlan.NeedsDecimal256).
package ddl
