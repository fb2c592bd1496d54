package doris

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

func TestMySQLConnectWithPassword(t *testing.T) {
	s, db := startMySQL(t, Options{User: "loader", Password: "s3cret"})
	var v string
	if err := db.QueryRow("SELECT @@version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "5.7.99" {
		t.Fatalf("version %q", v)
	}
	bad := openDB(t, s, "wrong", "")
	err := bad.Ping()
	var me *gomysql.MySQLError
	if err == nil || !asMySQLError(err, &me) || me.Number != 1045 {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func asMySQLError(err error, me **gomysql.MySQLError) bool {
	e, ok := err.(*gomysql.MySQLError)
	if ok {
		*me = e
	}
	return ok
}

func TestMySQLSessionStatements(t *testing.T) {
	_, db := startMySQL(t, Options{})
	for _, q := range []string{"SET NAMES utf8mb4", "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'", "SET autocommit=1",
		"SET @@session.time_zone = '+00:00'", "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'", "SET @x = 5"} {
		mustExec(t, db, q)
	}
	expectRows(t, db, "SELECT @@version_comment LIMIT 1", "Doris version doris-2.1.0 (doris-sync stand-in)")
	expectRows(t, db, "SELECT @@max_allowed_packet", "16777216")
	expectRows(t, db, "SELECT @@session.time_zone, @@sql_mode, @x", "+00:00|STRICT_TRANS_TABLES|5")
	expectRows(t, db, "SELECT DATABASE()", "<NULL>")
	expectRows(t, db, "SELECT 1", "1")
	cols, _ := queryStrings(t, db, "SELECT @@auto_increment_increment AS inc, 1")
	if strings.Join(cols, ",") != "inc,1" {
		t.Fatalf("column names %v", cols)
	}
	expectRows(t, db, "SHOW VARIABLES LIKE 'max_allowed%'", "max_allowed_packet|16777216|16777216|0")
	expectRows(t, db, "SHOW VARIABLES LIKE 'time_zone'", "time_zone|+00:00|Asia/Shanghai|1")
	expectErr(t, db, "SELECT @@no_such_var", 1193, dorisMsg("Unknown system variable 'no_such_var'"))
	expectErr(t, db, "SET no_such_var = 1", 1193, dorisMsg("Unknown system variable 'no_such_var'"))
	expectErr(t, db, "SET show_hidden_columns = 'maybe'", 1231, dorisMsg("Variable 'show_hidden_columns' can't be set to the value of 'maybe'"))
}

func TestMySQLUseDatabase(t *testing.T) {
	s, db := startMySQL(t, Options{})
	expectErr(t, db, "USE nope", 1049, dorisMsg("Unknown database 'nope'"))
	mustExec(t, db, "CREATE DATABASE d1")
	mustExec(t, db, "USE d1")
	expectRows(t, db, "SELECT DATABASE()", "d1")
	// the database in the DSN goes through the handshake (COM_INIT_DB path)
	other := openDB(t, s, "", "")
	other.Close()
	dsn := fmt.Sprintf("root:@tcp(%s)/missing?interpolateParams=true", s.MySQLAddr())
	bad, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	var me *gomysql.MySQLError
	if err := bad.Ping(); !asMySQLError(err, &me) || me.Number != 1049 || me.Message != dorisMsg("Unknown database 'missing'") {
		t.Fatalf("connect to a missing database: %v", err)
	}
}

func TestMySQLPrepareRejected(t *testing.T) {
	_, db := startMySQL(t, Options{})
	_, err := db.Prepare("SELECT ?")
	checkErr(t, "PREPARE", err, 1047, "Unsupported command(COM_STMT_PREPARE)")
	var me *gomysql.MySQLError
	asMySQLError(err, &me)
	if string(me.SQLState[:]) != "08S01" {
		t.Fatalf("sqlstate %q", me.SQLState)
	}
	// without interpolateParams the driver prepares any query with arguments
	s2, _ := startMySQL(t, Options{})
	plain, err := sql.Open("mysql", fmt.Sprintf("root:@tcp(%s)/", s2.MySQLAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_, err = plain.Exec("CREATE DATABASE IF NOT EXISTS x", 1)
	checkErr(t, "exec with args", err, 1047, "Unsupported command(COM_STMT_PREPARE)")
}

func TestMySQLPrepareAllowed(t *testing.T) {
	s, db := startMySQL(t, Options{AllowPrepare: true})
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (id INT, name VARCHAR(10)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
	loadRows(t, s, "d", "t", []string{"1", "a"}, []string{"2", "<NULL>"})
	st, err := db.Prepare("SELECT name, id FROM d.t WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var name sql.NullString
	var id int
	if err := st.QueryRow(2).Scan(&name, &id); err != nil {
		t.Fatal(err)
	}
	if name.Valid || id != 2 {
		t.Fatalf("got %v %d", name, id)
	}
	expectRows(t, db, "SELECT @@enable_server_side_prepared_statement", "true")
}

func TestMySQLDDLInTransactionRejected(t *testing.T) {
	_, db := startMySQL(t, Options{})
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec("CREATE DATABASE d")
	checkErr(t, "CREATE DATABASE in txn", err, 1105, dorisMsg("This is in a transaction, only insert, update, delete, commit, rollback is acceptable."))
	_, err = tx.Query("SHOW DATABASES")
	checkErr(t, "SHOW in txn", err, 1105, dorisMsg("This is in a transaction, only insert, update, delete, commit, rollback is acceptable."))
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "BEGIN")
	expectErr(t, db, "DROP DATABASE IF EXISTS d", 1105, dorisMsg("This is in a transaction, only insert, update, delete, commit, rollback is acceptable."))
	mustExec(t, db, "COMMIT")
	mustExec(t, db, "CREATE DATABASE d")
}

func TestMySQLUnsupportedStatements(t *testing.T) {
	_, db := startMySQL(t, Options{})
	mustExec(t, db, "CREATE DATABASE d")
	for _, q := range []string{
		"INSERT INTO d.t VALUES (1)",
		"GRANT ALL ON *.* TO x",
		"SHOW PROC '/backends'",
		"ALTER TABLE d.t ORDER BY (a)",
		"SELECT a FROM d.t1 JOIN d.t2",
		"SELECT 1 + 1",
		"SELECT NOW()",
		"SHOW TABLES WHERE x = 1",
	} {
		expectErr(t, db, q, 1105, dorisMsg("the Doris stand-in does not support: "+q))
	}
	q := "CREATE DATABASE a; CREATE DATABASE b"
	expectErr(t, db, q, 1105, dorisMsg("the Doris stand-in does not support: several statements in one query: "+q))
	expectErr(t, db, "SELECT 'unterminated", 1105, dorisMsg("\nunterminated string(line 1, pos 7)"))
}

func TestMySQLCloseEndsConnections(t *testing.T) {
	s, db := startMySQL(t, Options{})
	mustExec(t, db, "CREATE DATABASE d")
	s.Close()
	if err := db.Ping(); err == nil {
		t.Fatal("ping after Close succeeded")
	}
}
