package jira_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/jira"
)

// closedLoopbackURL returns the URL of a loopback port that was just released, so connecting
// to it is refused.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := listener.Addr().String()
	require.NoError(t, listener.Close())
	return "http://" + addr
}

func TestConnectFailuresGiveUpEarly(t *testing.T) {
	failingDNS := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "jira.invalid", IsNotFound: true}}
		},
	}}
	tests := []struct {
		name     string
		url      string
		client   *http.Client
		wantText string
	}{
		{"connection refused", closedLoopbackURL(t), nil, "connection refused"},
		{"unknown host name", "http://jira.invalid", failingDNS, "no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sleep := &fakeSleep{}
			client, err := jira.NewBasic(tt.url, testEmail, testToken, jira.Options{HTTPClient: tt.client, Sleep: sleep.Sleep})
			require.NoError(t, err)
			defer client.Close()

			_, err = client.Myself(t.Context())

			require.Error(t, err)
			assert.ErrorIs(t, err, jira.ErrUnreachable)
			assert.ErrorIs(t, err, jira.ErrUnavailable, "callers that treat unavailable Jira as transient still do")
			assert.Contains(t, err.Error(), tt.wantText)
			assert.Contains(t, err.Error(), "cannot connect to Jira")
			assert.NotContains(t, err.Error(), "rate limiting")
			var apiErr *jira.APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, jira.DefaultMaxConnectAttempts, apiErr.Attempts)
			assert.Len(t, sleep.waits, jira.DefaultMaxConnectAttempts-1, "one wait between attempts")
		})
	}
}

func TestConnectAttemptsBoundedByMaxAttempts(t *testing.T) {
	sleep := &fakeSleep{}
	client, err := jira.NewBasic(closedLoopbackURL(t), testEmail, testToken, jira.Options{MaxAttempts: 2, MaxConnectAttempts: 5, Sleep: sleep.Sleep})
	require.NoError(t, err)
	defer client.Close()

	_, err = client.Myself(t.Context())

	var apiErr *jira.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 2, apiErr.Attempts)
}

func TestServerErrorIsNotUnreachable(t *testing.T) {
	apiErr := &jira.APIError{Method: "GET", Path: "/rest/api/3/myself", Status: 503, Attempts: 6}

	assert.ErrorIs(t, apiErr, jira.ErrUnavailable)
	assert.NotErrorIs(t, apiErr, jira.ErrUnreachable)
	assert.Contains(t, apiErr.Error(), "rate limiting or unavailable")
}
