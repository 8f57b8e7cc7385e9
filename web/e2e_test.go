package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
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
// answers. It skips the test while the serve command is not implemented.
func startDevServer(t *testing.T, snapshotDir, viewer string) *devServer {
	t.Helper()
	binary := buildBinary(t)
	address := freeLoopbackAddress(t)
	server := &devServer{base: "http://" + address, output: &lockedBuffer{}}

	cmd := exec.Command(binary, "serve", "--dev", "--snapshot", snapshotDir, "--addr", address,
		"--viewer", viewer, "--db", filepath.Join(t.TempDir(), "metrics.db"))
	cmd.Stdout = server.output
	cmd.Stderr = server.output
	require.NoError(t, cmd.Start(), "start %s", strings.Join(cmd.Args, " "))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("server output:\n%s", server.output.String())
		}
	})

	// Wait, a bounded number of times, until the server answers /readyz.
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
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				break
			}
		}
		require.Less(t, attempt, 600, "the server did not become ready:\n%s", server.output.String())
		time.Sleep(100 * time.Millisecond)
	}
	return server
}

// waitForProject waits, a bounded number of times, until the first sync lists the project for
// the viewer, and returns the site URL the server names.
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
					response.Body.Close()
					s.siteURL = body.SiteURL
					return
				}
			}
			response.Body.Close()
		}
		require.Less(t, attempt, 600, "project %s never appeared in /forge/gadget/projects:\n%s", projectID, s.output.String())
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForStatus waits, a bounded number of times, until GET path answers status.
func (s *devServer) waitForStatus(t *testing.T, path string, status int) {
	t.Helper()
	last := 0
	for attempt := 0; ; attempt++ {
		response, err := http.Get(s.base + path)
		if err == nil {
			last = response.StatusCode
			response.Body.Close()
			if last == status {
				return
			}
		}
		require.Less(t, attempt, 600, "GET %s kept answering %d, not %d:\n%s", path, last, status, s.output.String())
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSampleSiteEndToEnd(t *testing.T) {
	sample := samplesite.Dir(t)
	chromiumPath(t)
	server := startDevServer(t, sample, devViewer)
	server.waitForProject(t, sampleProjectEE)

	t.Run("rendered values equal the Report JSON", func(t *testing.T) {
		b := newBrowser(t)
		checkReportView(t, b, server.base, sampleProjectEE, server.siteURL)
	})
	t.Run("edit view saves and shows the configuration again", func(t *testing.T) {
		b := newBrowser(t)
		checkEditView(t, b, server.base, sampleProjectEE)
	})
}

func TestSampleSiteForbidden(t *testing.T) {
	sample := samplesite.Dir(t)
	chromiumPath(t)

	// The same site, except that permissions.json lets another account browse the projects and
	// not the gadget's viewer. The sample's files are linked, not copied.
	dir := t.TempDir()
	entries, err := os.ReadDir(sample)
	require.NoError(t, err, "list the sample site")
	for _, entry := range entries {
		if entry.Name() == "permissions.json" {
			continue
		}
		require.NoError(t, os.Symlink(filepath.Join(sample, entry.Name()), filepath.Join(dir, entry.Name())), "link %s", entry.Name())
	}
	permissions := fmt.Sprintf(`{"someone-else": [%q, "10050"], %q: []}`, sampleProjectEE, devViewer)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "permissions.json"), []byte(permissions), 0o644))

	server := startDevServer(t, dir, devViewer)
	server.waitForStatus(t, "/forge/gadget/report?project="+sampleProjectEE+"&from=2020-06-01&to=2020-08-01", http.StatusForbidden)

	b := newBrowser(t)
	checkForbidden(t, b, server.base, sampleProjectEE)
}
