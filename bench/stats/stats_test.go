package stats

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 down to 1, unsorted on purpose
	}
	tests := []struct {
		name    string
		samples []float64
		p       float64
		want    float64
	}{
		{"empty", nil, 50, 0},
		{"one sample", []float64{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the maximum", hundred, 100, 100},
		{"tiny p is the minimum", hundred, 0.1, 1},
		{"p50 of four", []float64{4, 1, 3, 2}, 50, 2},
		{"p99 of four is the maximum", []float64{4, 1, 3, 2}, 99, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.samples, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.samples, tc.p, got, tc.want)
			}
		})
	}
}

func TestPercentileLeavesInputAlone(t *testing.T) {
	samples := []float64{3, 1, 2}
	Percentile(samples, 50)
	if samples[0] != 3 || samples[1] != 1 || samples[2] != 2 {
		t.Errorf("Percentile reordered its input: %v", samples)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		samples []float64
		want    float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tc := range tests {
		if got := Median(tc.samples); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.samples, got, tc.want)
		}
	}
}

func TestMicros(t *testing.T) {
	got := Micros([]time.Duration{1500 * time.Nanosecond, 2 * time.Millisecond})
	if got[0] != 1.5 || got[1] != 2000 {
		t.Errorf("Micros = %v, want [1.5 2000]", got)
	}
}
