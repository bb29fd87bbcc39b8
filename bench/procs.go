package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// runner starts the helper processes of a run, each in its own process
// group with its log in the run's directory, and stops every one of them
// at the end.
type runner struct {
	dir string

	mu    sync.Mutex // guards procs
	procs []*exec.Cmd
}

// start runs name with args in the background. Its stderr (and stdout,
// unless stdout is given) go to dir/LABEL.log.
func (r *runner) start(label string, stdout io.Writer, env []string, name string, args ...string) (*exec.Cmd, error) {
	logFile, err := os.Create(filepath.Join(r.dir, label+".log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logFile
	cmd.Stdout = logFile
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", label, err)
	}
	r.mu.Lock()
	r.procs = append(r.procs, cmd)
	r.mu.Unlock()
	return cmd, nil
}

// stop ends one process started by start, with its process group
// (socat's and sshd's forked children): SIGTERM, then SIGKILL after 5 s.
func (r *runner) stop(cmd *exec.Cmd) {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Children that outlived their parent keep the group id.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// stopOne stops cmd and removes it from the processes stopAll stops.
func (r *runner) stopOne(cmd *exec.Cmd) {
	r.mu.Lock()
	for i, c := range r.procs {
		if c == cmd {
			r.procs = append(r.procs[:i], r.procs[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	r.stop(cmd)
}

// stopAll stops every process, newest first.
func (r *runner) stopAll() {
	r.mu.Lock()
	procs := r.procs
	r.procs = nil
	r.mu.Unlock()
	var wg sync.WaitGroup
	for i := len(procs) - 1; i >= 0; i-- {
		wg.Add(1)
		go func(cmd *exec.Cmd) { defer wg.Done(); r.stop(cmd) }(procs[i])
	}
	wg.Wait()
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
