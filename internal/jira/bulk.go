package jira

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// bulkIssueRequestSize is the most issues one POST /issue/bulkfetch returns.
const bulkIssueRequestSize = 100

// bulkIssueAttempts bounds the requests for the issues that a bulk fetch lists in issueErrors,
// which Jira documents as retriable.
const bulkIssueAttempts = 3

// errNoBulkIssues means that the site returned 404 or 405 for /issue/bulkfetch.
var errNoBulkIssues = errors.New("jira issue bulkfetch unavailable")

// fetchByIDs is FetchIssues for a site with /issue/bulkfetch. Each chunk of 1,000 ids is read
// as soon as the id pages have listed it, so the listing and the reads overlap. It returns
// errNoBulkIssues, wrapped, when the site turns out not to have it.
func (c *Client) fetchByIDs(ctx context.Context, jql string, progress func(fetched, total int)) ([]FetchedIssue, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		mu      sync.Mutex
		results [][]FetchedIssue // by chunk, in the order the chunks were listed
		fetched int
		total   = -1 // unknown until the listing ends
	)
	report := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		fetched += n
		if progress != nil && total >= 0 {
			progress(fetched, max(total, fetched))
		}
	}

	type chunk struct {
		index int
		ids   []string
	}
	chunks := make(chan chunk)
	var workers sync.WaitGroup
	for range c.opts.MaxConcurrency {
		workers.Go(func() {
			for ch := range chunks {
				issues, err := c.fetchChunk(ctx, ch.ids)
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				results[ch.index] = issues
				mu.Unlock()
				report(len(issues))
				c.log.Debug("jira fetch progress", "chunk", ch.index+1, "issues", len(issues))
			}
		})
	}
	send := func(ids []string) bool {
		mu.Lock()
		index := len(results)
		results = append(results, nil)
		mu.Unlock()
		select {
		case chunks <- chunk{index: index, ids: ids}:
			return true
		case <-ctx.Done():
			return false
		}
	}

	seen := map[string]bool{}
	var pending []string
	listErr := c.search(ctx, jql, []string{"id"}, idPageSize, func(page []jirajson.Issue) error {
		for _, issue := range page {
			if err := checkListedID(jql, issue.ID); err != nil {
				return err
			}
			if !seen[issue.ID] {
				seen[issue.ID] = true
				pending = append(pending, issue.ID)
			}
		}
		for len(pending) >= bulkIssues {
			if !send(pending[:bulkIssues:bulkIssues]) {
				return context.Cause(ctx)
			}
			pending = pending[bulkIssues:]
		}
		return nil
	})
	if listErr != nil {
		cancel(listErr) // stops the chunks in flight; an earlier chunk error stays the cause
	} else if len(pending) > 0 {
		send(pending)
	}
	if listErr == nil {
		mu.Lock()
		total = len(seen)
		mu.Unlock()
		report(0)
	}
	close(chunks)
	workers.Wait()

	// The cause is the first error recorded: a chunk's, the listing's or the caller's deadline.
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	if listErr != nil {
		return nil, listErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	issues := slices.Concat(results...)
	// Chunks hold ids in Jira's order. The emulator lists by id, and a site that lists in another
	// order pays for one sort.
	byID := func(a, b FetchedIssue) int { return dora.CompareIDs(a.ID, b.ID) }
	if !slices.IsSortedFunc(issues, byID) {
		slices.SortFunc(issues, byID)
	}
	return issues, nil
}

// fetchChunk reads the fields and the complete status history of up to 1,000 issues, in the
// order of ids. Ids that Jira no longer returns (deleted, moved out of view) are left out. The
// changelog request runs beside the field requests, because it needs only the ids.
func (c *Client) fetchChunk(ctx context.Context, ids []string) ([]FetchedIssue, error) {
	pieces := slices.Collect(slices.Chunk(ids, bulkIssueRequestSize))
	got := make([][]jirajson.IssueRef, len(pieces))
	var mu sync.Mutex
	histories := make(map[string][]jirajson.History, len(ids))
	add := func(id string, h []jirajson.History) {
		mu.Lock()
		histories[id] = append(histories[id], h...)
		mu.Unlock()
	}
	// Job 0 reads the histories, and job i > 0 reads the fields of piece i-1.
	err := c.forEach(ctx, len(pieces)+1, func(ctx context.Context, i int) error {
		if i == 0 {
			return c.chunkHistories(ctx, ids, add)
		}
		var err error
		got[i-1], err = c.bulkIssueFields(ctx, pieces[i-1])
		return err
	})
	if err != nil {
		return nil, err
	}

	issues := make([]FetchedIssue, 0, len(ids))
	for _, piece := range got {
		for _, issue := range piece {
			f := &issue.Fields
			if err := checkFacts(issue.ID, issue.Key, f.Created.Time, f.Status.ID, f.IssueType.ID); err != nil {
				return nil, fmt.Errorf("fetch issues from %s: %w", ids[0], err)
			}
			issues = append(issues, FetchedIssue{
				Issue:     issue.Facts(jirajson.Transitions(histories[issue.ID])),
				ProjectID: f.Project.ID,
				Updated:   f.Updated.Time,
			})
		}
	}
	return issues, nil
}

// bulkIssueFields reads the engine's fields of up to 100 listed issues from POST
// /issue/bulkfetch, in ascending id order. Jira leaves out of the reply the issues that are
// not found or not visible, but a listed issue that is missing may also be a reply that lost
// it. So a missing issue is requested again, and one still missing is read alone with GET
// /issue/{id}: a 404 there means it vanished after the listing (deleted, moved out of view)
// and it is left out. An issue that Jira returns alone but not in bulk is an error, so that a
// sync never stores a project without issues it still has.
func (c *Client) bulkIssueFields(ctx context.Context, ids []string) ([]jirajson.IssueRef, error) {
	issues, err := c.bulkIssueRequests(ctx, ids)
	if err != nil {
		return nil, err
	}
	if missing := missingIDs(ids, issues); len(missing) > 0 {
		again, err := c.bulkIssueRequests(ctx, missing)
		if err != nil {
			return nil, err
		}
		issues = append(issues, again...)
		for _, id := range missingIDs(missing, again) {
			if err := c.confirmVanished(ctx, id); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(issues, func(a, b jirajson.IssueRef) int { return dora.CompareIDs(a.ID, b.ID) })
	return issues, nil
}

// missingIDs returns the ids that issues does not contain.
func missingIDs(ids []string, issues []jirajson.IssueRef) []string {
	got := make(map[string]bool, len(issues))
	for _, issue := range issues {
		got[issue.ID] = true
	}
	var missing []string
	for _, id := range ids {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

// confirmVanished reads issue id alone and returns nil when Jira no longer has it for this
// account (404), or an error when Jira returns it, because issue bulkfetch then left out an
// issue it should have returned.
func (c *Client) confirmVanished(ctx context.Context, id string) error {
	var issue jirajson.IssueRef
	err := c.call(ctx, "GET", "/rest/api/3/issue/"+url.PathEscape(id), url.Values{"fields": {"id"}}, nil, &issue)
	switch {
	case errors.Is(err, ErrNotFound):
		c.log.Info("jira issue vanished after the id listing, leaving it out", "issue", id)
		return nil
	case err != nil:
		return fmt.Errorf("check issue %s, which issue bulkfetch left out: %w", id, err)
	}
	return fmt.Errorf("issue %s: Jira lists it and returns it alone, but /issue/bulkfetch left it out twice, so the sync stops rather than drop the issue: try again later", id)
}

// bulkIssueRequests reads the engine's fields of up to 100 issues from POST /issue/bulkfetch.
// It requests the issues listed in issueErrors again, up to bulkIssueAttempts requests in all,
// and fails when some are still listed. Ids that Jira leaves out of both lists are left out.
func (c *Client) bulkIssueRequests(ctx context.Context, ids []string) ([]jirajson.IssueRef, error) {
	var issues []jirajson.IssueRef
	remaining := ids
	for attempt := 1; ; attempt++ {
		req := jirajson.BulkIssueRequest{IssueIDsOrKeys: remaining, Fields: searchFields}
		var res jirajson.BulkIssueResults
		err := c.callDecode(ctx, "POST", "/rest/api/3/issue/bulkfetch", nil, req, func(b []byte) error {
			res = jirajson.BulkIssueResults{}
			return decodeBulkIssues(b, remaining, &res)
		})
		var apiErr *APIError
		if errors.As(err, &apiErr) && (apiErr.Status == 404 || apiErr.Status == 405) {
			if c.noBulkIssues.CompareAndSwap(false, true) {
				c.log.Warn("jira issue bulkfetch unavailable, reading issues with search pages", "status", apiErr.Status)
			}
			return nil, fmt.Errorf("%w: %w", errNoBulkIssues, err)
		}
		if err != nil {
			return nil, fmt.Errorf("fetch %d issues from %s: %w", len(remaining), remaining[0], err)
		}
		issues = append(issues, res.Issues...)
		if len(res.IssueErrors) == 0 {
			break
		}
		first := res.IssueErrors[0]
		if attempt == bulkIssueAttempts {
			return nil, fmt.Errorf("fetch %d issues from %s: Jira failed to return %d of them after %d requests, issue %s: %q",
				len(ids), ids[0], len(res.IssueErrors), attempt, first.ID, first.ErrorMessage)
		}
		c.log.Warn("jira issue bulkfetch failed for some issues, requesting them again",
			"issues", len(res.IssueErrors), "issue", first.ID, "message", first.ErrorMessage, "attempt", attempt)
		remaining = make([]string, 0, len(res.IssueErrors))
		for _, e := range res.IssueErrors {
			remaining = append(remaining, e.ID)
		}
	}
	return issues, nil
}

// decodeBulkIssues decodes a reply of /issue/bulkfetch for the ids requested. An issue without
// an id, one that was not requested, one listed twice, and an error entry for an id that was
// not requested are errors, because the merge by id relies on them.
func decodeBulkIssues(data []byte, requested []string, res *jirajson.BulkIssueResults) error {
	if err := decodeJSON(data, res); err != nil {
		return err
	}
	isRequested := make(map[string]bool, len(requested))
	for _, id := range requested {
		isRequested[id] = true
	}
	seen := make(map[string]bool, len(res.Issues))
	for i, issue := range res.Issues {
		switch {
		case issue.ID == "":
			return fmt.Errorf("issue %d of the reply has no id", i)
		case !isRequested[issue.ID]:
			return fmt.Errorf("the reply has issue %s, which was not requested", issue.ID)
		case seen[issue.ID]:
			return fmt.Errorf("the reply has issue %s twice", issue.ID)
		}
		seen[issue.ID] = true
	}
	for _, e := range res.IssueErrors {
		if !isRequested[e.ID] || seen[e.ID] {
			return fmt.Errorf("the reply has an error for issue %q, which was not requested or was returned", e.ID)
		}
		seen[e.ID] = true
	}
	return nil
}

// statusChangelogPage is a page of POST /changelog/bulkfetch as the client decodes it: with the
// ids and instants of the histories and the field and status ids of their items. Leaving out
// the status names and field types saves three strings an item, on an estimated million items
// for 100,000 issues of about ten status changes each.
type statusChangelogPage struct {
	IssueChangeLogs []statusChangelog `json:"issueChangeLogs"`
	NextPageToken   string            `json:"nextPageToken"`
}

type statusChangelog struct {
	IssueID         string          `json:"issueId"`
	ChangeHistories []statusHistory `json:"changeHistories"`
}

type statusHistory struct {
	ID      string        `json:"id"`
	Created jirajson.Time `json:"created"`
	Items   []statusItem  `json:"items"`
}

type statusItem struct {
	Field   string `json:"field"`
	FieldID string `json:"fieldId"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// histories returns the histories of l in the form the rest of the client reads.
func (l statusChangelog) histories() []jirajson.History {
	out := make([]jirajson.History, len(l.ChangeHistories))
	for i, h := range l.ChangeHistories {
		items := make([]jirajson.HistoryItem, len(h.Items))
		for j, it := range h.Items {
			items[j] = jirajson.HistoryItem{Field: it.Field, FieldID: it.FieldID, From: it.From, To: it.To}
		}
		out[i] = jirajson.History{ID: h.ID, Created: h.Created, Items: items}
	}
	return out
}
