//go:build !(linux || darwin || freebsd)

package glove

import "time"

// cpuTime is not measured on this system.
func cpuTime() time.Duration { return 0 }
