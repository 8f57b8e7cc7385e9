package main

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits of every HTTP server that serve starts: the backend and the dev-mode Jira emulator.
const (
	serverReadHeaderTimeout = 10 * time.Second
	serverReadTimeout       = 30 * time.Second
	// serverWriteTimeout abandons a reply still being written after a minute, well past the
	// 25 s that Forge waits for a remote.
	serverWriteTimeout = 60 * time.Second
	serverIdleTimeout  = 2 * time.Minute
	// serverMaxHeaderBytes fits Forge's headers many times over: an invocation token and two
	// OAuth tokens, estimated at a few KB each, plus tracing. Larger headers get 431.
	serverMaxHeaderBytes = 64 << 10
)

// newHTTPServer returns a server for handler with every timeout and the header size limit
// set. The server's own errors (such as TLS or malformed requests) go to logger as warnings,
// tagged component=http.
func newHTTPServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: serverReadHeaderTimeout,
		ReadTimeout:       serverReadTimeout,
		WriteTimeout:      serverWriteTimeout,
		IdleTimeout:       serverIdleTimeout,
		MaxHeaderBytes:    serverMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.With("component", "http").Handler(), slog.LevelWarn),
	}
}
