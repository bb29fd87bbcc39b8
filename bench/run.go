package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/portalsapp/portals/bench/stats"
)

// metric is one figure of one path: a value per round and their median.
type metric struct {
	Unit   string    `json:"unit"`
	Median float64   `json:"median"`
	Rounds []float64 `json:"rounds"`
}

// pathResult holds every figure of one path.
type pathResult struct {
	Name    string             `json:"name"`
	Metrics map[string]*metric `json:"metrics"`
	Idle    *idleCost          `json:"idle,omitempty"`
	Errors  []string           `json:"errors,omitempty"`
}

// Metric names, as they appear in the JSON.
const (
	mUpload     = "upload_gbps"
	mDownload   = "download_gbps"
	mParallel   = "parallel_download_gbps"
	mCPU        = "cpu_seconds_per_gib"
	mSelfCPU    = "client_target_cpu_seconds_per_gib"
	mPingP50    = "pingpong_p50_us"
	mPingP99    = "pingpong_p99_us"
	mConnP50    = "new_conn_first_byte_p50_us"
	mConnP99    = "new_conn_first_byte_p99_us"
	mColdStart  = "cold_start_ms"
	mIdleRSS    = "idle_rss_per_conn_kib"
	mIdlePSS    = "idle_pss_per_conn_kib"
	mIdleHeap   = "idle_go_heap_per_conn_kib"
	unitGbps    = "Gbit/s"
	unitMicros  = "µs"
	unitMillis  = "ms"
	unitKiB     = "KiB"
	unitSeconds = "s"
)

// bench runs the measurements and collects their results.
type bench struct {
	plan    plan
	w       *world
	log     io.Writer
	results map[string]*pathResult
	order   []string // path names in table order
}

func (b *bench) result(name string) *pathResult {
	r, ok := b.results[name]
	if !ok {
		r = &pathResult{Name: name, Metrics: map[string]*metric{}}
		b.results[name] = r
		b.order = append(b.order, name)
	}
	return r
}

func (b *bench) add(path, name, unit string, v float64) {
	r := b.result(path)
	m, ok := r.Metrics[name]
	if !ok {
		m = &metric{Unit: unit}
		r.Metrics[name] = m
	}
	m.Rounds = append(m.Rounds, v)
	m.Median = stats.Median(m.Rounds)
}

func (b *bench) fail(path, measurement string, err error) {
	msg := fmt.Sprintf("%s: %v", measurement, err)
	r := b.result(path)
	r.Errors = append(r.Errors, msg)
	fmt.Fprintf(b.log, "  %s: FAILED %s\n", path, msg)
}

// alternate runs f for every path, rounds times, starting each round one
// path further on, so that slow moments of a shared machine fall on every
// path alike.
func (b *bench) alternate(measurement string, paths []*path, rounds int, f func(p *path, round int) error) {
	start := time.Now()
	for round := range rounds {
		for i := range paths {
			p := paths[(i+round)%len(paths)]
			if err := f(p, round); err != nil {
				b.fail(p.name, measurement, err)
			}
		}
	}
	fmt.Fprintf(b.log, "%s: done in %v\n", measurement, time.Since(start).Round(time.Millisecond))
}

// throughput measures single-stream upload and download with the CPU
// time they cost, then parallel downloads.
func (b *bench) throughput(paths []*path, rounds int, size int64, limit time.Duration) {
	b.alternate("single-stream throughput", paths, rounds, func(p *path, _ int) error {
		for _, dir := range []struct {
			name string
			f    func(string, int64, time.Duration) (transfer, error)
		}{{mUpload, upload}, {mDownload, download}} {
			t, err := withCPU(p, func() (transfer, error) { return dir.f(p.addr, size, limit) })
			if err != nil {
				return fmt.Errorf("%s: %w", dir.name, err)
			}
			b.add(p.name, dir.name, unitGbps, t.gbps())
			b.add(p.name, mSelfCPU, unitSeconds, t.SelfCPU.Seconds()/(float64(t.Bytes)/gib))
			if len(p.pids()) > 0 {
				b.add(p.name, mCPU, unitSeconds, t.CPU.Seconds()/(float64(t.Bytes)/gib))
			}
		}
		return nil
	})
}

func (b *bench) parallel(paths []*path) {
	pl := b.plan
	b.alternate(fmt.Sprintf("%d parallel streams", pl.ParallelStreams), paths, pl.Rounds, func(p *path, _ int) error {
		t, err := parallelDownload(p.addr, pl.ParallelStreams, pl.ParallelBytes, pl.TransferLimit)
		if err != nil {
			return err
		}
		b.add(p.name, mParallel, unitGbps, t.gbps())
		return nil
	})
}

func (b *bench) pingPong(paths []*path, rounds, count int) {
	b.alternate("ping-pong", paths, rounds, func(p *path, _ int) error {
		samples, err := pingPong(p.addr, count)
		if err != nil {
			return err
		}
		us := stats.Micros(samples)
		b.add(p.name, mPingP50, unitMicros, stats.Percentile(us, 50))
		b.add(p.name, mPingP99, unitMicros, stats.Percentile(us, 99))
		return nil
	})
}

func (b *bench) newConns(paths []*path) {
	b.alternate("new connection first byte", paths, b.plan.Rounds, func(p *path, _ int) error {
		samples, err := connectFirstByte(p.addr, b.plan.NewConns)
		if err != nil {
			return err
		}
		us := stats.Micros(samples)
		b.add(p.name, mConnP50, unitMicros, stats.Percentile(us, 50))
		b.add(p.name, mConnP99, unitMicros, stats.Percentile(us, 99))
		return nil
	})
}

func (b *bench) idle(paths []*path) {
	var withProcs []*path
	for _, p := range paths {
		if len(p.pids()) > 0 {
			withProcs = append(withProcs, p)
		}
	}
	b.alternate(fmt.Sprintf("%d idle connections", b.plan.IdleConns), withProcs, 1, func(p *path, _ int) error {
		cost, err := idleMemory(p, b.plan.IdleConns, b.plan.IdleSettle)
		if err != nil {
			return err
		}
		b.result(p.name).Idle = &cost
		b.add(p.name, mIdleRSS, unitKiB, cost.perConnRSS()/1024)
		b.add(p.name, mIdlePSS, unitKiB, cost.perConnPSS()/1024)
		if len(cost.Engines) > 0 {
			b.add(p.name, mIdleHeap, unitKiB, cost.perConnHeap()/1024)
		}
		// Let the closed connections wind down before the next path.
		time.Sleep(b.plan.IdleSettle)
		return nil
	})
}

func (b *bench) coldStarts() {
	w := b.w
	kinds := []*path{{name: "ssh"}, {name: "portals-direct"}, {name: "portals-relay"}}
	b.alternate("cold start", kinds, b.plan.ColdStarts, func(p *path, round int) error {
		var d time.Duration
		var err error
		switch p.name {
		case "ssh":
			d, err = w.coldSSH(round)
		case "portals-direct":
			d, err = w.coldPortals("direct", w.sharerDirect, round)
		default:
			d, err = w.coldPortals("relay", w.sharerRelay, round)
		}
		if err != nil {
			return err
		}
		b.add(p.name, mColdStart, unitMillis, float64(d)/float64(time.Millisecond))
		return nil
	})
}

// delayProfile runs throughput and ping-pong through the delay proxies.
func (b *bench) delayProfile(paths []*path) {
	pl := b.plan
	b.throughput(paths, pl.DelayRounds, pl.DelayBytes, pl.DelayLimit)
	b.pingPong(paths, pl.DelayRounds, pl.DelayPingPongs)
}

func names(paths []*path) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = p.name
	}
	return strings.Join(out, ", ")
}
