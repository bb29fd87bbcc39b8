package localapi

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// RuntimeStats is the body of GET /v1/debug/runtime: the engine process's
// own resource use, for tests that look for leaks and for operators.
type RuntimeStats struct {
	Goroutines int   `json:"goroutines"`
	OpenFiles  int   `json:"open_files"` // -1 where /proc/self/fd is missing
	RSSBytes   int64 `json:"rss_bytes"`  // -1 where /proc/self/statm is missing
	HeapBytes  int64 `json:"heap_bytes"` // Go heap in use
}

func (s *Server) handleRuntime(w http.ResponseWriter, r *http.Request) {
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	writeJSON(w, http.StatusOK, RuntimeStats{
		Goroutines: runtime.NumGoroutine(),
		OpenFiles:  openFiles(),
		RSSBytes:   residentBytes(),
		HeapBytes:  int64(mem.HeapInuse),
	})
}

func openFiles() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// residentBytes reads the resident set size from /proc/self/statm, whose
// second field counts pages.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}
