package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

type statusResponse struct {
	Status string `json:"status"`
}

// handleHealthz reports that the process serves requests.
func (s *Server) handleHealthz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		encode(w, r, http.StatusOK, statusResponse{Status: "ok"})
	}
}

// handleReadyz reports whether the server can serve data, with 503 when Config.Ready fails.
func (s *Server) handleReadyz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.cfg.Ready(r.Context()); err != nil {
			writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Err: err,
				Message: "not ready: " + err.Error()})
			return
		}
		encode(w, r, http.StatusOK, statusResponse{Status: "ready"})
	}
}

func (s *Server) handleNotFound() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, notFoundf("no route %s %s: see the routes in the server's documentation", r.Method, r.URL.Path))
	}
}

func (s *Server) handleMethodNotAllowed() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)})
	}
}

// customUICSP is the content security policy Forge applies to a Custom UI page with inline
// styles allowed, so the page behaves the same in development as inside Jira.
const customUICSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

// placeholderPage is served at / in development mode when no built gadget page is configured.
const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DevOps Metrics</title></head>
<body><h1>DevOps Metrics for Jira</h1>
<p>The gadget page is not built into this binary. The API is served: try <a href="/forge/gadget/projects">/forge/gadget/projects</a>.</p>
</body></html>
`

// handleAssets serves the gadget page from Config.Assets in development mode, with the Custom
// UI content security policy. A missing file gets a JSON 404.
func (s *Server) handleAssets() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", s.cfg.AssetsCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if s.cfg.Assets == nil {
			if name != "index.html" {
				s.handleNotFound()(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(placeholderPage))
			return
		}
		info, err := fs.Stat(s.cfg.Assets, name)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && info.IsDir()) {
			s.handleNotFound()(w, r)
			return
		}
		if err != nil {
			writeError(w, r, fmt.Errorf("stat asset %s: %w", name, err))
			return
		}
		// ServeFileFS rejects paths with ".." and redirects ".../index.html", so it gets the
		// cleaned path that name came from.
		clean := r.Clone(r.Context())
		clean.URL.Path = "/" + strings.TrimSuffix(name, "index.html")
		http.ServeFileFS(w, clean, s.cfg.Assets, name)
	}
}
