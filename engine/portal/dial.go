package portal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// DefaultDialTimeout bounds a dial to a target, over all its addresses.
const DefaultDialTimeout = 5 * time.Second

// Dial connects to target ("host:port"), resolving the host afresh and
// trying every address it resolves to in order until one connects, all
// within timeout. The error names the target and each address with its
// failure.
func Dial(ctx context.Context, target string, timeout time.Duration) (*net.TCPConn, error) {
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("invalid target %q: %w", target, err)
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}

	var failures []string
	var d net.Dialer
	for _, addr := range addrs {
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, port))
		if err == nil {
			return conn.(*net.TCPConn), nil
		}
		failures = append(failures, fmt.Sprintf("%s: %s", net.JoinHostPort(addr, port), dialFailure(err)))
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil && len(failures) < len(addrs) {
		failures = append(failures, fmt.Sprintf("%d more not tried", len(addrs)-len(failures)))
	}
	return nil, fmt.Errorf("dialing %s failed (%s)", target, strings.Join(failures, "; "))
}

// dialFailure shortens a dial error to its cause.
func dialFailure(err error) string {
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return "timed out"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return err.Error()
}
