package db

import "encoding/binary"

func appendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// uvarint decodes a uvarint; k <= 0 means malformed or truncated.
func uvarint(b []byte) (uint64, int) { return binary.Uvarint(b) }
