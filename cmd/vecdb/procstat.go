package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// processJSON is what the process held when a command finished, from the
// kernel's accounting (Linux; zeros elsewhere): peak resident memory, and
// resident memory now split into the process's own (anonymous) pages and
// pages of mapped files (the vector files a search reads, shared with the
// page cache and reclaimable under memory pressure).
type processJSON struct {
	PeakRSS  int64 `json:"peak_rss_bytes"`
	RSSAnon  int64 `json:"rss_anon_bytes"`
	RSSFile  int64 `json:"rss_file_bytes"`
	Measured bool  `json:"measured"`
}

// readProcess reads /proc/self/status.
func readProcess() processJSON {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return processJSON{}
	}
	defer f.Close()
	var p processJSON
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmHWM":
			p.PeakRSS, p.Measured = kb<<10, true
		case "RssAnon":
			p.RSSAnon = kb << 10
		case "RssFile":
			p.RSSFile = kb << 10
		}
	}
	return p
}
