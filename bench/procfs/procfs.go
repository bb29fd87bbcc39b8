// Package procfs reads the CPU time and resident memory of process trees
// from Linux /proc, for the benchmark's per-path cost figures.
package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the times in /proc/PID/stat. Linux fixes it at
// 100 ticks per second for user space on every architecture Go supports.
const userHZ = 100

// Stat is the part of /proc/PID/stat the benchmark uses.
type Stat struct {
	PID, PPID int
	// CPU is user plus system time of the process and of its children
	// that have exited and been waited for (utime+stime+cutime+cstime),
	// so the time of a forked helper is not lost when it exits.
	CPU time.Duration
}

// ReadStat parses /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	return parseStat(pid, data)
}

// parseStat reads the fields after the command name, which sits in
// parentheses and may itself contain spaces and parentheses.
func parseStat(pid int, data []byte) (Stat, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return Stat{}, fmt.Errorf("procfs: /proc/%d/stat has no command name", pid)
	}
	// fields[0] is field 3 (state) of proc(5).
	fields := strings.Fields(string(data[end+1:]))
	if len(fields) < 15 {
		return Stat{}, fmt.Errorf("procfs: /proc/%d/stat has %d fields after the name, want at least 15", pid, len(fields))
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return Stat{}, fmt.Errorf("procfs: /proc/%d/stat: parent pid: %w", pid, err)
	}
	var ticks int64
	for _, f := range fields[11:15] { // utime, stime, cutime, cstime
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return Stat{}, fmt.Errorf("procfs: /proc/%d/stat: cpu time: %w", pid, err)
		}
		ticks += n
	}
	return Stat{PID: pid, PPID: ppid, CPU: time.Duration(ticks) * time.Second / userHZ}, nil
}

// Tree returns roots and every living descendant of them. Roots that
// have exited are left out.
func Tree(roots []int) []int {
	children := map[int][]int{}
	alive := map[int]bool{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := ReadStat(pid)
		if err != nil {
			continue
		}
		alive[pid] = true
		children[st.PPID] = append(children[st.PPID], pid)
	}

	var out []int
	seen := map[int]bool{}
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] || !alive[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, pid)
		queue = append(queue, children[pid]...)
	}
	return out
}

// CPU sums the CPU time of every process in the trees under roots.
func CPU(roots []int) time.Duration {
	var total time.Duration
	for _, pid := range Tree(roots) {
		if st, err := ReadStat(pid); err == nil {
			total += st.CPU
		}
	}
	return total
}

// Memory is the resident memory of a set of processes, in bytes.
type Memory struct {
	// RSS sums VmRSS: pages shared by several processes (socat's forked
	// children, sshd's) count once per process.
	RSS int64
	// PSS sums the proportional set size, which splits shared pages
	// among the processes that map them.
	PSS int64
	// Processes is how many processes were counted.
	Processes int
}

// TreeMemory sums the resident memory of the trees under roots.
func TreeMemory(roots []int) Memory {
	var m Memory
	for _, pid := range Tree(roots) {
		rss, err := statusKiB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
		if err != nil {
			continue
		}
		pss, _ := statusKiB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		m.RSS += rss << 10
		m.PSS += pss << 10
		m.Processes++
	}
	return m
}

// statusKiB reads a "Key:   123 kB" line.
func statusKiB(path, key string) (int64, error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key) {
			continue
		}
		fields := strings.Fields(line[len(key):])
		if len(fields) == 0 {
			break
		}
		return strconv.ParseInt(fields[0], 10, 64)
	}
	return 0, fmt.Errorf("procfs: no %s line in %s", key, path)
}
