//go:build !amd64 || purego

package membw

var sumImpl = sumPortable
