//go:build tools

// Package tools pins the modules the project builds on, so go mod tidy keeps them
// before every package that imports them exists.
package tools

import (
	_ "github.com/cenkalti/backoff/v5"
	_ "github.com/go-mysql-org/go-mysql/client"
	_ "github.com/go-mysql-org/go-mysql/replication"
	_ "github.com/go-mysql-org/go-mysql/server"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pglogrepl"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/klauspost/compress/gzip"
	_ "github.com/pingcap/tidb/pkg/parser"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
)
