package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where a run happened.
type machine struct {
	CPUModel    string `json:"cpu_model"`
	Cores       int    `json:"cores"`
	Kernel      string `json:"kernel"`
	GoVersion   string `json:"go_version"`
	SSH         string `json:"ssh"`
	Socat       string `json:"socat"`
	LoadBefore  string `json:"loadavg_before"`
	LoadAfter   string `json:"loadavg_after"`
	MemTotalKiB string `json:"mem_total"`
}

func describeMachine() machine {
	return machine{
		CPUModel:    procField("/proc/cpuinfo", "model name"),
		Cores:       runtime.NumCPU(),
		Kernel:      firstLine("/proc/sys/kernel/osrelease"),
		GoVersion:   runtime.Version(),
		SSH:         commandLine("ssh", "-V"),
		Socat:       commandLine("socat", "-V"),
		LoadBefore:  firstLine("/proc/loadavg"),
		MemTotalKiB: procField("/proc/meminfo", "MemTotal"),
	}
}

func procField(file, key string) string {
	data, _ := os.ReadFile(file)
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func firstLine(file string) string {
	data, _ := os.ReadFile(file)
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}

// commandLine returns the version line a tool prints.
func commandLine(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(strings.ToLower(line), "version") || strings.HasPrefix(line, "OpenSSH") {
			return strings.TrimSpace(line)
		}
	}
	return strings.TrimSpace(string(out))
}

// linuxDefaultRmemMax is Linux's default largest TCP receive buffer, the
// third field of net.ipv4.tcp_rmem, in bytes.
const linuxDefaultRmemMax = 6 << 20

// tcpReceiveBufferMax returns the largest receive buffer this kernel's
// autotuning gives a TCP socket, in bytes, or Linux's default when
// /proc/sys/net/ipv4/tcp_rmem cannot be read. A receiver's window never
// exceeds it, so it is an upper bound on what one TCP connection keeps in
// flight.
func tcpReceiveBufferMax() int {
	fields := strings.Fields(firstLine("/proc/sys/net/ipv4/tcp_rmem"))
	if len(fields) != 3 {
		return linuxDefaultRmemMax
	}
	n, err := strconv.Atoi(fields[2])
	if err != nil || n <= 0 {
		return linuxDefaultRmemMax
	}
	return n
}
