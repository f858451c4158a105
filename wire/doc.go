// Package wire holds the JSON shapes vecdb speaks: what the command line
// prints with --json, what the HTTP server (package server) takes and
// answers, and what the Go client (package client) sends and decodes. One
// set of types keeps the three identical: a search through a server prints
// byte for byte what the same search prints against the directory.
//
// It also holds the bulk loader (Load), which reads a vector file and its
// metadata in batches for any sink: a database batch in process, or a POST
// of records to a server.
//
// Floats are float32 throughout and encoding/json writes a float32 in the
// shortest form that reads back as the same float32, so every vector and
// distance round-trips exactly.
package wire
