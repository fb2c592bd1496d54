package doris

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// mysqlSession is one client connection's state; go-mysql calls it from the
// connection's goroutine only, so it needs no lock of its own.
type mysqlSession struct {
	s        *Server
	db       string
	inTxn    bool
	vars     map[string]string // session overrides of system variables, by lower-case name
	userVars map[string]Value  // @name variables
}

func newMySQLSession(s *Server) *mysqlSession {
	return &mysqlSession{s: s, vars: map[string]string{}, userVars: map[string]Value{}}
}

// UseDB handles COM_INIT_DB (also the database named in the handshake).
func (m *mysqlSession) UseDB(db string) error {
	if err := m.use(db); err != nil {
		return toMyError(err)
	}
	return nil
}

// HandleQuery handles COM_QUERY.
func (m *mysqlSession) HandleQuery(query string) (*mysql.Result, error) {
	r, err := m.exec(query)
	if err != nil {
		return nil, toMyError(err)
	}
	return r.encode(false), nil
}

// HandleFieldList refuses COM_FIELD_LIST like Doris does.
func (m *mysqlSession) HandleFieldList(table, wildcard string) ([]*mysql.Field, error) {
	return nil, unsupportedCommand(mysql.COM_FIELD_LIST)
}

// HandleStmtPrepare refuses COM_STMT_PREPARE unless Options.AllowPrepare, like Doris
// before server-side prepared statements; clients must then use interpolateParams=true.
func (m *mysqlSession) HandleStmtPrepare(query string) (int, int, any, error) {
	if !m.s.Opts.AllowPrepare {
		return 0, 0, nil, unsupportedCommand(mysql.COM_STMT_PREPARE)
	}
	toks, err := sqlTokenize(query)
	if err != nil {
		return 0, 0, nil, toMyError(err)
	}
	params := 0
	for _, t := range toks {
		if t.kind == sqlPunct && t.text == "?" {
			params++
		}
	}
	return params, 0, nil, nil
}

// HandleStmtExecute binds the arguments into the statement text and runs it.
func (m *mysqlSession) HandleStmtExecute(_ any, query string, args []any) (*mysql.Result, error) {
	text, err := sqlBindArgs(query, args)
	if err != nil {
		return nil, toMyError(err)
	}
	r, err := m.exec(text)
	if err != nil {
		return nil, toMyError(err)
	}
	return r.encode(true), nil
}

// HandleStmtClose has nothing to release.
func (m *mysqlSession) HandleStmtClose(any) error { return nil }

// HandleOtherCommand refuses every other command.
func (m *mysqlSession) HandleOtherCommand(cmd byte, _ []byte) error {
	return unsupportedCommand(cmd)
}

var mysqlCommandNames = map[byte]string{
	mysql.COM_SLEEP: "COM_SLEEP", mysql.COM_FIELD_LIST: "COM_FIELD_LIST", mysql.COM_CREATE_DB: "COM_CREATE_DB",
	mysql.COM_DROP_DB: "COM_DROP_DB", mysql.COM_REFRESH: "COM_REFRESH", mysql.COM_SHUTDOWN: "COM_SHUTDOWN",
	mysql.COM_STATISTICS: "COM_STATISTICS", mysql.COM_PROCESS_INFO: "COM_PROCESS_INFO",
	mysql.COM_PROCESS_KILL: "COM_PROCESS_KILL", mysql.COM_DEBUG: "COM_DEBUG", mysql.COM_CHANGE_USER: "COM_CHANGE_USER",
	mysql.COM_STMT_PREPARE: "COM_STMT_PREPARE", mysql.COM_STMT_SEND_LONG_DATA: "COM_STMT_SEND_LONG_DATA",
	mysql.COM_SET_OPTION: "COM_SET_OPTION", mysql.COM_STMT_FETCH: "COM_STMT_FETCH",
	mysql.COM_RESET_CONNECTION: "COM_RESET_CONNECTION", mysql.COM_BINLOG_DUMP: "COM_BINLOG_DUMP",
	mysql.COM_REGISTER_SLAVE: "COM_REGISTER_SLAVE", mysql.COM_BINLOG_DUMP_GTID: "COM_BINLOG_DUMP_GTID",
}

// unsupportedCommand is Doris's answer to a command it does not implement:
// "Error 1047 (08S01): Unsupported command(COM_STMT_PREPARE)".
func unsupportedCommand(cmd byte) *mysql.MyError {
	name, ok := mysqlCommandNames[cmd]
	if !ok {
		name = fmt.Sprintf("COM_0x%02x", cmd)
	}
	return &mysql.MyError{Code: mysql.ER_UNKNOWN_COM_ERROR, State: "08S01", Message: "Unsupported command(" + name + ")"}
}

// sqlBindArgs replaces each ? placeholder with its argument as a SQL literal.
func sqlBindArgs(query string, args []any) (string, error) {
	toks, err := sqlTokenize(query)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last, n := 0, 0
	for _, t := range toks {
		if t.kind != sqlPunct || t.text != "?" {
			continue
		}
		if n >= len(args) {
			return "", dorisErr("not enough arguments for the prepared statement")
		}
		b.WriteString(query[last:t.pos])
		lit, err := sqlLiteral(args[n])
		if err != nil {
			return "", err
		}
		b.WriteString(lit)
		last = t.end
		n++
	}
	b.WriteString(query[last:])
	return b.String(), nil
}

func sqlLiteral(a any) (string, error) {
	switch v := a.(type) {
	case nil:
		return "NULL", nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "", dorisErr("invalid floating-point argument %v", v)
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case []byte:
		return sqlQuoteString(string(v)), nil
	case string:
		return sqlQuoteString(v), nil
	case time.Time:
		return sqlQuoteString(v.Format("2006-01-02 15:04:05.999999")), nil
	}
	return "", dorisErr("unsupported argument type %T", a)
}

// sysVar is a Doris session variable the stand-in knows, with its default.
type sysVar struct {
	def     string
	numeric bool
}

// sysVars are the variables clients read or set on connect (names lower-case).
var sysVars = map[string]sysVar{
	"version":                               {def: mysqlServerVersion},
	"version_comment":                       {def: "Doris version doris-2.1.0 (doris-sync stand-in)"},
	"max_allowed_packet":                    {def: "16777216", numeric: true},
	"autocommit":                            {def: "1", numeric: true},
	"auto_increment_increment":              {def: "1", numeric: true},
	"character_set_client":                  {def: "utf8mb4"},
	"character_set_connection":              {def: "utf8mb4"},
	"character_set_results":                 {def: "utf8mb4"},
	"character_set_server":                  {def: "utf8mb4"},
	"collation_connection":                  {def: "utf8mb4_0900_bin"},
	"collation_database":                    {def: "utf8mb4_0900_bin"},
	"collation_server":                      {def: "utf8mb4_0900_bin"},
	"init_connect":                          {def: ""},
	"interactive_timeout":                   {def: "3600", numeric: true},
	"wait_timeout":                          {def: "28800", numeric: true},
	"net_write_timeout":                     {def: "600", numeric: true},
	"net_read_timeout":                      {def: "600", numeric: true},
	"license":                               {def: "Apache License, Version 2.0"},
	"lower_case_table_names":                {def: "0", numeric: true},
	"performance_schema":                    {def: "0", numeric: true},
	"query_cache_size":                      {def: "1048576", numeric: true},
	"query_cache_type":                      {def: "0", numeric: true},
	"sql_mode":                              {def: "ONLY_FULL_GROUP_BY"},
	"sql_select_limit":                      {def: "9223372036854775807", numeric: true},
	"system_time_zone":                      {def: "UTC"},
	"time_zone":                             {def: "Asia/Shanghai"},
	"transaction_isolation":                 {def: "REPEATABLE-READ"},
	"tx_isolation":                          {def: "REPEATABLE-READ"},
	"transaction_read_only":                 {def: "0", numeric: true},
	"tx_read_only":                          {def: "0", numeric: true},
	"sql_auto_is_null":                      {def: "0", numeric: true},
	"query_timeout":                         {def: "900", numeric: true},
	"insert_timeout":                        {def: "14400", numeric: true},
	"exec_mem_limit":                        {def: "2147483648", numeric: true},
	"show_hidden_columns":                   {def: "false"},
	"enable_decimal256":                     {def: "false"},
	"enable_unique_key_partial_update":      {def: "false"},
	"enable_insert_strict":                  {def: "true"},
	"enable_nereids_planner":                {def: "true"},
	"enable_fallback_to_original_planner":   {def: "false"},
	"group_commit":                          {def: "off_mode"},
	"parallel_pipeline_task_num":            {def: "0", numeric: true},
	"enable_server_side_prepared_statement": {def: "false"},
	"default_order_by_limit":                {def: "-1", numeric: true},
	"sql_safe_updates":                      {def: "0", numeric: true},
	"net_buffer_length":                     {def: "16384", numeric: true},
}

// sysVarName normalises "@@session.x", "@@global.x", "session.x" … to "x".
func sysVarName(name string) string {
	n := strings.ToLower(strings.TrimPrefix(name, "@@"))
	for _, scope := range []string{"session.", "global.", "local."} {
		n = strings.TrimPrefix(n, scope)
	}
	return n
}

// getVar returns a system variable's value and MySQL field type.
func (m *mysqlSession) getVar(name string) (Value, byte, error) {
	n := sysVarName(name)
	v, ok := sysVars[n]
	if !ok {
		return Value{}, 0, dorisErrCode(mysql.ER_UNKNOWN_SYSTEM_VARIABLE, "HY000", "Unknown system variable '%s'", n)
	}
	val := v.def
	if n == "enable_server_side_prepared_statement" && m.s.Opts.AllowPrepare {
		val = "true"
	}
	if o, ok := m.vars[n]; ok {
		val = o
	}
	ft := mysql.MYSQL_TYPE_VAR_STRING
	if v.numeric {
		ft = mysql.MYSQL_TYPE_LONGLONG
	}
	return resStr(val), ft, nil
}

// setVar sets a session variable; boolean variables take true/false/1/0/on/off.
func (m *mysqlSession) setVar(name, value string) error {
	n := sysVarName(name)
	v, ok := sysVars[n]
	if !ok {
		return dorisErrCode(mysql.ER_UNKNOWN_SYSTEM_VARIABLE, "HY000", "Unknown system variable '%s'", n)
	}
	if strings.EqualFold(value, "DEFAULT") {
		delete(m.vars, n)
		return nil
	}
	switch {
	case v.def == "true" || v.def == "false":
		b, ok := sqlParseBool(value)
		if !ok {
			return dorisErrCode(mysql.ER_WRONG_VALUE_FOR_VAR, "42000", "Variable '%s' can't be set to the value of '%s'", n, value)
		}
		value = strconv.FormatBool(b)
	case v.numeric:
		if b, ok := sqlParseBool(value); ok && !sqlIsDigits(value) {
			value = "0"
			if b {
				value = "1"
			}
		} else if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			return dorisErrCode(mysql.ER_WRONG_TYPE_FOR_VAR, "42000", "Incorrect argument type to variable '%s'", n)
		}
	}
	m.vars[n] = value
	return nil
}

// sessionBool reads a boolean session variable.
func (m *mysqlSession) sessionBool(name string) bool {
	v, _, err := m.getVar(name)
	if err != nil {
		return false
	}
	b, _ := sqlParseBool(v.S)
	return b
}

func sqlParseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "1", "on":
		return true, true
	case "false", "0", "off":
		return false, true
	}
	return false, false
}

func sqlIsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
