package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/localapi"
)

// demoFileSize is the size of the random file the demo serves, in bytes.
const demoFileSize = 8 << 20

func demoCommand() *command {
	c := &command{name: "demo", usage: "demo", shortHelp: "Run a relay, a sharer and an accepter on this computer and fetch a file through a portal"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet(c, stderr)
		keep := fs.Bool("keep", false, "keep the temporary state directories and print where they are")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		d, err := newDemo(stdout, *keep)
		if err != nil {
			return err
		}
		defer d.cleanup()
		stop := d.cleanupOnSignal()
		defer stop()
		return d.run()
	}
	return c
}

// demo runs every process of the demo from one temporary directory.
type demo struct {
	out   io.Writer
	keep  bool
	exe   string
	dir   string
	procs []*exec.Cmd
}

func newDemo(out io.Writer, keep bool) (*demo, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the portals executable: %w", err)
	}
	dir, err := os.MkdirTemp("", "portals-demo-")
	if err != nil {
		return nil, err
	}
	return &demo{out: out, keep: keep, exe: exe, dir: dir}, nil
}

func (d *demo) run() error {
	start := time.Now()
	d.say("Portals demo: everything runs on this computer, on 127.0.0.1, with state in %s.", d.dir)

	file, digest, err := d.writeFile()
	if err != nil {
		return err
	}
	web, err := serveDirectory(filepath.Dir(file))
	if err != nil {
		return err
	}
	defer web.Close()
	d.say("A web server on %s serves %s (%d bytes, SHA-256 %x).", web.Addr(), filepath.Base(file), demoFileSize, digest)

	link, err := d.startRelay()
	if err != nil {
		return err
	}
	alice, bob := filepath.Join(d.dir, "alice"), filepath.Join(d.dir, "bob")
	if err := d.startNode(alice, "--relay", link); err != nil {
		return err
	}
	if err := d.startNode(bob); err != nil {
		return err
	}
	if err := waitEngine(alice, func(s *engine.Snapshot) bool { return len(s.Relays) == 1 && s.Relays[0].State == engine.StateUp }); err != nil {
		return fmt.Errorf("alice did not register with the relay: %w", err)
	}

	addr, err := d.shareAndAccept(alice, bob, web.Addr().String())
	if err != nil {
		return err
	}
	if err := d.fetch(addr, filepath.Base(file), digest); err != nil {
		return err
	}
	if _, err := d.portals("ls", "--state-dir", bob); err != nil {
		return err
	}
	d.say("Done in %v: the file crossed the relay end-to-end encrypted and arrived intact.", time.Since(start).Round(time.Millisecond))
	return nil
}

// shareAndAccept shares the web server as alice, invites, accepts as bob,
// and returns the inlet address.
func (d *demo) shareAndAccept(alice, bob, target string) (string, error) {
	if _, err := d.portals("share", "web", target, "--state-dir", alice); err != nil {
		return "", err
	}
	out, err := d.portals("invite", "web", "--state-dir", alice)
	if err != nil {
		return "", err
	}
	link := strings.TrimSpace(out)

	out, err = d.portals("accept", link, "--state-dir", bob, "--json")
	if err != nil {
		return "", err
	}
	var result engine.AcceptResult
	if err := jsonUnmarshal(out, &result); err != nil {
		return "", fmt.Errorf("reading the output of portals accept: %w", err)
	}
	return result.Addr, nil
}

func (d *demo) writeFile() (string, []byte, error) {
	data := make([]byte, demoFileSize)
	if _, err := rand.Read(data); err != nil {
		return "", nil, err
	}
	dir := filepath.Join(d.dir, "www")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "random.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(data)
	return path, sum[:], nil
}

// serveDirectory serves dir over HTTP on a free loopback port.
func serveDirectory(dir string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return ln, nil
}

func (d *demo) startRelay() (string, error) {
	dir := filepath.Join(d.dir, "relay")
	var out syncBuffer
	cmd, err := d.start(&out, "relay", "--listen", "127.0.0.1:0", "--print-link", "--state-dir", dir)
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, "portals://relay/") {
				d.say("The relay is up (pid %d). Its link carries its address, identity and registration secret.", cmd.Process.Pid)
				return line, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("the relay printed no link within 10s")
}

func (d *demo) startNode(dir string, extra ...string) error {
	args := append([]string{"up", "--state-dir", dir}, extra...)
	if _, err := d.start(io.Discard, args...); err != nil {
		return err
	}
	return waitEngine(dir, func(*engine.Snapshot) bool { return true })
}

// start runs a long-lived portals process in the background.
func (d *demo) start(stdout io.Writer, args ...string) (*exec.Cmd, error) {
	d.show(args)
	cmd := exec.Command(d.exe, args...)
	cmd.Env = append(os.Environ(), "PORTALS_VAULT=file")
	cmd.Stdout = stdout
	logFile, err := os.Create(filepath.Join(d.dir, fmt.Sprintf("log-%d.txt", len(d.procs))))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	logFile.Close()
	d.procs = append(d.procs, cmd)
	return cmd, nil
}

// portals runs one CLI command, prints it and its output, and returns the
// output.
func (d *demo) portals(args ...string) (string, error) {
	d.show(args)
	cmd := exec.Command(d.exe, args...)
	cmd.Env = append(os.Environ(), "PORTALS_VAULT=file")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	fmt.Fprint(d.out, indent(stdout.String()+stderr.String()))
	if err != nil {
		return "", fmt.Errorf("portals %s failed: %w", args[0], err)
	}
	return stdout.String(), nil
}

func (d *demo) fetch(addr, name string, want []byte) error {
	url := "http://" + addr + "/" + name
	d.say("$ curl -o - %s | sha256sum", url)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("fetching through the portal: %w", err)
	}
	defer resp.Body.Close()

	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return fmt.Errorf("reading through the portal after %d bytes: %w", n, err)
	}
	got := h.Sum(nil)
	fmt.Fprintf(d.out, "  %x  (%d bytes)\n", got, n)
	if !bytes.Equal(got, want) {
		return fmt.Errorf("the file arrived changed: SHA-256 %x, want %x", got, want)
	}
	d.say("The SHA-256 matches the original.")
	return nil
}

// cleanupOnSignal stops the demo's processes and removes its directory
// when the user interrupts it, then exits with the conventional status.
// The returned function stops watching.
func (d *demo) cleanupOnSignal() (stop func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			d.cleanup()
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(signals)
		close(done)
	}
}

func (d *demo) cleanup() {
	for _, cmd := range d.procs {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, cmd := range d.procs {
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	if d.keep {
		d.say("State and logs kept in %s.", d.dir)
		return
	}
	os.RemoveAll(d.dir)
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "\n"+format+"\n", args...)
}

// show prints a command as a user would type it.
func (d *demo) show(args []string) {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if strings.ContainsAny(a, " \"'") {
			quoted[i] = fmt.Sprintf("%q", a)
		}
	}
	fmt.Fprintf(d.out, "$ portals %s\n", strings.Join(quoted, " "))
}

func indent(text string) string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(text, "\n", "\n  ") + "\n"
}

// waitEngine polls the engine of dir until cond holds, for up to 15 s.
func waitEngine(dir string, cond func(*engine.Snapshot) bool) error {
	deadline := time.Now().Add(15 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s, err := localapi.NewClient(dir).Snapshot(ctx)
		cancel()
		if err == nil && cond(s) {
			return nil
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	if lastErr != nil {
		return lastErr
	}
	return errors.New("timed out after 15s")
}
