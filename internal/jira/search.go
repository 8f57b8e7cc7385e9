package jira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

const (
	// searchPageSize is the page size asked of /search/jql. Jira caps pages with fields at 100.
	searchPageSize = 100
	// idPageSize is the page size asked of /search/jql with fields=id, which Jira allows up to 5,000.
	idPageSize = 5000
	// bulkIssues and bulkHistories are the limits of one /changelog/bulkfetch request.
	bulkIssues    = 1000
	bulkHistories = 10000
	// changelogPageSize is the page size asked of /issue/{id}/changelog. Jira caps it at 100.
	changelogPageSize = 100
)

// searchFields are the only issue fields the engine reads.
var searchFields = []string{"issuetype", "status", "created", "resolutiondate", "updated", "project", "fixVersions", "versions"}

// FetchedIssue is an issue's facts plus the fields that incremental sync needs.
type FetchedIssue struct {
	dora.Issue
	ProjectID string
	Updated   time.Time
}

// InProject returns the fetched issues that Jira reports in project projectID, reusing the
// slice. The others moved away between the id listing and the read of their fields; each is
// logged and left out, because the sync of its new project reads it after the move.
func InProject(fetched []FetchedIssue, projectID string, log *slog.Logger) []FetchedIssue {
	own := fetched[:0]
	for _, f := range fetched {
		if f.ProjectID != "" && f.ProjectID != projectID {
			log.Info("jira issue left the project during the read, leaving it out", "issue", f.ID, "project", projectID, "projectNow", f.ProjectID)
			continue
		}
		own = append(own, f)
	}
	return own
}

// CountIssues returns Jira's approximate count of the issues that match jql. It serves
// progress reports only: the count may lag recent changes.
func (c *Client) CountIssues(ctx context.Context, jql string) (int, error) {
	var res jirajson.CountResult
	if err := c.call(ctx, "POST", "/rest/api/3/search/approximate-count", nil, jirajson.CountRequest{JQL: jql}, &res); err != nil {
		return 0, fmt.Errorf("count issues matching %q: %w", jql, err)
	}
	return res.Count, nil
}

// SearchIssues runs jql and calls page with each page of issues, in Jira's order. The issues
// carry only the fields the engine needs and NO transitions: use StatusHistories or FetchIssues
// for the history. An error from page stops the search and is returned as is.
func (c *Client) SearchIssues(ctx context.Context, jql string, page func([]FetchedIssue) error) error {
	return c.search(ctx, jql, searchFields, searchPageSize, func(issues []jirajson.Issue) error {
		fetched := make([]FetchedIssue, 0, len(issues))
		for _, issue := range issues {
			if err := checkIssueFields(issue); err != nil {
				return fmt.Errorf("search issues matching %q: %w", jql, err)
			}
			fetched = append(fetched, FetchedIssue{
				Issue:     issue.Facts([]jirajson.History{}),
				ProjectID: issue.Fields.Project.ID,
				Updated:   issue.Fields.Updated.Time,
			})
		}
		return page(fetched)
	})
}

// checkIssueFields returns an error naming the first field that Jira gives every issue but issue
// lacks. A zero creation time would start lead and recovery times in year 1, and an issue
// without a key, status or issue type cannot be classified or shown, so such a reply is broken.
func checkIssueFields(issue jirajson.Issue) error {
	return checkFacts(issue.ID, issue.Key, issue.Fields.Created.Time, issue.Fields.Status.ID, issue.Fields.IssueType.ID)
}

// checkFacts is checkIssueFields on the values it checks.
func checkFacts(id, key string, created time.Time, statusID, typeID string) error {
	missing := ""
	switch {
	case key == "":
		missing = "key"
	case created.IsZero():
		missing = "created time"
	case statusID == "":
		missing = "status"
	case typeID == "":
		missing = "issue type"
	default:
		return nil
	}
	return fmt.Errorf("issue %s (%s) has no %s: Jira sent a malformed issue", id, key, missing)
}

// SearchIssueIDs returns the ids of every issue that matches jql, with pages of up to 5,000
// ids. It is the cheap way to find deleted or moved issues.
// An id that is not a decimal number of at most 19 digits (a Java long, as Jira stores them) is
// an error, because the bulk requests and the store rely on numeric ids.
func (c *Client) SearchIssueIDs(ctx context.Context, jql string) ([]string, error) {
	var ids []string
	err := c.search(ctx, jql, []string{"id"}, idPageSize, func(issues []jirajson.Issue) error {
		for _, issue := range issues {
			if err := checkListedID(jql, issue.ID); err != nil {
				return err
			}
			ids = append(ids, issue.ID)
		}
		return nil
	})
	return ids, err
}

// checkListedID returns an error naming id when the search for jql listed an id that is not a
// decimal number of 1 to 19 digits.
func checkListedID(jql, id string) error {
	if !numericID(id) {
		return fmt.Errorf("search issue ids matching %q: issue id %.40q is not a number: Jira sent a malformed id", jql, id)
	}
	return nil
}

// numericID reports whether id is a decimal number of 1 to 19 digits.
func numericID(id string) bool {
	if id == "" || len(id) > 19 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// search follows the nextPageToken chain of POST /search/jql.
func (c *Client) search(ctx context.Context, jql string, fields []string, pageSize int, page func([]jirajson.Issue) error) error {
	if jql == "" {
		return fmt.Errorf("search issues: %w: empty JQL", ErrBadRequest)
	}
	token := ""
	seen := map[string]bool{}
	// An issue may reach a second page when it changes during the search, but two pages in a
	// row of issues already read mean that the page tokens go round the same results. Empty
	// pages are not counted, because it is not documented that Jira never sends one mid-search.
	seenIssues := map[string]bool{}
	stalePages, emptyPages := 0, 0
	for n := 1; n <= maxPages; n++ {
		req := jirajson.SearchRequest{JQL: jql, NextPageToken: token, MaxResults: pageSize, Fields: fields}
		var res jirajson.SearchResults
		err := c.callDecode(ctx, "POST", "/rest/api/3/search/jql", nil, req, func(b []byte) error {
			res = jirajson.SearchResults{}
			return decodeIssuePage(b, &res)
		})
		if err != nil {
			return fmt.Errorf("search issues matching %q, page %d: %w", jql, n, err)
		}
		if len(res.Issues) > 0 {
			stalePages++
			if pageAddsIDs(seenIssues, len(res.Issues), func(i int) string { return res.Issues[i].ID }) {
				stalePages = 0
			}
		}
		if stalePages >= 2 && !res.IsLast && res.NextPageToken != "" {
			return fmt.Errorf("search issues matching %q, page %d: two pages in a row repeated only issues already read, yet Jira sent another nextPageToken", jql, n)
		}
		if len(res.Issues) == 0 && !res.IsLast && res.NextPageToken != "" {
			emptyPages++
		} else {
			emptyPages = 0
		}
		if emptyPages >= maxEmptyPages {
			return fmt.Errorf("search issues matching %q, page %d: %d empty pages in a row, yet Jira sent another nextPageToken", jql, n, emptyPages)
		}
		if err := page(res.Issues); err != nil {
			return err
		}
		if res.IsLast || res.NextPageToken == "" {
			return nil
		}
		if seen[res.NextPageToken] {
			return fmt.Errorf("search issues matching %q, page %d: Jira repeated a nextPageToken", jql, n)
		}
		seen[res.NextPageToken] = true
		token = res.NextPageToken
	}
	return fmt.Errorf("search issues matching %q: more than %d pages", jql, maxPages)
}

// StatusHistories returns the complete status history of each issue id, oldest first. Issues
// without status changes, and ids bulkfetch does not know, map to nil. Chunks of 1,000 ids go
// to /changelog/bulkfetch, up to MaxConcurrency at once. Once bulkfetch has returned 404 or
// 405, the Client pages /issue/{id}/changelog per issue instead, and there an id that returns
// 404 (deleted or moved out of view) is left out of the map.
func (c *Client) StatusHistories(ctx context.Context, issueIDs []string) (map[string][]dora.Transition, error) {
	ids := uniqueIDs(issueIDs)
	histories := make(map[string][]jirajson.History, len(ids))
	var mu sync.Mutex
	add := func(id string, h []jirajson.History) {
		mu.Lock()
		histories[id] = append(histories[id], h...)
		mu.Unlock()
	}

	chunks := slices.Collect(slices.Chunk(ids, bulkIssues))
	err := c.forEach(ctx, len(chunks), func(ctx context.Context, i int) error {
		return c.chunkHistories(ctx, chunks[i], add)
	})
	if err != nil {
		return nil, err
	}

	out := make(map[string][]dora.Transition, len(histories))
	for id, h := range histories {
		out[id] = jirajson.Transitions(h)
	}
	return out, nil
}

func (c *Client) chunkHistories(ctx context.Context, ids []string, add func(string, []jirajson.History)) error {
	if !c.noBulk.Load() {
		err := c.bulkHistories(ctx, ids, add)
		if err == nil {
			return nil
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || (apiErr.Status != 404 && apiErr.Status != 405) {
			return err
		}
		if c.noBulk.CompareAndSwap(false, true) {
			c.log.Warn("jira bulk changelog unavailable, paging changelogs per issue", "status", apiErr.Status)
		}
	}
	return c.forEach(ctx, len(ids), func(ctx context.Context, i int) error {
		h, err := c.issueHistories(ctx, ids[i])
		if errors.Is(err, ErrNotFound) {
			c.log.Info("jira issue vanished before its changelog was read", "issue", ids[i])
			return nil
		}
		if err != nil {
			return err
		}
		add(ids[i], h)
		return nil
	})
}

// bulkHistories pages POST /changelog/bulkfetch for up to 1,000 ids, filtered to status changes.
// Every requested id is added, even with no status history.
func (c *Client) bulkHistories(ctx context.Context, ids []string, add func(string, []jirajson.History)) error {
	token := ""
	seen := map[string]bool{}
	// As in search, two pages in a row of histories already read mean the tokens go round.
	seenHistories := map[string]bool{}
	stalePages, emptyPages := 0, 0
	for n := 1; n <= maxPages; n++ {
		req := jirajson.BulkChangelogRequest{IssueIDsOrKeys: ids, FieldIDs: []string{"status"}, MaxResults: bulkHistories, NextPageToken: token}
		var res statusChangelogPage
		if err := c.call(ctx, "POST", "/rest/api/3/changelog/bulkfetch", nil, req, &res); err != nil {
			return fmt.Errorf("fetch changelogs of %d issues from %s, page %d: %w", len(ids), ids[0], n, err)
		}
		histories, added := 0, false
		for _, log := range res.IssueChangeLogs {
			for _, h := range log.ChangeHistories {
				histories++
				if !seenHistories[log.IssueID+"/"+h.ID] {
					seenHistories[log.IssueID+"/"+h.ID] = true
					added = true
				}
			}
		}
		switch {
		case added:
			stalePages = 0
		case histories > 0:
			stalePages++
		}
		if stalePages >= 2 && res.NextPageToken != "" {
			return fmt.Errorf("fetch changelogs of %d issues from %s, page %d: two pages in a row repeated only histories already read, yet Jira sent another nextPageToken", len(ids), ids[0], n)
		}
		if histories == 0 && res.NextPageToken != "" {
			emptyPages++
		} else {
			emptyPages = 0
		}
		if emptyPages >= maxEmptyPages {
			return fmt.Errorf("fetch changelogs of %d issues from %s, page %d: %d empty pages in a row, yet Jira sent another nextPageToken", len(ids), ids[0], n, emptyPages)
		}
		for _, log := range res.IssueChangeLogs {
			add(log.IssueID, log.histories())
		}
		if res.NextPageToken == "" {
			// Jira leaves out issues without matching histories; they have no status changes.
			for _, id := range ids {
				add(id, nil)
			}
			return nil
		}
		if seen[res.NextPageToken] {
			return fmt.Errorf("fetch changelogs of %d issues from %s, page %d: Jira repeated a nextPageToken", len(ids), ids[0], n)
		}
		seen[res.NextPageToken] = true
		token = res.NextPageToken
	}
	return fmt.Errorf("fetch changelogs of %d issues from %s: more than %d pages", len(ids), ids[0], maxPages)
}

// issueHistories pages GET /issue/{id}/changelog, oldest first.
func (c *Client) issueHistories(ctx context.Context, id string) ([]jirajson.History, error) {
	apiPath := "/rest/api/3/issue/" + url.PathEscape(id) + "/changelog"
	var all []jirajson.History
	seen := map[string]bool{}
	startAt := 0
	for range maxPages {
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(changelogPageSize)}}
		var page jirajson.PageBeanChangelog
		if err := c.call(ctx, "GET", apiPath, q, nil, &page); err != nil {
			return nil, fmt.Errorf("fetch changelog of %s from %d: %w", id, startAt, err)
		}
		if !pageAddsIDs(seen, len(page.Values), func(i int) string { return page.Values[i].ID }) {
			return nil, fmt.Errorf("fetch changelog of %s from %d: %w", id, startAt, errRepeatedPage)
		}
		all = append(all, page.Values...)
		if page.IsLast || len(page.Values) == 0 {
			return all, nil
		}
		startAt += len(page.Values)
	}
	return nil, fmt.Errorf("fetch changelog of %s: more than %d pages", id, maxPages)
}

// FetchIssues runs jql and returns every matching issue with its complete status history, in
// ascending id order. It lists the matching ids first, 5,000 a page, then reads the issues in
// chunks of 1,000, up to MaxConcurrency requests at once: their fields from /issue/bulkfetch,
// 100 a request, and their status histories from /changelog/bulkfetch. So it costs one id page
// per 5,000 issues, one issue request per 100 and one changelog request per 1,000 (more when
// they have over 10,000 status changes together). A site that returns 404 or 405 for
// /issue/bulkfetch is read with search pages instead (searchIssues).
// NOTE: an issue that starts to match after its id page was read is not returned, and one that
// stops matching later is still returned. Callers that must see every issue read the changes
// since the start of the call in their next call.
// progress, when not nil, is called with the issues read so far and the number of matching ids,
// after the id pages and after each chunk. Its calls never overlap.
func (c *Client) FetchIssues(ctx context.Context, jql string, progress func(fetched, total int)) ([]FetchedIssue, error) {
	start := c.opts.Now()
	c.log.Info("jira fetch started", "jql", jql)
	var issues []FetchedIssue
	err := errNoBulkIssues
	if !c.noBulkIssues.Load() {
		issues, err = c.fetchByIDs(ctx, jql, progress)
	}
	if errors.Is(err, errNoBulkIssues) {
		issues, err = c.searchIssues(ctx, jql, progress)
	}
	if err != nil {
		return nil, err
	}
	c.log.Info("jira fetch finished", "jql", jql, "issues", len(issues), "duration", c.opts.Now().Sub(start))
	return issues, nil
}

// searchIssues is FetchIssues for a site without /issue/bulkfetch. It reads the issues with
// search pages of 100, one after the other because each page carries the next page's token,
// while bulkfetch requests for the histories of each 1,000 issues run beside it. With progress,
// it first requests Jira's approximate count for the total.
// An issue that two search pages both return (it changed during the search) appears once.
func (c *Client) searchIssues(ctx context.Context, jql string, progress func(fetched, total int)) ([]FetchedIssue, error) {
	total := 0
	if progress != nil {
		n, err := c.CountIssues(ctx, jql)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			c.log.Warn("jira issue count failed, progress has no total", "jql", jql, "err", err)
		}
		total = n
	}

	h := c.startHistoryFetch(ctx)
	var issues []FetchedIssue
	index := map[string]int{}
	var pending []string
	err := c.SearchIssues(h.ctx, jql, func(page []FetchedIssue) error {
		for _, issue := range page {
			if i, seen := index[issue.ID]; seen {
				issues[i] = issue
				continue
			}
			index[issue.ID] = len(issues)
			issues = append(issues, issue)
			pending = append(pending, issue.ID)
		}
		for len(pending) >= bulkIssues {
			if !h.send(pending[:bulkIssues:bulkIssues]) {
				return h.ctx.Err()
			}
			pending = pending[bulkIssues:]
		}
		if progress != nil {
			progress(len(issues), max(total, len(issues)))
		}
		c.log.Debug("jira fetch progress", "issues", len(issues), "total", total)
		return nil
	})
	if err == nil && len(pending) > 0 {
		h.send(pending)
	}
	histories, histErr := h.wait()
	switch {
	case histErr != nil:
		return nil, histErr
	case err != nil:
		return nil, err
	}

	for i := range issues {
		issues[i].Transitions = jirajson.Transitions(histories[issues[i].ID])
	}
	slices.SortFunc(issues, func(a, b FetchedIssue) int { return dora.CompareIDs(a.ID, b.ID) })
	if progress != nil {
		progress(len(issues), len(issues))
	}
	return issues, nil
}

// historyFetch reads the histories of id chunks on worker goroutines while the caller searches.
type historyFetch struct {
	ctx    context.Context
	cancel context.CancelFunc
	chunks chan []string
	wg     sync.WaitGroup

	mu        sync.Mutex
	histories map[string][]jirajson.History
	err       error
}

// startHistoryFetch starts MaxConcurrency-1 workers (at least one), leaving a request slot
// for the search that feeds them.
func (c *Client) startHistoryFetch(ctx context.Context) *historyFetch {
	h := &historyFetch{chunks: make(chan []string), histories: map[string][]jirajson.History{}}
	h.ctx, h.cancel = context.WithCancel(ctx)
	add := func(id string, hs []jirajson.History) {
		h.mu.Lock()
		h.histories[id] = append(h.histories[id], hs...)
		h.mu.Unlock()
	}
	for range max(1, c.opts.MaxConcurrency-1) {
		h.wg.Go(func() {
			for chunk := range h.chunks {
				if err := c.chunkHistories(h.ctx, chunk, add); err != nil {
					h.mu.Lock()
					if h.err == nil {
						h.err = err
					}
					h.mu.Unlock()
					h.cancel()
				}
			}
		})
	}
	return h
}

// send hands a chunk of ids to a worker; it returns false when the fetch was cancelled.
func (h *historyFetch) send(ids []string) bool {
	select {
	case h.chunks <- ids:
		return true
	case <-h.ctx.Done():
		return false
	}
}

// wait ends the fetch and returns the histories by issue id, or the first worker error.
func (h *historyFetch) wait() (map[string][]jirajson.History, error) {
	close(h.chunks)
	h.wg.Wait()
	h.cancel()
	return h.histories, h.err
}

// forEach runs fn for 0..n-1 on up to MaxConcurrency goroutines and returns the first error;
// the first error cancels the context of the other calls.
func (c *Client) forEach(ctx context.Context, n int, fn func(context.Context, int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		next     = make(chan int)
	)
	workers := min(n, c.opts.MaxConcurrency)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
