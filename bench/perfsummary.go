package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// cpuCategory groups profile symbols by what the time pays for. The
// first category whose pattern matches a symbol takes it.
type cpuCategory struct {
	name    string
	pattern *regexp.Regexp
}

var cpuCategories = []cpuCategory{
	{"AES-GCM (seal and open)", regexp.MustCompile(`(?i)gcm|aes|ghash|gf128|poly1305|chacha`)},
	{"user-space copies (memmove, memclr)", regexp.MustCompile(`runtime\.memmove|runtime\.memclr|__memmove|__memcpy|memcpy|memset`)},
	{"kernel copies to and from sockets", regexp.MustCompile(`_copy_to_iter|_copy_from_iter|copy_user|rep_movs|check_object_size|copyout|copyin`)},
	{"kernel scheduling, futexes and wakeups", regexp.MustCompile(`finish_task_switch|schedule|futex|wake|_raw_spin|enqueue|dequeue|pick_next|update_curr|select_task|rseq|hrtimer|idle|cpuidle|switch_to|irqentry`)},
	{"kernel TCP/IP and loopback", regexp.MustCompile(`tcp|^\[k\] ip_|__ip_|inet|skb|sock|netif|net_rx|napi|dev_|bbr|loopback|softirq|raw_local_deliver|ipv4|dst_|netmem|\bsk_|__sk_`)},
	{"kernel syscall entry, exit and file lookup", regexp.MustCompile(`syscall|entry_|ksys_|fdget|fput|__x64|vfs_|rw_verify|security_|apparmor|fsnotify|ep_poll|epoll`)},
	{"Go scheduler and netpoller", regexp.MustCompile(`runtime\.(findRunnable|schedule|park_m|gopark|goready|ready|runqget|runqput|runqsteal|stealWork|netpoll|notewakeup|notesleep|futex|mcall|wakep|startm|stopm|lock2|unlock2|checkTimers|casgstatus|resetspinning|execute|gogo|systemstack|entersyscall|exitsyscall|reentersyscall|nanotime|usleep|osyield|procyield|chansend|chanrecv|selectgo|send|recv|sellock|selunlock|acquireSudog|releaseSudog)`)},
	{"Go memory allocation and GC", regexp.MustCompile(`runtime\.(mallocgc|gcDrain|scanobject|greyobject|markBits|gcBgMark|sweep|mspan|mcache|mheap|memclrNoHeap|findObject|heapBits|wbBuf|bgsweep|bgscavenge|scavenge|typePointers|scanblock|gcAssist|nextFreeFast|newobject|makeslice|growslice|deductAssist)`)},
	{"yamux", regexp.MustCompile(`hashicorp/yamux`)},
	{"Portals channel framing", regexp.MustCompile(`engine/channel`)},
	{"Portals portal copy, session and relay", regexp.MustCompile(`engine/(portal|session|relay)|engine\.`)},
	{"Go net and poll", regexp.MustCompile(`internal/poll|^net\.|\bnet\.\(|syscall\.|internal/runtime/syscall`)},
	{"other kernel", regexp.MustCompile(`^\[k\]`)},
}

// perfColumns matches the empty IPC columns perf prints after a symbol.
var perfColumns = regexp.MustCompile(`(\s+-)+\s*$`)

// flatProfile reads `perf report` by symbol with self time only.
func flatProfile(data string) (map[string]float64, error) {
	out, err := exec.Command("perf", "report", "-i", data, "--stdio", "--no-children",
		"--sort", "symbol", "-g", "none", "--percent-limit", "0").Output()
	if err != nil {
		return nil, fmt.Errorf("perf report: %w", err)
	}
	shares := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pct, sym, ok := strings.Cut(line, "%")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil {
			continue
		}
		shares[perfColumns.ReplaceAllString(strings.TrimSpace(sym), "")] += v
	}
	return shares, nil
}

// categorize sums symbol shares by category, the rest under "other user
// space".
func categorize(shares map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for sym, v := range shares {
		name := "other user space"
		for _, c := range cpuCategories {
			if c.pattern.MatchString(sym) {
				name = c.name
				break
			}
		}
		out[name] += v
	}
	return out
}

// writeSummary prints categories, then the top symbols, largest first.
func writeSummary(w io.Writer, title string, shares map[string]float64) {
	fmt.Fprintf(w, "%s\n\nby category (share of samples of the path's processes):\n", title)
	printShares(w, categorize(shares), 100)
	fmt.Fprintf(w, "\ntop symbols:\n")
	printShares(w, shares, 30)
}

func printShares(w io.Writer, shares map[string]float64, limit int) {
	type kv struct {
		k string
		v float64
	}
	var list []kv
	for k, v := range shares {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	for i, e := range list {
		if i == limit {
			break
		}
		fmt.Fprintf(w, "  %6.2f%%  %s\n", e.v, e.k)
	}
}
