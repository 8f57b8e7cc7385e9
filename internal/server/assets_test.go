package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
	"github.com/devops-metrics/devops-metrics/internal/forge"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

func TestDevAssetsHeadersAndNotFound(t *testing.T) {
	assets := fstest.MapFS{
		"index.html":       {Data: []byte("<html>gadget</html>")},
		"chunks/a.js":      {Data: []byte("console.log(1)")},
		"chunks/readme.md": {Data: []byte("x")},
	}
	_, err := New(Config{
		Logger:     slog.New(slog.DiscardHandler),
		Store:      nil,
		Gate:       access.NewGate(access.Options{Logger: slog.New(slog.DiscardHandler)}),
		NewChecker: func(context.Context, forge.Invocation) (access.Checker, error) { return nil, nil },
		Recompute:  func(forge.Invocation) bool { return false },
		Dev:        true,
		DevViewer:  forge.Invocation{InstallationID: "dev", AccountID: "viewer"},
		Assets:     assets,
		AssetsCSP:  "default-src 'none'",
	})
	require.Error(t, err, "a server without a store is rejected")
	st, err := store.Open(t.TempDir()+"/metrics.db", store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })

	srv, err := New(Config{
		Logger:     slog.New(slog.DiscardHandler),
		Store:      st,
		Gate:       access.NewGate(access.Options{Logger: slog.New(slog.DiscardHandler)}),
		NewChecker: func(context.Context, forge.Invocation) (access.Checker, error) { return nil, nil },
		Recompute:  func(forge.Invocation) bool { return false },
		Dev:        true,
		DevViewer:  forge.Invocation{InstallationID: "dev", AccountID: "viewer"},
		Assets:     assets,
		AssetsCSP:  "default-src 'none'",
	})
	require.NoError(t, err)

	cases := []struct {
		path   string
		status int
	}{
		{"/", http.StatusOK},
		{"/chunks/a.js", http.StatusOK},
		{"/chunks/", http.StatusNotFound},
		{"/missing.js", http.StatusNotFound},
		{"/../index.html", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Host = "127.0.0.1:8080" // development mode answers loopback host names only

			srv.ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, "default-src 'none'", rec.Header().Get("Content-Security-Policy"))
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
			if tc.status == http.StatusNotFound {
				assert.Equal(t, CodeNotFound, errorCodeOf(t, rec))
			}
		})
	}
}
