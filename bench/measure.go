package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/portalsapp/portals/bench/procfs"
)

// transfer is one timed bulk transfer.
type transfer struct {
	Bytes   int64
	Elapsed time.Duration
	CPU     time.Duration // CPU time of the path's processes during it
	SelfCPU time.Duration // CPU time of this process (the client and the target) during it
}

// gbps is the transfer's rate in Gbit/s.
func (t transfer) gbps() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Bytes) * 8 / t.Elapsed.Seconds() / 1e9
}

// dialTimeout bounds every connect and hello byte of a measurement.
const dialTimeout = 10 * time.Second

// upload sends up to n bytes, or as many as fit in limit, and returns
// when the target has counted them all.
func upload(addr string, n int64, limit time.Duration) (transfer, error) {
	c, err := dialPath(addr, dialTimeout)
	if err != nil {
		return transfer{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(limit + 30*time.Second))

	start := time.Now()
	stop := start.Add(limit)
	if _, err := c.Write([]byte{opUpload}); err != nil {
		return transfer{}, err
	}
	var sent int64
	for sent < n && time.Now().Before(stop) {
		chunk := min(n-sent, ioSize)
		if _, err := c.Write(zeros[:chunk]); err != nil {
			return transfer{}, fmt.Errorf("uploading after %d bytes: %w", sent, err)
		}
		sent += chunk
	}
	if err := c.CloseWrite(); err != nil {
		return transfer{}, err
	}
	var count [8]byte
	if _, err := io.ReadFull(c, count[:]); err != nil {
		return transfer{}, fmt.Errorf("reading the target's byte count: %w", err)
	}
	if got := int64(binary.BigEndian.Uint64(count[:])); got != sent {
		return transfer{}, fmt.Errorf("the target counted %d bytes, %d were sent", got, sent)
	}
	return transfer{Bytes: sent, Elapsed: time.Since(start)}, nil
}

// download requests n bytes and reads them, or as many as arrive in
// limit.
func download(addr string, n int64, limit time.Duration) (transfer, error) {
	c, err := dialPath(addr, dialTimeout)
	if err != nil {
		return transfer{}, err
	}
	defer c.Close()

	start := time.Now()
	c.SetDeadline(start.Add(limit))
	req := binary.BigEndian.AppendUint64([]byte{opDownload}, uint64(n))
	if _, err := c.Write(req); err != nil {
		return transfer{}, err
	}
	buf := make([]byte, ioSize)
	var got int64
	for got < n {
		k, err := c.Read(buf)
		got += int64(k)
		if err != nil {
			if isTimeout(err) && got > 0 {
				break // limit reached: report what arrived
			}
			return transfer{}, fmt.Errorf("downloading after %d of %d bytes: %w", got, n, err)
		}
	}
	return transfer{Bytes: got, Elapsed: time.Since(start)}, nil
}

// withCPU runs f and adds the CPU time the path's processes used. It
// waits briefly after f so that forked helpers that exit are reaped into
// their parent's counters.
func withCPU(p *path, f func() (transfer, error)) (transfer, error) {
	before, selfBefore := procfs.CPU(p.pids()), selfCPU()
	t, err := f()
	t.SelfCPU = selfCPU() - selfBefore
	time.Sleep(200 * time.Millisecond)
	t.CPU = procfs.CPU(p.pids()) - before
	return t, err
}

// selfCPU returns the user plus system time of this process alone, without
// its children.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parallelDownload runs streams downloads of n bytes each at once and
// reports them as one transfer.
func parallelDownload(addr string, streams int, n int64, limit time.Duration) (transfer, error) {
	var wg sync.WaitGroup
	results := make([]transfer, streams)
	errs := make([]error, streams)
	start := time.Now()
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = download(addr, n, limit)
		}()
	}
	wg.Wait()
	total := transfer{Elapsed: time.Since(start)}
	for _, r := range results {
		total.Bytes += r.Bytes
	}
	return total, errors.Join(errs...)
}

// pingPong sends one byte and waits for its echo, count times after a
// short warm-up, on one connection.
func pingPong(addr string, count int) ([]time.Duration, error) {
	c, err := dialPath(addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Duration(count+100) * time.Second / 10))
	if _, err := c.Write([]byte{opEcho}); err != nil {
		return nil, err
	}

	const warmup = 20
	out := make([]time.Duration, 0, count)
	b := []byte{'p'}
	for i := range count + warmup {
		start := time.Now()
		if _, err := c.Write(b); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return nil, fmt.Errorf("ping %d: %w", i, err)
		}
		if i >= warmup {
			out = append(out, time.Since(start))
		}
	}
	return out, nil
}

// connectFirstByte opens count connections one after another and times
// each from the connect to the target's hello byte.
func connectFirstByte(addr string, count int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, count)
	for i := range count {
		start := time.Now()
		c, err := dialPath(addr, dialTimeout)
		if err != nil {
			return nil, fmt.Errorf("connection %d: %w", i, err)
		}
		out = append(out, time.Since(start))
		c.Close()
	}
	return out, nil
}

// idleCost is the resident memory of a path's processes before and after
// opening idle connections through it.
type idleCost struct {
	Conns         int
	Before, After procfs.Memory
	PerProcess    []processMemory
	// Engines holds what each Portals engine of the path reports about
	// its Go runtime, before and after.
	Engines []engineMemory `json:",omitempty"`
}

// engineMemory is the local API's runtime report of one engine.
type engineMemory struct {
	PID                               int
	HeapBefore, HeapAfter             int64
	GoroutinesBefore, GoroutinesAfter int
}

type processMemory struct {
	PID           int
	Before, After int64 // VmRSS in bytes
}

// perConnRSS is the growth of the summed VmRSS per connection, in bytes.
func (c idleCost) perConnRSS() float64 {
	return float64(c.After.RSS-c.Before.RSS) / float64(c.Conns)
}

// perConnHeap is the growth of the Go heap in use, summed over the
// path's engines, per connection, in bytes. Unlike RSS it counts buffers
// whose pages were never touched, which a process that has moved data
// before reuses dirty.
func (c idleCost) perConnHeap() float64 {
	var sum int64
	for _, e := range c.Engines {
		sum += e.HeapAfter - e.HeapBefore
	}
	return float64(sum) / float64(c.Conns)
}

func (c idleCost) perConnPSS() float64 {
	return float64(c.After.PSS-c.Before.PSS) / float64(c.Conns)
}

// idleMemory opens count connections through p, proves each reaches the
// target, waits for the processes to settle and measures their memory.
func idleMemory(p *path, count int, settle time.Duration) (idleCost, error) {
	roots := p.pids()
	cost := idleCost{Conns: count, Before: procfs.TreeMemory(roots)}
	before := rootRSS(roots)
	engines := make([]engineMemory, len(p.nodes))
	for i, n := range p.nodes {
		engines[i].PID = n.pid()
		if rt, err := n.runtime(); err == nil {
			engines[i].HeapBefore, engines[i].GoroutinesBefore = rt.HeapBytes, rt.Goroutines
		}
	}

	conns, err := openIdle(p.addr, count)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return cost, err
	}
	time.Sleep(settle)

	cost.After = procfs.TreeMemory(roots)
	after := rootRSS(roots)
	for i, n := range p.nodes {
		if rt, err := n.runtime(); err == nil {
			engines[i].HeapAfter, engines[i].GoroutinesAfter = rt.HeapBytes, rt.Goroutines
		}
	}
	cost.Engines = engines
	for i, pid := range roots {
		cost.PerProcess = append(cost.PerProcess, processMemory{PID: pid, Before: before[i], After: after[i]})
	}
	return cost, nil
}

// idleDialers is how many idle connections are opened at once. ssh takes
// about 40 ms to open each forwarded connection, so opening them one by
// one would take most of a minute.
const idleDialers = 16

// openIdle opens count connections to addr, idleDialers at a time, each
// proven to reach the target. It returns the connections opened even
// when one failed, for the caller to close.
func openIdle(addr string, count int) ([]net.Conn, error) {
	conns := make([]net.Conn, count)
	errs := make([]error, count)
	next := make(chan int)
	var wg sync.WaitGroup
	for range idleDialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := dialPath(addr, dialTimeout)
				if err != nil {
					errs[i] = fmt.Errorf("idle connection %d of %d: %w", i+1, count, err)
					continue
				}
				conns[i] = c
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()

	opened := conns[:0]
	for _, c := range conns {
		if c != nil {
			opened = append(opened, c)
		}
	}
	return opened, errors.Join(errs...)
}

func rootRSS(roots []int) []int64 {
	out := make([]int64, len(roots))
	for i, pid := range roots {
		out[i] = procfs.TreeMemory([]int{pid}).RSS
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func dialTCP(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, time.Second)
}
