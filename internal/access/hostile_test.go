package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/access"
)

// slowChecker returns the projects in grants after advancing the clock by delay, as a slow Jira would.
type slowChecker struct {
	clock  *clock
	delay  time.Duration
	grants map[string]bool
	calls  int
}

func (c *slowChecker) CheckProjectPermissions(_ context.Context, _ string, projectIDs []string) ([]string, error) {
	c.calls++
	c.clock.Advance(c.delay)
	var granted []string
	for _, id := range projectIDs {
		if c.grants[id] {
			granted = append(granted, id)
		}
	}
	return granted, nil
}

// Jira's reply describes the permission when the check was sent, so a slow reply must not
// extend the time a grant is cached beyond TTL after the check was sent.
func TestGrantTTLCountsFromTheCheck(t *testing.T) {
	f := newFixture(t, access.Options{TTL: time.Minute})
	checker := &slowChecker{clock: f.clock, delay: 9 * time.Second, grants: map[string]bool{"10000": true}}
	require.NoError(t, f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"}))

	checker.grants["10000"] = false
	checker.delay = 0
	f.clock.Advance(time.Minute - 9*time.Second)
	err := f.gate.Require(t.Context(), alice, checker, access.BrowseProjects, []string{"10000"})

	assert.ErrorIs(t, err, access.ErrDenied)
	assert.Equal(t, 2, checker.calls)
}
