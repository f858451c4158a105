// Package vecdb is the module root of vecdb, an embedded vector database for
// Go. Applications import github.com/vecdb/vecdb/db; the command is
// cmd/vecdb. This package holds only repository-wide tests.
package vecdb
