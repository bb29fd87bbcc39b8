package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// profiledPaths are the paths whose processes profile records.
var profiledPaths = map[string]bool{"ssh": true, "portals-direct": true, "portals-relay": true}

// profileResult holds the counts and CPU shares perf recorded during one
// profiled transfer.
type profileResult struct {
	Path      string `json:"path"`
	Direction string `json:"direction"`
	Bytes     int64  `json:"bytes"`
	// Syscalls and ContextSwitches count over every process of the path
	// (perf stat, raw_syscalls:sys_enter and context-switches).
	Syscalls        int64 `json:"syscalls"`
	ContextSwitches int64 `json:"context_switches"`
	// Categories is the share of CPU samples per category, in percent.
	Categories map[string]float64 `json:"categories"`
	Data       string             `json:"perf_data"`
}

func (p profileResult) perMiB(n int64) float64 {
	return float64(n) / (float64(p.Bytes) / (1 << 20))
}

// profile records perf CPU profiles (software clock, call graphs by frame
// pointer) and counts system calls and context switches of each profiled
// path's processes during one upload and one download, and writes a
// summary next to each profile. These transfers come after the
// measurements and are not counted in them.
func profile(dir string, pl plan, paths []*path) ([]profileResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var results []profileResult
	for _, p := range paths {
		if !profiledPaths[p.name] {
			continue
		}
		for _, d := range []struct {
			name string
			f    func(string, int64, time.Duration) (transfer, error)
		}{{"upload", upload}, {"download", download}} {
			res := profileResult{Path: p.name, Direction: d.name, Data: filepath.Join(dir, p.name+"-"+d.name+".perf.data")}
			err := recordPerf(&res, p, func() (int64, error) {
				t, err := d.f(p.addr, pl.StreamBytes, pl.TransferLimit)
				return t.Bytes, err
			})
			if err != nil {
				return results, fmt.Errorf("profiling %s %s: %w", p.name, d.name, err)
			}
			results = append(results, res)
		}
	}
	return results, nil
}

func recordPerf(res *profileResult, p *path, f func() (int64, error)) error {
	var pids []string
	for _, pid := range treeOf(p) {
		pids = append(pids, fmt.Sprint(pid))
	}
	statFile := strings.TrimSuffix(res.Data, ".perf.data") + ".stat"
	record := exec.Command("perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-o", res.Data, "-p", strings.Join(pids, ","))
	stat := exec.Command("perf", "stat", "-x", ",", "-o", statFile, "-e", "raw_syscalls:sys_enter,context-switches", "-p", strings.Join(pids, ","))
	for _, cmd := range []*exec.Cmd{record, stat} {
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%w; install the linux-perf package", err)
		}
	}
	time.Sleep(300 * time.Millisecond) // perf attaches
	n, err := f()
	for _, cmd := range []*exec.Cmd{record, stat} {
		stopPerf(cmd)
	}
	if err != nil {
		return err
	}
	res.Bytes = n
	if res.Syscalls, res.ContextSwitches, err = readPerfStat(statFile); err != nil {
		return err
	}
	return summarizePerf(res)
}

// stopPerf ends a perf command the way Ctrl-C does, so it writes its
// output, and kills it if it takes more than 30 s.
func stopPerf(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// readPerfStat reads the CSV output of perf stat -x, (value first, event
// name third).
func readPerfStat(file string) (syscalls, switches int64, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 3 {
			continue
		}
		v, perr := strconv.ParseInt(fields[0], 10, 64)
		if perr != nil {
			continue
		}
		switch fields[2] {
		case "raw_syscalls:sys_enter":
			syscalls = v
		case "context-switches":
			switches = v
		}
	}
	return syscalls, switches, nil
}

// summarizePerf writes, next to the profile, the counts per MiB, a
// category summary with the top symbols, the split by binary and by
// thread, and the inclusive time of the functions on the data path.
func summarizePerf(res *profileResult) error {
	shares, err := flatProfile(res.Data)
	if err != nil {
		return err
	}
	res.Categories = categorize(shares)

	var out bytes.Buffer
	fmt.Fprintf(&out, "%s %s: %d bytes, %.1f system calls per MiB, %.1f context switches per MiB\n\n",
		res.Path, res.Direction, res.Bytes, res.perMiB(res.Syscalls), res.perMiB(res.ContextSwitches))
	writeSummary(&out, filepath.Base(res.Data), shares)
	for _, section := range []struct {
		title string
		args  []string
	}{
		{"by binary", []string{"--no-children", "--sort", "dso"}},
		{"by thread (perf names each thread by its id)", []string{"--no-children", "--sort", "pid"}},
		{"inclusive (self and callees), at least 3%", []string{"--children", "--sort", "symbol", "--percent-limit", "3"}},
	} {
		args := append([]string{"report", "-i", res.Data, "--stdio", "-g", "none"}, section.args...)
		report, err := exec.Command("perf", args...).Output()
		if err != nil {
			return fmt.Errorf("perf report %s: %w", section.title, err)
		}
		fmt.Fprintf(&out, "\n%s:\n%s", section.title, keepRows(report))
	}
	return os.WriteFile(strings.TrimSuffix(res.Data, ".perf.data")+".txt", out.Bytes(), 0o644)
}

// keepRows drops perf's comment lines and trailing empty columns.
func keepRows(report []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(report), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b.WriteString(perfColumns.ReplaceAllString(line, "") + "\n")
	}
	return b.String()
}
