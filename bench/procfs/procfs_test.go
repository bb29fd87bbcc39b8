package procfs

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	line := "4242 (a (weird) name) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 1 0 100 1000 200\n"
	st, err := parseStat(4242, []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != 17 {
		t.Errorf("PPID = %d, want 17", st.PPID)
	}
	if want := 3100 * time.Millisecond; st.CPU != want { // (250+50+7+3) ticks
		t.Errorf("CPU = %v, want %v", st.CPU, want)
	}
}

func TestTreeAndMemoryOfSelf(t *testing.T) {
	self := os.Getpid()
	if tree := Tree([]int{self}); len(tree) == 0 || tree[0] != self {
		t.Fatalf("Tree(self) = %v, want it to start with %d", tree, self)
	}
	if m := TreeMemory([]int{self}); m.RSS <= 0 || m.Processes != 1 {
		t.Errorf("TreeMemory(self) = %+v, want RSS > 0 and one process", m)
	}
}
