package jira_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jira"
	"github.com/devops-metrics/devops-metrics/internal/jiraemu"
	"github.com/devops-metrics/devops-metrics/internal/samplesite"
	"github.com/devops-metrics/devops-metrics/internal/snapshot"
)

const (
	testEmail   = "dev@example.com"
	testToken   = "api-token-for-tests"
	testAccount = "5b10ac8d82e05b22cc7d0001"
)

// fakeSleep records the waits the client asks for and returns at once.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) total() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sum time.Duration
	for _, w := range f.waits {
		sum += w
	}
	return sum
}

// startEmulator serves site on a loopback httptest server and returns a Basic-auth client for it.
func startEmulator(t *testing.T, site *jiraemu.Site, opts jira.Options) (*jiraemu.Emulator, *jira.Client) {
	t.Helper()
	return startEmulatorTB(t, site, opts)
}

func startEmulatorB(b *testing.B, site *jiraemu.Site) (*jiraemu.Emulator, *jira.Client) {
	b.Helper()
	return startEmulatorTB(b, site, jira.Options{})
}

func startEmulatorTB(t testing.TB, site *jiraemu.Site, opts jira.Options) (*jiraemu.Emulator, *jira.Client) {
	t.Helper()
	emu := jiraemu.New(site, jiraemu.EmulatorOptions{
		Users:        []jiraemu.User{{AccountID: testAccount, Email: testEmail, APIToken: testToken}},
		BearerTokens: map[string]string{"forge-token": testAccount},
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if opts.Sleep == nil {
		opts.Sleep = (&fakeSleep{}).Sleep
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	client, err := jira.NewBasic(srv.URL, testEmail, testToken, opts)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return emu, client
}

// reportJSON computes the report of data over 2020-2022 and returns its JSON without computedAt.
func reportJSON(t *testing.T, data dora.ProjectData) string {
	t.Helper()
	now := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	w := dora.Window{From: dora.Date{Year: 2020, Month: 1, Day: 1}, To: dora.Date{Year: 2023, Month: 1, Day: 1}}
	report, _, err := dora.Compute(data, dora.Config{}, w, now)
	require.NoError(t, err)
	raw, err := json.Marshal(report)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "computedAt")
	out, err := json.MarshalIndent(m, "", " ")
	require.NoError(t, err)
	return string(out)
}

func TestLoadProjectMatchesSnapshot(t *testing.T) {
	dir := samplesite.Dir(t)
	snap, err := snapshot.Load(dir)
	require.NoError(t, err)
	site, err := jiraemu.LoadDir(dir)
	require.NoError(t, err)
	_, client := startEmulator(t, site, jira.Options{})

	for _, key := range snap.ProjectKeys() {
		t.Run(key, func(t *testing.T) {
			want, err := snap.ProjectData(key)
			require.NoError(t, err)
			got, err := client.LoadProject(t.Context(), key, nil)
			require.NoError(t, err)

			assert.Equal(t, want.Project, got.Project)
			assert.Equal(t, want.Statuses, got.Statuses)
			assert.Equal(t, want.IssueTypes, got.IssueTypes)
			assert.Equal(t, want.Versions, got.Versions)
			require.Len(t, got.Issues, len(want.Issues))
			for i := range want.Issues {
				assert.Equal(t, len(want.Issues[i].Transitions), len(got.Issues[i].Transitions), want.Issues[i].Key)
			}
			assert.Equal(t, reportJSON(t, want), reportJSON(t, got))
		})
	}
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	require.NoError(t, err)
	req.SetBasicAuth(testEmail, testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, 200, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(into))
}
