package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// column is one column of a printed table.
type column struct {
	title  string
	metric string
	format string
}

var mainColumns = []column{
	{"upload Gbit/s", mUpload, "%.2f"},
	{"download Gbit/s", mDownload, "%.2f"},
	{"4 streams Gbit/s", mParallel, "%.2f"},
	{"ping p50 µs", mPingP50, "%.0f"},
	{"ping p99 µs", mPingP99, "%.0f"},
	{"new conn p50 µs", mConnP50, "%.0f"},
	{"new conn p99 µs", mConnP99, "%.0f"},
	{"cold start ms", mColdStart, "%.0f"},
	{"idle RSS KiB/conn", mIdleRSS, "%.1f"},
	{"idle PSS KiB/conn", mIdlePSS, "%.1f"},
	{"idle Go heap KiB/conn", mIdleHeap, "%.1f"},
	{"CPU s/GiB", mCPU, "%.2f"},
	{"client+target CPU s/GiB", mSelfCPU, "%.2f"},
}

var delayColumns = []column{
	{"upload Gbit/s", mUpload, "%.3f"},
	{"download Gbit/s", mDownload, "%.3f"},
	{"ping p50 µs", mPingP50, "%.0f"},
	{"ping p99 µs", mPingP99, "%.0f"},
}

// value returns the median of a metric, or NaN when the path lacks it.
func (r *pathResult) value(metric string) float64 {
	if r == nil {
		return math.NaN()
	}
	m, ok := r.Metrics[metric]
	if !ok {
		return math.NaN()
	}
	return m.Median
}

func printTable(w io.Writer, rs []*pathResult, cols []column) {
	head := []string{"path"}
	for _, c := range cols {
		head = append(head, c.title)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(head)))
	for _, r := range rs {
		row := []string{r.Name}
		for _, c := range cols {
			row = append(row, cell(c.format, r.value(c.metric)))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

func cell(format string, v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// printRatios prints each Portals path's figures divided by those of
// each reference path. Above 1 is better for throughput; below 1 is
// better for latency, memory and CPU.
func printRatios(w io.Writer, byName map[string]*pathResult, subjects, refs []string, cols []column) {
	head := []string{"ratio"}
	for _, c := range cols {
		head = append(head, c.title)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(head)))
	for _, s := range subjects {
		for _, ref := range refs {
			row := []string{s + " ÷ " + ref}
			for _, c := range cols {
				row = append(row, cell("%.2f×", byName[s].value(c.metric)/byName[ref].value(c.metric)))
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	}
}

// goal is one target of the issue, checked against the medians.
type goal struct {
	Goal   string   `json:"goal"`
	Value  *float64 `json:"value"` // null when the run lacks a figure
	Need   float64  `json:"need"`
	Unit   string   `json:"unit"`
	AtMost bool     `json:"at_most"` // the value must be at most Need, else at least
	Met    bool     `json:"met"`
}

func checkTargets(byName map[string]*pathResult) []goal {
	var out []goal
	add := func(what string, value, need float64, unit string, atMost bool) {
		met := value >= need
		if atMost {
			met = value <= need
		}
		var measured *float64
		if !math.IsNaN(value) && !math.IsInf(value, 0) {
			measured = &value
		} else {
			met = false
		}
		out = append(out, goal{Goal: what, Value: measured, Need: need, Unit: unit, AtMost: atMost, Met: met})
	}
	v := func(path, metric string) float64 { return byName[path].value(metric) }

	for _, dir := range []string{mUpload, mDownload} {
		add("portals-direct "+dir+" ÷ ssh", v("portals-direct", dir)/v("ssh", dir), 1.5, "×", false)
		add("portals-relay "+dir+" ÷ ssh", v("portals-relay", dir)/v("ssh", dir), 1.2, "×", false)
	}
	for _, p := range []string{"portals-direct", "portals-relay"} {
		add(p+" ping p50 ÷ ssh ping p50", v(p, mPingP50)/v("ssh", mPingP50), 1, "×", true)
		add(p+" new connection first byte p50", v(p, mConnP50), 1000, "µs", true)
		add(p+" idle RSS per connection", v(p, mIdleRSS), 64, "KiB", true)
		add(p+" idle Go heap per connection", v(p, mIdleHeap), 64, "KiB", true)
		for _, dir := range []string{mUpload, mDownload} {
			add(p+"+delay "+dir+" ÷ tcp+delay", v(p+"+delay", dir)/v("tcp+delay", dir), 0.8, "×", false)
		}
	}
	return out
}

func printTargets(w io.Writer, ts []goal) {
	fmt.Fprintln(w, "| target | measured | need | met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, t := range ts {
		rel := "≥"
		if t.AtMost {
			rel = "≤"
		}
		met := "no"
		if t.Met {
			met = "yes"
		}
		value := math.NaN()
		if t.Value != nil {
			value = *t.Value
		}
		fmt.Fprintf(w, "| %s | %s %s | %s %g %s | %s |\n", t.Goal, cell("%.2f", value), t.Unit, rel, t.Need, t.Unit, met)
	}
}

// report is the JSON document of a run.
type report struct {
	Command  string          `json:"command"`
	Machine  machine         `json:"machine"`
	Build    build           `json:"build"`
	Plan     plan            `json:"plan"`
	Seconds  float64         `json:"seconds"`
	Paths    []*pathResult   `json:"paths"`
	Delay    []*pathResult   `json:"delay_profile"`
	Targets  []goal          `json:"targets"`
	Profiles []profileResult `json:"profiles,omitempty"`
}

func writeJSON(file string, r *report) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

// printProfiles prints the counts and the main CPU categories of each
// profiled transfer.
func printProfiles(w io.Writer, ps []profileResult) {
	cats := []string{"AES-GCM (seal and open)", "kernel scheduling, futexes and wakeups", "kernel TCP/IP and loopback",
		"kernel copies to and from sockets", "user-space copies (memmove, memclr)", "other user space"}
	head := []string{"transfer", "syscalls/MiB", "context switches/MiB"}
	for _, c := range cats {
		head = append(head, c+" %")
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(head)))
	for _, p := range ps {
		row := []string{p.Path + " " + p.Direction, fmt.Sprintf("%.1f", p.perMiB(p.Syscalls)), fmt.Sprintf("%.1f", p.perMiB(p.ContextSwitches))}
		for _, c := range cats {
			row = append(row, fmt.Sprintf("%.1f", p.Categories[c]))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}
