package jiraemu

import "sync"

// matchCache keeps the matches of the last JQL run, so that the later pages of a search do not
// scan every issue again. An entry is valid only for the site generation it was computed in.
type matchCache struct {
	mu         sync.Mutex
	key        string
	generation uint64
	matches    []*IssueRecord
}

// get returns the cached matches of key if they were computed in generation. Callers must not
// modify the returned slice.
func (c *matchCache) get(key string, generation uint64) ([]*IssueRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.matches == nil || c.key != key || c.generation != generation {
		return nil, false
	}
	return c.matches, true
}

func (c *matchCache) put(key string, generation uint64, matches []*IssueRecord) {
	if matches == nil {
		matches = []*IssueRecord{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.key, c.generation, c.matches = key, generation, matches
}
