package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browserRequest is a request as a browser sends it to the dev server: host is the Host header,
// and origin and site, when set, are the Origin and Sec-Fetch-Site headers.
type browserRequest struct {
	method, path       string
	host, origin, site string
	contentType, body  string
}

// sendAs sends req to the server over loopback and returns the status and body. The connection
// always goes to the server's own address, whatever Host header req names.
func (s *inProcessServer) sendAs(t testing.TB, req browserRequest) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), serveWait)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, req.method, "http://"+s.addr+req.path, strings.NewReader(req.body))
	require.NoError(t, err)
	if req.host != "" {
		httpReq.Host = req.host
	}
	if req.origin != "" {
		httpReq.Header.Set("Origin", req.origin)
	}
	if req.site != "" {
		httpReq.Header.Set("Sec-Fetch-Site", req.site)
	}
	if req.contentType != "" {
		httpReq.Header.Set("Content-Type", req.contentType)
	}
	resp, err := http.DefaultClient.Do(httpReq)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // the body has been read, so a close error loses nothing
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// serve --dev serves every request as the viewer without a token. So it rejects requests for a
// host name that another site rebinds to 127.0.0.1, state-changing requests from another origin,
// and cross-site requests for data, while the gadget's own requests pass.
func TestServeDevRejectsForeignHostAndCrossSite(t *testing.T) {
	srv := startServer(t, nil, "--dev", "--demo", "--db", t.TempDir()+"/metrics.db", "--addr", "127.0.0.1:0")
	waitFor(t, "the first recompute", func() bool { return srv.countLogs("recompute finished") > 0 })
	own := "http://" + srv.addr
	port := srv.addr[strings.LastIndex(srv.addr, ":")+1:]
	status, projects := srv.get(t, "/forge/gadget/projects", nil)
	require.Equal(t, http.StatusOK, status, "body: %s", projects)
	project := firstProjectID(t, projects)
	settingsPath := "/forge/projects/" + project + "/settings"

	cases := []struct {
		name   string
		req    browserRequest
		status int
	}{
		{"page on 127.0.0.1", browserRequest{method: http.MethodGet, path: "/"}, http.StatusOK},
		{"page on localhost", browserRequest{method: http.MethodGet, path: "/", host: "localhost:" + port}, http.StatusOK},
		{"page reached by a link from another site", browserRequest{method: http.MethodGet, path: "/", site: "cross-site"}, http.StatusOK},
		{"report fetched by the gadget", browserRequest{method: http.MethodGet, path: "/forge/gadget/report?window=30&project=" + project, site: "same-origin"}, http.StatusOK},
		{"settings saved by the gadget", browserRequest{method: http.MethodPut, path: settingsPath, origin: own, site: "same-origin",
			contentType: "application/json", body: `{"timeZone":"Asia/Tokyo"}`}, http.StatusOK},
		{"recompute from curl", browserRequest{method: http.MethodPost, path: "/forge/triggers/recompute", body: "{}"}, http.StatusAccepted},

		{"page for a rebound host name", browserRequest{method: http.MethodGet, path: "/", host: "evil.example:" + port}, http.StatusForbidden},
		{"projects for a rebound host name", browserRequest{method: http.MethodGet, path: "/forge/gadget/projects", host: "evil.example:" + port}, http.StatusForbidden},
		{"api report for a rebound host name", browserRequest{method: http.MethodGet, path: "/api/report?project=DEMO1", host: "evil.example"}, http.StatusForbidden},
		{"recompute from another origin as text/plain", browserRequest{method: http.MethodPost, path: "/forge/triggers/recompute",
			origin: "http://evil.example", contentType: "text/plain", body: "{}"}, http.StatusForbidden},
		{"recompute sent cross-site", browserRequest{method: http.MethodPost, path: "/forge/triggers/recompute", site: "cross-site", body: "{}"}, http.StatusForbidden},
		{"uninstall from another origin", browserRequest{method: http.MethodPost, path: "/forge/lifecycle/uninstalled",
			origin: "http://evil.example", site: "cross-site", contentType: "text/plain", body: "{}"}, http.StatusForbidden},
		{"settings from another port of localhost", browserRequest{method: http.MethodPut, path: settingsPath, origin: "http://127.0.0.1:1",
			site: "same-site", contentType: "text/plain", body: `{"timeZone":"UTC"}`}, http.StatusForbidden},
		{"report loaded cross-site", browserRequest{method: http.MethodGet, path: "/forge/gadget/report?window=30&project=" + project, site: "cross-site"}, http.StatusForbidden},
		{"api report loaded cross-site", browserRequest{method: http.MethodGet, path: "/api/report?project=DEMO1", site: "cross-site"}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := srv.sendAs(t, tc.req)

			assert.Equal(t, tc.status, status, "body: %s", body)
			if tc.status == http.StatusForbidden {
				assert.Contains(t, string(body), `"code":"forbidden"`)
			}
		})
	}
}

// firstProjectID returns the id of the first project in a /forge/gadget/projects reply.
func firstProjectID(t *testing.T, projects []byte) string {
	t.Helper()
	var list struct {
		Projects []struct{ ID string }
	}
	require.NoError(t, json.Unmarshal(projects, &list), "body: %s", projects)
	require.NotEmpty(t, list.Projects)
	return list.Projects[0].ID
}
