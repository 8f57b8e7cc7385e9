package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sample site's project EE (id 10003) has three released versions in June and July 2020.
const sampleProjectEE = "10003"

// devViewer is the account the dev server acts for.
const devViewer = "gadget-test-viewer"

// devServer is the real devops-metrics binary running "serve --dev --snapshot" on 127.0.0.1.
type devServer struct {
	base    string
	siteURL string
	output  *lockedBuffer
	// stop interrupts the server and waits for it to exit; later calls do nothing.
	stop     func(t *testing.T)
	stopOnce sync.Once
}

// lockedBuffer collects the server's output from its pipe goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// buildBinary builds cmd/devops-metrics into a temporary folder and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if os.Getenv("GOROOT") == "" {
		goTool = "go"
	}
	binary := filepath.Join(t.TempDir(), "devops-metrics")
	build := exec.Command(goTool, "build", "-o", binary, "./cmd/devops-metrics")
	build.Dir = ".."
	output, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/devops-metrics:\n%s", output)
	return binary
}

// freeLoopbackAddress returns a 127.0.0.1 address with a port that was free a moment ago.
func freeLoopbackAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "find a free port")
	address := listener.Addr().String()
	require.NoError(t, listener.Close())
	return address
}

// startDevServer runs "serve --dev --snapshot DIR" for the viewer, and returns once the server
// is ready. It skips the test while the serve command is not implemented.
func startDevServer(t *testing.T, snapshotDir, viewer string) *devServer {
	t.Helper()
	return startDevServerWith(t, []string{"--snapshot", snapshotDir, "--viewer", viewer}, nil)
}

// startDevServerWith runs "serve --dev" with the given Jira flags and extra environment
// variables, on a free loopback port and a fresh store.
func startDevServerWith(t *testing.T, jiraFlags, environment []string) *devServer {
	t.Helper()
	binary := buildBinary(t)
	address := freeLoopbackAddress(t)
	server := &devServer{base: "http://" + address, output: &lockedBuffer{}}

	args := append([]string{"serve", "--dev", "--addr", address, "--db", filepath.Join(t.TempDir(), "metrics.db")}, jiraFlags...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), environment...)
	cmd.Stdout = server.output
	cmd.Stderr = server.output
	require.NoError(t, cmd.Start(), "start %s", strings.Join(cmd.Args, " "))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	server.stop = func(t *testing.T) {
		t.Helper()
		server.stopOnce.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case err := <-exited:
				if err != nil {
					t.Logf("server exited after the interrupt: %v", err)
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Logf("server killed after no exit within 10 s of the interrupt: %v", <-exited)
			}
			if t.Failed() {
				t.Logf("server output:\n%s", server.output.String())
			}
		})
	}
	t.Cleanup(func() { server.stop(t) })

	// Poll /readyz a bounded number of times until it returns 200.
	for attempt := 0; ; attempt++ {
		select {
		case err := <-exited:
			if strings.Contains(server.output.String(), "not implemented") {
				t.Skipf("serve --dev --snapshot is not implemented yet: %s", strings.TrimSpace(server.output.String()))
			}
			t.Fatalf("the server exited before it was ready (%v):\n%s", err, server.output.String())
		default:
		}
		response, err := http.Get(server.base + "/readyz")
		if err == nil {
			_ = response.Body.Close() // the status is all this poll reads
			if response.StatusCode == http.StatusOK {
				break
			}
		}
		require.Less(t, attempt, 600, "the server did not become ready:\n%s", server.output.String())
		time.Sleep(100 * time.Millisecond)
	}
	return server
}

// waitForProject polls /forge/gadget/projects a bounded number of times until the first sync
// lists the project for the viewer, and stores the site URL the server returns.
func (s *devServer) waitForProject(t *testing.T, projectID string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		var body struct {
			Projects []dora.Project `json:"projects"`
			SiteURL  string         `json:"siteUrl"`
		}
		response, err := http.Get(s.base + "/forge/gadget/projects")
		if err == nil {
			if response.StatusCode == http.StatusOK && json.NewDecoder(response.Body).Decode(&body) == nil {
				if slices.ContainsFunc(body.Projects, func(p dora.Project) bool { return p.ID == projectID }) {
					_ = response.Body.Close() // the body is decoded, so a close error loses nothing
					s.siteURL = body.SiteURL
					return
				}
			}
			_ = response.Body.Close() // a poll: the next attempt opens a new request
		}
		require.Less(t, attempt, 600, "project %s never appeared in /forge/gadget/projects:\n%s", projectID, s.output.String())
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForAnyProject polls /forge/gadget/projects a bounded number of times until the first sync
// lists a project, and returns the first project's id.
func (s *devServer) waitForAnyProject(t *testing.T) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		var body struct {
			Projects []dora.Project `json:"projects"`
			SiteURL  string         `json:"siteUrl"`
		}
		response, err := http.Get(s.base + "/forge/gadget/projects")
		if err == nil {
			decoded := response.StatusCode == http.StatusOK && json.NewDecoder(response.Body).Decode(&body) == nil
			_ = response.Body.Close() // a poll: the decoded body is all it reads
			if decoded && len(body.Projects) > 0 {
				s.siteURL = body.SiteURL
				return body.Projects[0].ID
			}
		}
		require.Less(t, attempt, 600, "no project appeared in /forge/gadget/projects:\n%s", s.output.String())
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForStatus polls GET path a bounded number of times until it returns status.
func (s *devServer) waitForStatus(t *testing.T, path string, status int) {
	t.Helper()
	last := 0
	for attempt := 0; ; attempt++ {
		response, err := http.Get(s.base + path)
		if err == nil {
			last = response.StatusCode
			_ = response.Body.Close() // the status is all this poll reads
			if last == status {
				return
			}
		}
		require.Less(t, attempt, 600, "GET %s kept returning %d, expected %d:\n%s", path, last, status, s.output.String())
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSampleSiteEndToEnd(t *testing.T) {
	sample := samplesite.Dir(t)
	chromiumPath(t)
	server := startDevServer(t, sample, devViewer)
	server.waitForProject(t, sampleProjectEE)

	t.Run("page carries the Custom UI policy", func(t *testing.T) {
		response, err := http.Get(server.base + "/")
		require.NoError(t, err, "GET /")
		require.NoError(t, response.Body.Close())
		policy := response.Header.Get("Content-Security-Policy")
		require.NotEmpty(t, policy, "dev mode sends the content security policy as a header")
		assert.Contains(t, policy, "script-src 'self'", "scripts only from the app's own files")
		assert.NotContains(t, policy, "'unsafe-eval'", "no eval")
		assert.Contains(t, policy, "connect-src 'self'", "no outbound connections")
	})
	t.Run("rendered values equal the Report JSON", func(t *testing.T) {
		b := newBrowser(t)
		checkReportView(t, b, server.base, sampleProjectEE, server.siteURL)
	})
	t.Run("edit view saves and shows the configuration again", func(t *testing.T) {
		b := newBrowser(t)
		// The dev server's emulator grants its viewer Administer Projects on the projects they
		// browse, so the viewer saves project settings here.
		checkEditView(t, b, server.base, sampleProjectEE, administers)
	})
}

// TestDemoSiteEndToEnd opens the generated demo site with a preset window. The server returns
// the report its recompute stored instead of computing one on request.
func TestDemoSiteEndToEnd(t *testing.T) {
	chromiumPath(t)
	server := startDevServerWith(t, []string{"--demo"}, nil)
	projectID := server.waitForAnyProject(t)

	// The stored 90-day report appears when the first recompute has finished.
	server.waitForStatus(t, "/forge/gadget/report?project="+projectID+"&window=90", http.StatusOK)
	b := newBrowser(t)
	checkReportViewIn(t, b, server.base, projectID, server.siteURL, reportWindow{
		configJSON: `"window":90`,
		query:      url.Values{"window": {"90"}},
	})
}

func TestSampleSiteForbidden(t *testing.T) {
	sample := samplesite.Dir(t)
	chromiumPath(t)

	// With --snapshot the viewer's own account syncs the site, so a project the viewer cannot
	// browse is never synced. Here the test serves the sample site from its own emulator: a sync
	// account that administers Jira may browse both projects, and the gadget's viewer none.
	const syncAccount, syncEmail, syncToken = "sync-account", "sync@localhost", "sync-token"
	dir := sampleWithPermissions(t, sample, fmt.Sprintf(`{%q: [%q, "10050"], %q: []}`, syncAccount, sampleProjectEE, devViewer))
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err, "load the sample site")
	emulator := httptest.NewServer(jiraemu.New(site, jiraemu.EmulatorOptions{
		Users: []jiraemu.User{{AccountID: syncAccount, Email: syncEmail, APIToken: syncToken, Admin: true}},
	}))
	t.Cleanup(emulator.Close)

	server := startDevServerWith(t, []string{"--jira-url", emulator.URL, "--viewer", devViewer},
		[]string{"JIRA_EMAIL=" + syncEmail, "JIRA_API_TOKEN=" + syncToken})
	server.waitForStatus(t, "/forge/gadget/report?project="+sampleProjectEE+"&from=2020-06-01&to=2020-08-01", http.StatusForbidden)

	b := newBrowser(t)
	checkForbidden(t, b, server.base, sampleProjectEE)
}

// sampleWithPermissions returns a folder with the sample site's files linked, not copied, and
// the given permissions.json.
func sampleWithPermissions(t *testing.T, sample, permissions string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(sample)
	require.NoError(t, err, "list the sample site")
	for _, entry := range entries {
		if entry.Name() == "permissions.json" {
			continue
		}
		require.NoError(t, os.Symlink(filepath.Join(sample, entry.Name()), filepath.Join(dir, entry.Name())), "link %s", entry.Name())
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "permissions.json"), []byte(permissions), 0o644))
	return dir
}
