package main

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/devops-metrics/devops-metrics/internal/forge/forgetest"
)

func TestHTTPServerSetsEveryTimeout(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))

	assert.Positive(t, srv.ReadHeaderTimeout, "read header timeout")
	assert.Positive(t, srv.ReadTimeout, "read timeout")
	assert.Positive(t, srv.WriteTimeout, "write timeout")
	assert.Positive(t, srv.IdleTimeout, "idle timeout")
	assert.Positive(t, srv.MaxHeaderBytes, "header size limit")
	assert.Less(t, srv.MaxHeaderBytes, http.DefaultMaxHeaderBytes, "a limit below net/http's 1 MB default")
}

func TestServeRejectsOversizedHeaders(t *testing.T) {
	issuer := forgetest.NewIssuer(t)
	srv := startServer(t, nil, "--app-id", forgetest.AppID, "--jwks-url", issuer.JWKSURL(), "--insecure-testing",
		"--db", t.TempDir()+"/metrics.db", "--addr", "127.0.0.1:0")

	status, body := srv.get(t, "/forge/gadget/projects", map[string]string{"X-Padding": strings.Repeat("a", 8<<10)})
	assert.Equal(t, http.StatusUnauthorized, status, "headers of Forge's size pass: %s", body)

	status, _ = srv.get(t, "/forge/gadget/projects", map[string]string{"X-Padding": strings.Repeat("a", 2*serverMaxHeaderBytes)})
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status)
}
