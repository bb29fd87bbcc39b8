// Command bench measures Portals against a direct TCP connection, a socat
// forward and ssh -L on loopback, in one run that alternates the paths,
// and repeats the throughput and ping-pong measurements through a delay
// proxy. It prints Markdown tables and writes the figures as JSON.
//
// Run it through `make bench` (or `make bench BENCHFLAGS=--quick`). It
// needs root (for the throwaway sshd), socat, ssh, sshd and ssh-keygen,
// and a built portals binary. Every process it starts runs on 127.0.0.1
// from a temporary directory and is stopped at the end.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Wall-clock bounds of a whole run; past them the run stops its
// processes and exits.
const (
	fullRunLimit  = 30 * time.Minute
	quickRunLimit = 3 * time.Minute
)

type options struct {
	only    map[string]bool // sections to run; nil runs all
	quick   bool
	exe     string
	out     string
	profile string
	keep    bool
	window  int // delay proxy window in bytes; 0 means the kernel's largest TCP receive buffer
}

// sections are the parts of a run that --only selects.
var sections = []string{"idle", "throughput", "latency", "cold", "delay"}

func (o options) runs(section string) bool {
	return o.only == nil || o.only[section]
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == forwardCommand {
		if err := runForward(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "bench forward: %v\n", err)
			os.Exit(1)
		}
		return
	}

	var o options
	flag.BoolVar(&o.quick, "quick", false, "small sizes and one round, for a check in under 60 s")
	flag.StringVar(&o.exe, "portals", "bin/portals", "the portals binary to measure")
	flag.StringVar(&o.out, "json", "bench/results/latest.json", "where to write the JSON results")
	flag.StringVar(&o.profile, "profile", "", "after measuring, record `perf` CPU profiles of the Portals and ssh processes during one upload and one download each, into this directory")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory with the processes' logs")
	flag.IntVar(&o.window, "delay-window", 0, "bytes in flight per direction through the delay proxy (default: the kernel's largest TCP receive buffer, net.ipv4.tcp_rmem)")
	only := flag.String("only", "", "run only these comma-separated sections: "+strings.Join(sections, ","))
	flag.Parse()
	if *only != "" {
		o.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			if !slices.Contains(sections, s) {
				fmt.Fprintf(os.Stderr, "bench: unknown section %q in --only; choose from %s\n", s, strings.Join(sections, ","))
				os.Exit(2)
			}
			o.only[s] = true
		}
	}
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(o options, out io.Writer) error {
	exe, err := filepath.Abs(o.exe)
	if err != nil {
		return err
	}
	if _, err := os.Stat(exe); err != nil {
		return fmt.Errorf("no portals binary at %s: build it with `go build -o bin/portals ./cmd/portals` or pass --portals", exe)
	}
	dir, err := os.MkdirTemp("", "portals-bench-")
	if err != nil {
		return err
	}
	r := &runner{dir: dir}
	w := &world{r: r, pe: &portalsEnv{r: r, exe: exe}}
	defer func() {
		w.close()
		if o.keep {
			fmt.Fprintf(out, "logs kept in %s\n", dir)
		} else {
			os.RemoveAll(dir)
		}
	}()

	pl, limit := fullPlan, fullRunLimit
	if o.quick {
		pl, limit = quickPlan, quickRunLimit
	}
	pl.DelayWindow = o.window
	if pl.DelayWindow <= 0 {
		pl.DelayWindow = tcpReceiveBufferMax()
	}
	stopOnSignalOrLimit(w, limit)

	rep, err := measure(o, pl, w, out)
	if err != nil {
		return err
	}
	rep.Build = describeBuild(exe)
	fmt.Fprintf(out, "measured %s at commit %s (%d files under engine/ and cmd/ modified)\n", exe, rep.Build.Revision, len(rep.Build.ModifiedFiles))
	return writeJSON(o.out, rep)
}

// stopOnSignalOrLimit stops every process and exits when the run is
// interrupted or runs past limit.
func stopOnSignalOrLimit(w *world, limit time.Duration) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sig:
			fmt.Fprintf(os.Stderr, "bench: %v: stopping every process\n", s)
		case <-time.After(limit):
			fmt.Fprintf(os.Stderr, "bench: the run passed its limit of %v: stopping every process\n", limit)
		}
		w.close()
		os.Exit(1)
	}()
}

func measure(o options, pl plan, w *world, out io.Writer) (*report, error) {
	start := time.Now()
	rep := &report{Command: "bench " + strings.Join(os.Args[1:], " "), Machine: describeMachine(), Plan: pl}
	fmt.Fprintf(out, "machine: %s, %d cores, Linux %s, %s; load average %s\n",
		rep.Machine.CPUModel, rep.Machine.Cores, rep.Machine.Kernel, rep.Machine.GoVersion, rep.Machine.LoadBefore)

	paths, err := w.mainPaths()
	if err != nil {
		return nil, fmt.Errorf("setting up the paths: %w", err)
	}
	fmt.Fprintf(out, "paths up in %v: %s\n", time.Since(start).Round(time.Millisecond), names(paths))

	b := &bench{plan: pl, w: w, log: out, results: map[string]*pathResult{}}
	for _, p := range paths {
		b.result(p.name)
	}
	// Idle memory first, while the processes hold no buffers from bulk
	// transfers that their runtimes would return to the system during
	// the measurement.
	if o.runs("idle") {
		b.idle(withoutReferences(paths))
	}
	if o.runs("throughput") {
		b.throughput(paths, pl.Rounds, pl.StreamBytes, pl.TransferLimit)
		b.parallel(paths)
	}
	if o.runs("latency") {
		b.pingPong(paths, pl.Rounds, pl.PingPongs)
		b.newConns(paths)
	}
	if o.runs("cold") {
		b.coldStarts()
	}

	var delayed []*path
	if o.runs("delay") {
		if delayed, err = w.delayPaths(pl); err != nil {
			return nil, fmt.Errorf("setting up the delay profile: %w", err)
		}
		fmt.Fprintf(out, "delay profile (%v each way, window %d KiB): %s\n", pl.Delay, pl.DelayWindow>>10, names(delayed))
		b.delayProfile(delayed)
	}

	if o.profile != "" {
		profiles, err := profile(o.profile, pl, paths)
		if err != nil {
			return nil, err
		}
		rep.Profiles = profiles
	}

	rep.Machine.LoadAfter = firstLine("/proc/loadavg")
	rep.Seconds = time.Since(start).Seconds()
	for _, p := range paths {
		rep.Paths = append(rep.Paths, b.results[p.name])
	}
	for _, p := range delayed {
		rep.Delay = append(rep.Delay, b.results[p.name])
	}
	rep.Targets = checkTargets(b.results)
	printReport(out, rep, b.results)
	return rep, nil
}

func printReport(out io.Writer, rep *report, byName map[string]*pathResult) {
	fmt.Fprintf(out, "\n## Loopback (%s run, median of %d rounds)\n\n", rep.Plan.Mode, rep.Plan.Rounds)
	printTable(out, rep.Paths, mainColumns)
	fmt.Fprintln(out)
	printRatios(out, byName, []string{"portals-direct", "portals-relay"}, []string{"ssh", "socat", "go-2hop"}, mainColumns)
	fmt.Fprintf(out, "\n## %v added each way, window %d KiB (median of %d rounds)\n\n", rep.Plan.Delay, rep.Plan.DelayWindow>>10, rep.Plan.DelayRounds)
	printTable(out, rep.Delay, delayColumns)
	fmt.Fprintln(out)
	printRatios(out, byName, []string{"portals-direct+delay", "portals-relay+delay"}, []string{"tcp+delay", "ssh+delay"}, delayColumns)
	fmt.Fprintln(out, "\n## Targets")
	fmt.Fprintln(out)
	printTargets(out, rep.Targets)
	for _, r := range append(rep.Paths, rep.Delay...) {
		for _, e := range r.Errors {
			fmt.Fprintf(out, "error: %s: %s\n", r.Name, e)
		}
	}
	if len(rep.Profiles) > 0 {
		fmt.Fprintln(out, "\n## Profiles")
		fmt.Fprintln(out)
		printProfiles(out, rep.Profiles)
	}
	fmt.Fprintf(out, "\n%.0f s; load average before %s, after %s\n", rep.Seconds, rep.Machine.LoadBefore, rep.Machine.LoadAfter)
}
