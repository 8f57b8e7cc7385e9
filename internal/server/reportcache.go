package server

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// maxCachedReports bounds the entries of a reportCache. A report of the demo site's 30-day
// window encodes to about 2 KiB, and a report grows with its window's weeks, so a full cache
// is estimated at some tens of MiB.
const maxCachedReports = 4096

// reportCache keeps the reply body of each stored report it has encoded, so that the report
// endpoint does not read, decode and encode the same report again on every gadget view. An
// entry is used only while the project's reports generation in the store is the one it was
// encoded from, so a new recompute is served at once. The body is encoded from the decoded
// report rather than copied from the store, so that it has the fields of the running version
// even when the stored report is older. It is safe for concurrent use.
type reportCache struct {
	mu      sync.Mutex
	entries map[reportCacheKey]cachedReport
}

type reportCacheKey struct {
	tenant, projectID string
	windowDays        int
}

type cachedReport struct {
	generation uint64
	body       []byte
}

// generation returns the reports generation of the cached body of key, or 0 when there is none.
func (c *reportCache) generation(key reportCacheKey) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key].generation
}

// cached returns the body of key when it was encoded from generation.
func (c *reportCache) cached(key reportCacheKey, generation uint64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.entries[key]
	if !ok || entry.generation != generation {
		return nil, false
	}
	return entry.body, true
}

// body encodes the stored report JSON of key, read at generation, and keeps the result.
func (c *reportCache) body(key reportCacheKey, generation uint64, stored []byte) ([]byte, error) {
	var report dora.Report
	if err := json.Unmarshal(stored, &report); err != nil {
		return nil, err
	}
	var body bytes.Buffer
	if err := json.NewEncoder(&body).Encode(report); err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedReports {
		// Dropping every entry keeps the bound simple, and the next views refill it.
		c.entries = make(map[reportCacheKey]cachedReport)
	}
	c.entries[key] = cachedReport{generation: generation, body: body.Bytes()}
	return body.Bytes(), nil
}
