package localapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
)

// Request and response bodies of the local API.
type (
	// ShareRequest is the body of POST /v1/services.
	ShareRequest struct {
		Name   string `json:"name"`
		Target string `json:"target"`
	}

	// InviteRequest is the body of POST /v1/services/{name}/invitations.
	// Zero values mean the engine's defaults.
	InviteRequest struct {
		Uses    int    `json:"uses"`
		Expires string `json:"expires"` // a Go duration such as "72h"
	}

	// InviteResponse carries the invitation link.
	InviteResponse struct {
		Link    string    `json:"link"`
		Expires time.Time `json:"expires"`
		Uses    int       `json:"uses"`
	}

	// CancelInvitationsResponse is the response to DELETE
	// /v1/services/{name}/invitations.
	CancelInvitationsResponse struct {
		Service   string `json:"service"`
		Cancelled int    `json:"cancelled"` // open invitations deleted
	}

	// RevokeRequest is the body of POST /v1/services/{name}/revoke.
	RevokeRequest struct {
		Who string `json:"who"`
	}

	// RevokeResponse names the identity that was revoked.
	RevokeResponse struct {
		ID identity.ID `json:"id"`
	}

	// AcceptRequest is the body of POST /v1/accept.
	AcceptRequest struct {
		Link string `json:"link"`
		Port int    `json:"port"`
	}
)

// Backend is the engine interface that the API serves. *engine.Engine
// implements it.
type Backend interface {
	Snapshot() *engine.Snapshot
	AddRelay(ctx context.Context, link string) error
	Share(name, target string) error
	Unshare(name string) error
	Invite(name string, uses int, ttl time.Duration) (string, error)
	CancelInvitations(name string) (int, error)
	Revoke(name, who string) (identity.ID, error)
	Accept(ctx context.Context, link string, port int) (engine.AcceptResult, error)
	Remove(name string) error
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/snapshot", s.handleSnapshot)
	mux.HandleFunc("POST /v1/relays", s.handleAddRelay)
	mux.HandleFunc("POST /v1/services", s.handleShare)
	mux.HandleFunc("DELETE /v1/services/{name}", s.handleUnshare)
	mux.HandleFunc("POST /v1/services/{name}/invitations", s.handleInvite)
	mux.HandleFunc("DELETE /v1/services/{name}/invitations", s.handleCancelInvitations)
	mux.HandleFunc("POST /v1/services/{name}/revoke", s.handleRevoke)
	mux.HandleFunc("POST /v1/accept", s.handleAccept)
	mux.HandleFunc("DELETE /v1/inlets/{name}", s.handleRemove)
	mux.HandleFunc("GET /v1/debug/runtime", s.handleRuntime)
	return s.rejectBrowsers(mux)
}

func (s *Server) handleShare(w http.ResponseWriter, r *http.Request) {
	var req ShareRequest
	if !decode(w, r, &req) {
		return
	}
	s.logger.Info("local API: share", "service", req.Name, "target", req.Target)
	s.respond(w, s.backend.Share(req.Name, req.Target))
}

func (s *Server) handleUnshare(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.logger.Info("local API: unshare", "service", name)
	s.respond(w, s.backend.Unshare(name))
}

func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) {
	var req InviteRequest
	if !decode(w, r, &req) {
		return
	}
	var ttl time.Duration
	if req.Expires != "" {
		var err error
		if ttl, err = time.ParseDuration(req.Expires); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
	}

	name := r.PathValue("name")
	s.logger.Info("local API: invite", "service", name, "uses", req.Uses, "expires", req.Expires)
	link, err := s.backend.Invite(name, req.Uses, ttl)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	uses := req.Uses
	if uses == 0 {
		uses = engine.DefaultInviteUses
	}
	if ttl == 0 {
		ttl = engine.DefaultInviteTTL
	}
	writeJSON(w, http.StatusOK, InviteResponse{Link: link, Uses: uses, Expires: time.Now().Add(ttl).Truncate(time.Second)})
}

func (s *Server) handleCancelInvitations(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.logger.Info("local API: cancel invitations", "service", name)
	n, err := s.backend.CancelInvitations(name)
	if err != nil {
		s.logger.Warn("local API: cancelling invitations failed", "service", name, "err", err)
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, CancelInvitationsResponse{Service: name, Cancelled: n})
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var req RevokeRequest
	if !decode(w, r, &req) {
		return
	}
	name := r.PathValue("name")
	who := req.Who
	if strings.Contains(strings.ToLower(who), "portals://") {
		// Someone pasted a link; links carry secrets and are never logged.
		who = "[a link, not logged]"
	}
	s.logger.Info("local API: revoke", "service", name, "who", who)
	id, err := s.backend.Revoke(name, req.Who)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, RevokeResponse{ID: id})
}

func (s *Server) handleAccept(w http.ResponseWriter, r *http.Request) {
	var req AcceptRequest
	if !decode(w, r, &req) {
		return
	}
	// Never log the link: it carries the invitation secret.
	s.logger.Info("local API: accept", "port", req.Port)
	result, err := s.backend.Accept(r.Context(), req.Link, req.Port)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, result)
}

func (s *Server) handleRemove(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.logger.Info("local API: remove", "inlet", name)
	s.respond(w, s.backend.Remove(name))
}

// respond writes the snapshot after a successful change, or the error.
func (s *Server) respond(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, s.backend.Snapshot())
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeBody(r, v); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return false
	}
	return true
}
