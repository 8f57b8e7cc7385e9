package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/store"
)

// Log lines of the recompute pipeline that the crash test waits for. Both slog handlers are
// matched: text (msg="...") and JSON ("msg":"...").
const (
	logRecomputeFinished   = "recompute finished"
	logProjectSyncFinished = "project sync finished"
)

// crashWait bounds every wait of the crash test, so a server that never logs cannot hang it.
// It is a deadlock guard, not a speed check.
const crashWait = 2 * time.Minute

// TestServeSurvivesKillDuringSync starts the real binary three times on one store file. The
// first run syncs a generated site completely. The second is killed with SIGKILL between two
// project writes of its sync. The third must open the store, serve the reports the killed run
// left, and complete its own sync.
func TestServeSurvivesKillDuringSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary: skipped with -short")
	}
	bin := buildBinary(t)
	siteDir := filepath.Join(t.TempDir(), "site")
	site := jiraemu.Generate(jiraemu.GenerateOptions{Seed: 11, Projects: 3, IssuesPerProject: 120, Now: time.Now().UTC().Truncate(time.Hour)})
	require.NoError(t, site.WriteDir(siteDir))
	db := filepath.Join(t.TempDir(), "metrics.db")

	first := startServe(t, bin, siteDir, db, "50ms")
	first.waitForLog(t, logRecomputeFinished)
	first.kill(t)
	synced := readReports(t, db)
	require.Len(t, synced, len(site.Projects), "projects synced by the first run")

	second := startServe(t, bin, siteDir, db, "50ms")
	second.waitForLog(t, logProjectSyncFinished)
	second.kill(t)
	left := readReports(t, db)
	require.Len(t, left, len(site.Projects), "projects after the kill")
	rewritten := 0
	for projectID, reports := range left {
		assert.Len(t, reports, 5, "reports of project %s after the kill", projectID)
		assertOneRun(t, projectID, reports)
		if reports[90].Report.ComputedAt.After(synced[projectID][90].Report.ComputedAt) {
			rewritten++
		}
	}
	// The kill must land inside the sync: some projects rewritten by it, some not yet.
	assert.Positive(t, rewritten, "projects the killed run rewrote")
	assert.Less(t, rewritten, len(site.Projects), "projects the killed run rewrote")

	// A slower Jira makes the last project's sync start well after the server accepts requests.
	third := startServe(t, bin, siteDir, db, "200ms")
	third.waitForHTTP(t)
	last := site.Projects[len(site.Projects)-1].ID
	served := third.getReport(t, last, 90)
	want, err := json.Marshal(left[last][90].Report)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(served), "report served after the restart")

	third.waitForLog(t, logRecomputeFinished)
	third.stop(t)
	final := readReports(t, db)
	for projectID, reports := range final {
		assert.True(t, reports[90].Report.ComputedAt.After(left[projectID][90].Report.ComputedAt),
			"project %s recomputed by the run after the restart", projectID)
	}
}

// assertOneRun checks that all reports of a project come from a single recompute.
func assertOneRun(t *testing.T, projectID string, reports map[int]store.StoredReport) {
	t.Helper()
	var at time.Time
	for days, r := range reports {
		if at.IsZero() {
			at = r.Report.ComputedAt
		}
		assert.True(t, at.Equal(r.Report.ComputedAt), "project %s: %d-day report from another run", projectID, days)
	}
}

// buildBinary compiles this command into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "devops-metrics")
	// The go command on PATH builds the binary, as it runs the tests under make test.
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// readReports opens the store file after a server stopped, checks its consistency and returns
// the reports of every project of the dev tenant.
func readReports(t *testing.T, path string) map[string]map[int]store.StoredReport {
	t.Helper()
	st, err := store.Open(path, store.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err, "store opens after the server stopped")
	defer func() { require.NoError(t, st.Close()) }()
	require.NoError(t, st.Check())

	projects, err := st.Projects("dev")
	require.NoError(t, err)
	all := make(map[string]map[int]store.StoredReport, len(projects))
	for _, p := range projects {
		reports, err := st.Reports("dev", p.ID)
		require.NoError(t, err)
		all[p.ID] = reports
	}
	return all
}

// serveProcess is a running `devops-metrics serve --dev` and the log lines it printed.
type serveProcess struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu    sync.Mutex
	lines []string
	added chan struct{} // receives a value after each new line, without blocking
}

func startServe(t *testing.T, bin, siteDir, db, latency string) *serveProcess {
	t.Helper()
	addr := freeLoopbackAddr(t)
	cmd := exec.Command(bin, "serve", "--dev", "--snapshot", siteDir, "--db", db,
		"--addr", addr, "--jira-latency", latency, "--recompute-interval", "1h")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	p := &serveProcess{cmd: cmd, addr: addr, done: make(chan struct{}), added: make(chan struct{}, 1)}
	var readers sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			p.collect(r)
		}()
	}
	go func() {
		readers.Wait()
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of serve on %s:\n%s", addr, strings.Join(p.snapshot(), "\n"))
		}
	})
	return p
}

func (p *serveProcess) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
		select {
		case p.added <- struct{}{}:
		default:
		}
	}
}

func (p *serveProcess) snapshot() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitForLog waits until the server has printed a log line whose message is msg.
func (p *serveProcess) waitForLog(t *testing.T, msg string) {
	t.Helper()
	text, jsonForm := fmt.Sprintf("msg=%q", msg), fmt.Sprintf("%q:%q", "msg", msg)
	deadline := time.After(crashWait)
	for {
		for _, line := range p.snapshot() {
			if strings.Contains(line, text) || strings.Contains(line, jsonForm) {
				return
			}
		}
		select {
		case <-p.added:
		case <-p.done:
			t.Fatalf("serve exited before logging %q", msg)
		case <-deadline:
			t.Fatalf("serve did not log %q within %s", msg, crashWait)
		}
	}
}

// waitForHTTP waits until GET /healthz returns 200.
func (p *serveProcess) waitForHTTP(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), crashWait)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/healthz", nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close() // the status is all this poll reads
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("serve on %s did not answer /healthz within %s: %v", p.addr, crashWait, err)
		case <-p.done:
			t.Fatalf("serve exited before answering /healthz")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// getReport returns the body of the dev server's stored report of a project and preset window.
func (p *serveProcess) getReport(t *testing.T, projectID string, days int) []byte {
	t.Helper()
	url := fmt.Sprintf("http://%s/forge/gadget/report?project=%s&window=%d", p.addr, projectID, days)
	ctx, cancel := context.WithTimeout(context.Background(), crashWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read in full below, so a close error loses nothing
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, body)
	return body
}

// kill sends SIGKILL and waits for the process to end.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(crashWait):
		t.Fatalf("serve did not exit within %s of SIGTERM", crashWait)
	}
	assert.True(t, p.cmd.ProcessState.Success(), "serve exit status after SIGTERM: %s", p.cmd.ProcessState)
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
