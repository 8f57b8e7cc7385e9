package server

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// TestCustomReportWaitsForSlot fills every custom-window slot and checks that one more
// computation gives up with 503 when its request ends, instead of running past the bound.
func TestCustomReportWaitsForSlot(t *testing.T) {
	s := &Server{customSlots: make(chan struct{}, 1)}
	s.customSlots <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, _, err := s.computeReport(ctx, "tenant", dora.Project{ID: "10000", Key: "GA"}, dora.Date{Year: 2026, Month: 1, Day: 1}, dora.Date{Year: 2026, Month: 2, Day: 1}, "")

	var apiErr *Error
	require.True(t, errors.As(err, &apiErr), "error %v is an *Error", err)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.Status)
	assert.Equal(t, CodeUnavailable, apiErr.Code)
	assert.Len(t, s.customSlots, 1, "the held slot stays held")
}
