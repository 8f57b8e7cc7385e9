package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

func TestDevModeListensOnlyOnLoopback(t *testing.T) {
	cases := []struct {
		addr     string
		loopback bool
	}{
		{"127.0.0.1:8080", true},
		{"127.1.2.3:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"0.0.0.0:8080", false},
		{":8080", false},
		{"[::]:8080", false},
		{"192.168.1.10:8080", false},
		{"example.com:8080", false},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			// Flags are only parsed and checked here: nothing listens.
			_, err := parseServeFlags([]string{"--dev", "--demo", "--addr", tc.addr}, io.Discard)

			if tc.loopback {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, 2, exitCode(err))
			assert.Contains(t, err.Error(), "loopback")
		})
	}
}
