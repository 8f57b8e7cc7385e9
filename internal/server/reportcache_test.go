package server

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

func storedReportJSON(t *testing.T, key string) []byte {
	t.Helper()
	data, err := json.Marshal(dora.Report{Project: dora.Project{ID: "10000", Key: key}})
	require.NoError(t, err)
	return data
}

func TestReportCache(t *testing.T) {
	key := reportCacheKey{tenant: "t1", projectID: "10000", windowDays: 30}

	t.Run("encodes the stored report", func(t *testing.T) {
		var c reportCache
		body, err := c.body(key, 7, storedReportJSON(t, "EE"))
		require.NoError(t, err)
		var got dora.Report
		require.NoError(t, json.Unmarshal(body, &got))
		assert.Equal(t, "EE", got.Project.Key)
	})
	t.Run("returns the cached body for its generation only", func(t *testing.T) {
		var c reportCache
		assert.Zero(t, c.generation(key), "nothing cached yet")
		first, err := c.body(key, 7, storedReportJSON(t, "EE"))
		require.NoError(t, err)
		assert.Equal(t, uint64(7), c.generation(key))
		cached, ok := c.cached(key, 7)
		require.True(t, ok)
		assert.Same(t, &first[0], &cached[0], "the cached body is the first one")
		_, ok = c.cached(key, 8)
		assert.False(t, ok, "a newer generation is not served from the cache")
	})
	t.Run("encodes again after a recompute", func(t *testing.T) {
		var c reportCache
		_, err := c.body(key, 7, storedReportJSON(t, "EE"))
		require.NoError(t, err)
		body, err := c.body(key, 8, storedReportJSON(t, "OPS"))
		require.NoError(t, err)
		assert.Contains(t, string(body), `"key":"OPS"`)
		cached, ok := c.cached(key, 8)
		require.True(t, ok)
		assert.Contains(t, string(cached), `"key":"OPS"`)
	})
	t.Run("keeps windows apart", func(t *testing.T) {
		var c reportCache
		_, err := c.body(key, 7, storedReportJSON(t, "EE"))
		require.NoError(t, err)
		other := reportCacheKey{tenant: "t2", projectID: "10000", windowDays: 30}
		body, err := c.body(other, 7, storedReportJSON(t, "XX"))
		require.NoError(t, err)
		assert.Contains(t, string(body), `"key":"XX"`)
		cached, ok := c.cached(key, 7)
		require.True(t, ok)
		assert.Contains(t, string(cached), `"key":"EE"`)
	})
	t.Run("rejects invalid JSON", func(t *testing.T) {
		var c reportCache
		_, err := c.body(key, 7, []byte(`{"project":`))
		assert.Error(t, err)
		assert.Zero(t, c.generation(key), "nothing is cached")
	})
	t.Run("stays within its bound", func(t *testing.T) {
		var c reportCache
		stored := storedReportJSON(t, "EE")
		for i := range maxCachedReports + 10 {
			_, err := c.body(reportCacheKey{tenant: fmt.Sprint("t", i), projectID: "10000", windowDays: 30}, 7, stored)
			require.NoError(t, err)
		}
		assert.LessOrEqual(t, len(c.entries), maxCachedReports)
	})
}
