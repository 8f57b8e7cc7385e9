package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/devops-metrics/devops-metrics/web"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssetsHoldBuiltPage(t *testing.T) {
	for _, name := range []string{"index.html", "main.js", "gadget.css", "icon.svg"} {
		t.Run(name, func(t *testing.T) {
			info, err := fs.Stat(web.Assets(), name)
			require.NoError(t, err, "web/dist/%s is missing: run make web", name)
			assert.Positive(t, info.Size(), "size of %s", name)
		})
	}

	index, err := fs.ReadFile(web.Assets(), "index.html")
	require.NoError(t, err)
	assert.NotContains(t, strings.ToLower(string(index)), "<script>", "no inline script in index.html")
	assert.Contains(t, string(index), `<script type="module" src="./main.js"></script>`, "the page loads its own bundle")
}

func TestHandlerSendsPolicy(t *testing.T) {
	server := httptest.NewServer(web.Handler())
	t.Cleanup(server.Close)

	cases := []struct {
		path        string
		contentType string
	}{
		{"/", "text/html"},
		{"/main.js", "text/javascript"},
		{"/gadget.css", "text/css"},
		{"/icon.svg", "image/svg+xml"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			response, err := http.Get(server.URL + c.path)
			require.NoError(t, err)
			defer func() { _ = response.Body.Close() }() // read in full below, so a close error loses nothing
			_, err = io.Copy(io.Discard, response.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, response.StatusCode, "status")
			assert.Contains(t, response.Header.Get("Content-Type"), c.contentType, "content type")
			assert.Equal(t, web.ContentSecurityPolicy, response.Header.Get("Content-Security-Policy"), "policy header")
			assert.Equal(t, "nosniff", response.Header.Get("X-Content-Type-Options"), "no MIME sniffing")
		})
	}
}
