// Package localapi is the engine's HTTP API on a Unix socket in the state
// directory. The CLI uses it to talk to a running engine; the app calls
// the engine in-process instead.
//
// Only the user who owns the state directory can connect: the socket is
// created with mode 0600 inside a directory of mode 0700. Requests that
// carry an Origin header come from a browser and are rejected.
package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// SocketName is the file name of the socket inside the state directory.
const SocketName = "engine.sock"

// maxRequestBody bounds a request body, in bytes.
const maxRequestBody = 64 << 10

// Server serves the local API for one engine.
type Server struct {
	backend Backend
	logger  *slog.Logger
	http    *http.Server
	ln      net.Listener
}

// SocketPath returns the socket path for a state directory.
func SocketPath(stateDir string) string {
	return filepath.Join(stateDir, SocketName)
}

// Listen creates the socket in stateDir and starts serving. A stale socket
// left by an engine that died is replaced; the caller must hold the state
// directory lock, so no live engine can own it.
func Listen(stateDir string, backend Backend, logger *slog.Logger) (*Server, error) {
	path := SocketPath(stateDir)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("localapi: removing stale socket %s: %w", path, err)
	}

	// The umask makes the socket 0600 from its creation, so there is no
	// window in which another user could connect.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("localapi: listening on %s: %w", path, err)
	}

	s := &Server{backend: backend, logger: logger, ln: ln}
	// IdleTimeout closes keep-alive connections of clients that went
	// quiet, so a long-lived client does not pin a goroutine and a
	// descriptor in the engine.
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
	go s.http.Serve(ln)
	return s, nil
}

// Close stops serving and removes the socket.
func (s *Server) Close() error {
	err := s.http.Close()
	os.Remove(s.ln.Addr().String())
	return err
}

// rejectBrowsers refuses any request with an Origin header: the CLI never
// sends one, and a web page must not drive the engine.
func (s *Server) rejectBrowsers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			writeError(w, http.StatusForbidden, errors.New("requests from browsers are not accepted"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.backend.Snapshot())
}

// AddRelayRequest is the body of POST /v1/relays.
type AddRelayRequest struct {
	Link string `json:"link"`
}

func (s *Server) handleAddRelay(w http.ResponseWriter, r *http.Request) {
	var req AddRelayRequest
	if !decode(w, r, &req) {
		return
	}

	// Never log the link: it carries the relay's registration secret.
	s.logger.Info("local API: adding relay")
	if err := s.backend.AddRelay(r.Context(), req.Link); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, s.backend.Snapshot())
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid request body: %w", err)
	}
	return nil
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorBody{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
