package session

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999999, 1.5, -1} {
		b := Backoff{Rand: func() float64 { return r }}
		step := time.Second
		for attempt := range 12 {
			d := b.Next()
			if d < step/2 || d > step {
				t.Errorf("rand %v, attempt %d: delay %v, want within [%v, %v]", r, attempt, d, step/2, step)
			}
			step = min(step*2, DefaultBackoffMax)
		}
	}
}

func TestBackoffSequence(t *testing.T) {
	b := Backoff{Rand: func() float64 { return 1 }}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, w := range want {
		if d := b.Next(); d != w*time.Second {
			t.Errorf("attempt %d: %v, want %v", i, d, w*time.Second)
		}
	}

	b.Reset()
	if d := b.Next(); d != time.Second {
		t.Errorf("after Reset: %v, want 1s", d)
	}
}

func TestBackoffCustomAndFloor(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: 50 * time.Millisecond, Rand: func() float64 { return 0 }}
	for range 5 {
		if d := b.Next(); d != 50*time.Millisecond {
			t.Errorf("Max below Min: delay %v, want the floor Min/2 = 50ms", d)
		}
	}

	var zero Backoff
	for range 100 {
		if d := zero.Next(); d < DefaultBackoffMin/2 || d > DefaultBackoffMax {
			t.Fatalf("zero Backoff gave %v", d)
		}
	}
}
