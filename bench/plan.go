package main

import "time"

// plan sets how much each measurement does. fullPlan is `make bench`,
// quickPlan is `--quick`.
type plan struct {
	Mode            string        `json:"mode"`
	Rounds          int           `json:"rounds"` // each metric alternates the paths this many times
	StreamBytes     int64         `json:"stream_bytes"`
	ParallelStreams int           `json:"parallel_streams"`
	ParallelBytes   int64         `json:"parallel_bytes_per_stream"`
	TransferLimit   time.Duration `json:"transfer_limit_ns"`
	PingPongs       int           `json:"ping_pongs_per_round"`
	NewConns        int           `json:"new_conns_per_round"`
	IdleConns       int           `json:"idle_conns"`
	IdleSettle      time.Duration `json:"idle_settle_ns"`
	ColdStarts      int           `json:"cold_starts"`
	Delay           time.Duration `json:"delay_each_way_ns"`
	DelayRounds     int           `json:"delay_rounds"`
	DelayBytes      int64         `json:"delay_stream_bytes"`
	DelayLimit      time.Duration `json:"delay_transfer_limit_ns"`
	DelayPingPongs  int           `json:"delay_ping_pongs_per_round"`

	// DelayWindow is the delay proxy's bytes in flight per direction, in
	// bytes: the kernel's largest TCP receive buffer unless --delay-window
	// sets it.
	DelayWindow int `json:"delay_window_bytes"`
}

const gib = 1 << 30

var fullPlan = plan{
	Mode:            "full",
	Rounds:          3,
	StreamBytes:     gib,
	ParallelStreams: 4,
	ParallelBytes:   gib / 4,
	TransferLimit:   60 * time.Second,
	PingPongs:       2000,
	NewConns:        200,
	IdleConns:       1000,
	IdleSettle:      2 * time.Second,
	ColdStarts:      5,
	Delay:           25 * time.Millisecond,
	DelayRounds:     3,
	DelayBytes:      256 << 20,
	DelayLimit:      8 * time.Second,
	DelayPingPongs:  40,
}

var quickPlan = plan{
	Mode:            "quick",
	Rounds:          1,
	StreamBytes:     128 << 20,
	ParallelStreams: 4,
	ParallelBytes:   32 << 20,
	TransferLimit:   10 * time.Second,
	PingPongs:       300,
	NewConns:        50,
	IdleConns:       200,
	IdleSettle:      500 * time.Millisecond,
	ColdStarts:      1,
	Delay:           25 * time.Millisecond,
	DelayRounds:     1,
	DelayBytes:      32 << 20,
	DelayLimit:      3 * time.Second,
	DelayPingPongs:  10,
}
