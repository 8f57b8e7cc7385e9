package jiraemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// Limits that Jira Cloud applies and the emulator copies.
const (
	searchMaxResults     = 100
	searchIDMaxResults   = 5000
	searchChangelogCap   = 40
	bulkMaxIssues        = 1000
	bulkIssueMaxIssues   = 100
	bulkMaxFieldIDs      = 10
	bulkMaxResults       = 10000
	bulkDefaultResults   = 1000
	changelogMaxResults  = 100
	versionMaxResults    = 50
	projectMaxResults    = 50
	defaultPageSize      = 50
	maxRequestBodyBytes  = 1 << 20
	permissionBrowse     = "BROWSE_PROJECTS"
	permissionAdminister = "ADMINISTER_PROJECTS"
	msgIssueNotFound     = "Issue does not exist or you do not have permission to see it."
	msgProjectNotFound   = "No project could be found with key or id '%s'."
	msgUnboundedJQL      = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
	msgBadNextPageToken  = "The provided next page token is invalid or expired."
	msgPermissionMissing = "The permissions query parameter is required."
)

var (
	versionPath   = regexp.MustCompile(`^/rest/api/3/project/([^/]+)/version$`)
	changelogPath = regexp.MustCompile(`^/rest/api/3/issue/([^/]+)/changelog$`)
	issuePath     = regexp.MustCompile(`^/rest/api/3/issue/([^/]+)$`)
	projectPath   = regexp.MustCompile(`^/rest/api/3/project/([^/]+)$`)
)

func (e *Emulator) route(w *recorder, r *http.Request, apiPath string, user caller, faults Faults) {
	type handler func(*recorder, *http.Request, caller)
	var h handler
	method := http.MethodGet
	var pathArg string
	switch {
	case apiPath == "/rest/api/3/myself":
		h = e.handleMyself
	case apiPath == "/rest/api/3/project/search":
		h = e.handleProjects
	case apiPath == "/rest/api/3/status":
		h = e.handleStatuses
	case apiPath == "/rest/api/3/issuetype":
		h = e.handleIssueTypes
	case apiPath == "/rest/api/3/mypermissions":
		h = e.handleMyPermissions
	case apiPath == "/rest/api/3/search/jql":
		h, method = e.handleSearch, r.Method
		if method != http.MethodGet {
			method = http.MethodPost
		}
	case apiPath == "/rest/api/3/search/approximate-count":
		h, method = e.handleCount, http.MethodPost
	case apiPath == "/rest/api/3/permissions/check":
		h, method = e.handlePermissionsCheck, http.MethodPost
	case apiPath == "/rest/api/3/changelog/bulkfetch":
		h, method = e.handleBulkChangelog, http.MethodPost
		if faults.NoBulkChangelog {
			writeError(w, http.StatusNotFound, "No resource found at /rest/api/3/changelog/bulkfetch.")
			return
		}
	case apiPath == "/rest/api/3/issue/bulkfetch":
		h, method = func(w *recorder, r *http.Request, user caller) {
			e.handleBulkIssues(w, r, user, e.nextBulkIssueFails(faults))
		}, http.MethodPost
		if faults.NoBulkIssues {
			writeError(w, http.StatusNotFound, "No resource found at /rest/api/3/issue/bulkfetch.")
			return
		}
	case projectPath.MatchString(apiPath):
		pathArg = projectPath.FindStringSubmatch(apiPath)[1]
		h = func(w *recorder, r *http.Request, user caller) { e.handleProject(w, user, pathArg) }
	case versionPath.MatchString(apiPath):
		pathArg = versionPath.FindStringSubmatch(apiPath)[1]
		h = func(w *recorder, r *http.Request, user caller) { e.handleVersions(w, r, user, pathArg) }
	case issuePath.MatchString(apiPath) && apiPath != "/rest/api/3/issue/bulkfetch":
		pathArg = issuePath.FindStringSubmatch(apiPath)[1]
		h = func(w *recorder, r *http.Request, user caller) { e.handleIssue(w, r, user, pathArg) }
	case changelogPath.MatchString(apiPath):
		pathArg = changelogPath.FindStringSubmatch(apiPath)[1]
		h = func(w *recorder, r *http.Request, user caller) { e.handleIssueChangelog(w, r, user, pathArg) }
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("No resource found at %s.", apiPath))
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %s is not allowed on %s.", r.Method, apiPath))
		return
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	h(w, r, user)
}

func (e *Emulator) handleMyself(w *recorder, _ *http.Request, user caller) {
	writeJSONReply(w, http.StatusOK, map[string]any{
		"accountId": user.accountID, "accountType": "atlassian", "active": true, "timeZone": user.tzName,
	})
}

func (e *Emulator) handleStatuses(w *recorder, _ *http.Request, _ caller) {
	writeJSONReply(w, http.StatusOK, orEmpty(e.site.Statuses))
}

func (e *Emulator) handleIssueTypes(w *recorder, _ *http.Request, _ caller) {
	writeJSONReply(w, http.StatusOK, orEmpty(e.site.IssueTypes))
}

func (e *Emulator) handleProjects(w *recorder, r *http.Request, user caller) {
	startAt, maxResults, ok := pageParams(w, r.URL.Query(), projectMaxResults)
	if !ok {
		return
	}
	var visible []jirajson.Project
	for _, p := range e.site.Projects {
		if e.canBrowse(user.accountID, p.ID) {
			visible = append(visible, p)
		}
	}
	values, isLast := pageOf(visible, startAt, maxResults)
	writeJSONReply(w, http.StatusOK, jirajson.PageBeanProject{StartAt: startAt, MaxResults: maxResults, Total: len(visible), IsLast: isLast, Values: values})
}

func (e *Emulator) handleProject(w *recorder, user caller, idOrKey string) {
	p, found := e.site.projectByIDOrKey(idOrKey)
	if !found || !e.canBrowse(user.accountID, p.ID) {
		writeError(w, http.StatusNotFound, fmt.Sprintf(msgProjectNotFound, idOrKey))
		return
	}
	writeJSONReply(w, http.StatusOK, p)
}

func (e *Emulator) handleVersions(w *recorder, r *http.Request, user caller, idOrKey string) {
	q := r.URL.Query()
	p, found := e.site.projectByIDOrKey(idOrKey)
	if !found || !e.canBrowse(user.accountID, p.ID) {
		writeError(w, http.StatusNotFound, fmt.Sprintf(msgProjectNotFound, idOrKey))
		return
	}
	startAt, maxResults, ok := pageParams(w, q, versionMaxResults)
	if !ok {
		return
	}
	var versions []jirajson.Version
	for _, v := range e.site.Versions {
		if string(v.ProjectID) == p.ID {
			versions = append(versions, v)
		}
	}
	if !sortVersions(versions, q.Get("orderBy")) {
		writeFieldError(w, http.StatusBadRequest, "orderBy", fmt.Sprintf("Invalid orderBy value '%s': use sequence, name or releaseDate, with an optional - for descending order.", q.Get("orderBy")))
		return
	}
	values, isLast := pageOf(versions, startAt, maxResults)
	writeJSONReply(w, http.StatusOK, jirajson.PageBeanVersion{StartAt: startAt, MaxResults: maxResults, Total: len(versions), IsLast: isLast, Values: values})
}

// sortVersions orders v by orderBy ("sequence", "name" or "releaseDate", with an optional "-"
// for descending order). It reports false for any other value.
func sortVersions(v []jirajson.Version, orderBy string) bool {
	desc := strings.HasPrefix(orderBy, "-")
	field := strings.TrimLeft(orderBy, "+-")
	var compare func(a, b jirajson.Version) int
	switch field {
	case "", "sequence":
		if desc {
			slices.Reverse(v)
		}
		return true
	case "name":
		compare = func(a, b jirajson.Version) int { return strings.Compare(a.Name, b.Name) }
	case "releaseDate":
		compare = func(a, b jirajson.Version) int {
			return strings.Compare(versionDate(a), versionDate(b))
		}
	default:
		return false
	}
	slices.SortStableFunc(v, func(a, b jirajson.Version) int {
		if desc {
			return -compare(a, b)
		}
		return compare(a, b)
	})
	return true
}

func versionDate(v jirajson.Version) string {
	b, _ := v.ReleaseDate.MarshalJSON()
	return string(b)
}

func (e *Emulator) handleSearch(w *recorder, r *http.Request, user caller) {
	var req jirajson.SearchRequest
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		req.JQL = q.Get("jql")
		req.NextPageToken = q.Get("nextPageToken")
		req.Expand = q.Get("expand")
		for _, f := range q["fields"] {
			req.Fields = append(req.Fields, strings.Split(f, ",")...)
		}
		if m := q.Get("maxResults"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil {
				writeFieldError(w, http.StatusBadRequest, "maxResults", fmt.Sprintf("The value '%s' is not a valid integer.", m))
				return
			}
			req.MaxResults = n
		}
	} else if !decodeBody(w, r, &req) {
		return
	}

	onlyID := len(req.Fields) == 1 && req.Fields[0] == "id"
	limit := searchMaxResults
	if onlyID {
		limit = searchIDMaxResults
	}
	if req.MaxResults < 0 {
		writeFieldError(w, http.StatusBadRequest, "maxResults", "maxResults must not be negative.")
		return
	}
	pageSize := cmpOr(req.MaxResults, defaultPageSize)
	pageSize = min(pageSize, limit)
	expandChangelog := slices.Contains(strings.Split(req.Expand, ","), "changelog")

	matches, ok := e.runJQL(w, req.JQL, user)
	if !ok {
		return
	}
	binding := queryHash(req.JQL, strings.Join(req.Fields, ","), req.Expand, user.accountID)
	offset := 0
	if req.NextPageToken != "" {
		c, err := e.openCursor(req.NextPageToken, binding)
		if err != nil {
			writeError(w, http.StatusBadRequest, msgBadNextPageToken)
			return
		}
		offset = c.Offset
	}
	page, isLast := pageOf(matches, offset, pageSize)
	body := appendIssuesJSON([]byte(`{"issues":`), page, req.Fields, onlyID, expandChangelog)
	body = append(body, `,"isLast":`...)
	body = strconv.AppendBool(body, isLast)
	if !isLast {
		body = append(body, `,"nextPageToken":`...)
		body = appendJSONString(body, e.sealCursor(cursor{Query: binding, Offset: offset + len(page)}))
	}
	w.writeBody(http.StatusOK, append(body, '}'))
}

// appendIssuesJSON appends recs as a JSON array of issues, each as appendIssueJSON writes it.
func appendIssuesJSON(b []byte, recs []*IssueRecord, fields []string, onlyID, changelog bool) []byte {
	b = slices.Grow(b, 256*len(recs)+64)
	b = append(b, '[')
	for i, rec := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendIssueJSON(b, rec, fields, onlyID, changelog)
	}
	return append(b, ']')
}

// appendIssueJSON appends an issue with the requested fields, and with the newest 40
// histories, newest first, when the changelog is expanded. The fields are copied as stored, in
// name order, so a page costs little more than copying its bytes.
func appendIssueJSON(b []byte, rec *IssueRecord, fields []string, onlyID, changelog bool) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, rec.ID)
	if onlyID {
		return append(b, '}')
	}
	b = append(b, `,"key":`...)
	b = appendJSONString(b, rec.Key)
	all := len(fields) == 0 || slices.Contains(fields, "*all") || slices.Contains(fields, "*navigable")
	names := make([]string, 0, len(rec.Fields))
	for name := range rec.Fields {
		if all || slices.Contains(fields, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	b = append(b, `,"fields":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = append(b, rec.Fields[name]...)
	}
	b = append(b, '}')
	if changelog {
		n := min(len(rec.Histories), searchChangelogCap)
		newest := slices.Clone(rec.Histories[len(rec.Histories)-n:])
		slices.Reverse(newest)
		b = fmt.Appendf(b, `,"changelog":{"startAt":0,"maxResults":%d,"total":%d,"histories":`, n, len(rec.Histories))
		b = appendHistoriesJSON(b, newest)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Plain ASCII is quoted directly; anything else
// goes through the JSON encoder.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s)
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (e *Emulator) handleCount(w *recorder, r *http.Request, user caller) {
	var req jirajson.CountRequest
	if !decodeBody(w, r, &req) {
		return
	}
	matches, ok := e.runJQL(w, req.JQL, user)
	if !ok {
		return
	}
	writeJSONReply(w, http.StatusOK, jirajson.CountResult{Count: len(matches)})
}

// runJQL returns the visible issues matching jql in the query's order, or writes a 400.
func (e *Emulator) runJQL(w *recorder, jql string, user caller) ([]*IssueRecord, bool) {
	q, err := parseJQL(jql, user.loc, e.site)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	if q.where == nil {
		writeError(w, http.StatusBadRequest, msgUnboundedJQL)
		return nil, false
	}
	key := jql + "\x00" + user.accountID + "\x00" + user.loc.String()
	if matches, ok := e.matches.get(key, e.generation); ok {
		return matches, true
	}
	var matches []*IssueRecord
	for _, rec := range e.site.Issues {
		if e.canBrowse(user.accountID, rec.index.projectID) && q.where(rec) {
			matches = append(matches, rec)
		}
	}
	if len(q.order) > 0 {
		slices.SortStableFunc(matches, func(a, b *IssueRecord) int { return compareIssues(q.order, a, b) })
	}
	e.matches.put(key, e.generation, matches)
	return matches, true
}

func (e *Emulator) handleBulkChangelog(w *recorder, r *http.Request, user caller) {
	var req jirajson.BulkChangelogRequest
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case len(req.IssueIDsOrKeys) == 0 || len(req.IssueIDsOrKeys) > bulkMaxIssues:
		writeFieldError(w, http.StatusBadRequest, "issueIdsOrKeys", fmt.Sprintf("Provide between 1 and %d issue ids or keys; got %d.", bulkMaxIssues, len(req.IssueIDsOrKeys)))
		return
	case len(req.FieldIDs) > bulkMaxFieldIDs:
		writeFieldError(w, http.StatusBadRequest, "fieldIds", fmt.Sprintf("Provide at most %d field ids; got %d.", bulkMaxFieldIDs, len(req.FieldIDs)))
		return
	case req.MaxResults < 0 || req.MaxResults > bulkMaxResults:
		writeFieldError(w, http.StatusBadRequest, "maxResults", fmt.Sprintf("maxResults must be between 1 and %d; got %d.", bulkMaxResults, req.MaxResults))
		return
	}
	pageSize := cmpOr(req.MaxResults, bulkDefaultResults)
	binding := queryHash(strings.Join(req.IssueIDsOrKeys, ","), strings.Join(req.FieldIDs, ","), strconv.Itoa(pageSize), user.accountID)
	var c cursor
	if req.NextPageToken != "" {
		var err error
		if c, err = e.openCursor(req.NextPageToken, binding); err != nil {
			writeError(w, http.StatusBadRequest, msgBadNextPageToken)
			return
		}
	}

	logs := []jirajson.IssueChangeLog{}
	emitted := 0
	issueIdx, histIdx := c.Offset, c.Inner
	for ; issueIdx < len(req.IssueIDsOrKeys) && emitted < pageSize; issueIdx, histIdx = issueIdx+1, 0 {
		rec := e.findIssue(req.IssueIDsOrKeys[issueIdx])
		if rec == nil || !e.canBrowse(user.accountID, rec.index.projectID) {
			continue
		}
		histories := filterHistories(rec.Histories, req.FieldIDs)
		if histIdx >= len(histories) {
			continue
		}
		take := min(len(histories)-histIdx, pageSize-emitted)
		logs = append(logs, jirajson.IssueChangeLog{IssueID: rec.ID, ChangeHistories: histories[histIdx : histIdx+take]})
		emitted += take
		if histIdx+take < len(histories) {
			histIdx += take
			break
		}
	}
	body := append(make([]byte, 0, 64+200*emitted), `{"issueChangeLogs":[`...)
	for i, log := range logs {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"issueId":`...)
		body = appendJSONString(body, log.IssueID)
		body = append(body, `,"changeHistories":`...)
		body = appendHistoriesJSON(body, log.ChangeHistories)
		body = append(body, '}')
	}
	body = append(body, ']')
	if issueIdx < len(req.IssueIDsOrKeys) && emitted >= pageSize {
		body = append(body, `,"nextPageToken":`...)
		body = appendJSONString(body, e.sealCursor(cursor{Query: binding, Offset: issueIdx, Inner: histIdx}))
	}
	w.writeBody(http.StatusOK, append(body, '}'))
}

// appendHistoriesJSON appends histories as a JSON array, as encoding/json writes a
// []jirajson.History, without its reflection: the changelog replies are most of the bytes
// that the emulator sends.
func appendHistoriesJSON(b []byte, histories []jirajson.History) []byte {
	b = append(b, '[')
	for i, h := range histories {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, h.ID)
		b = append(b, `,"created":`...)
		created, _ := h.Created.MarshalJSON() // never fails
		b = append(b, created...)
		b = append(b, `,"items":`...)
		if h.Items == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for j, it := range h.Items {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"field":`...)
				b = appendJSONString(b, it.Field)
				b = append(b, `,"fieldtype":`...)
				b = appendJSONString(b, it.FieldType)
				if it.FieldID != "" {
					b = append(b, `,"fieldId":`...)
					b = appendJSONString(b, it.FieldID)
				}
				b = append(b, `,"from":`...)
				b = appendJSONString(b, it.From)
				b = append(b, `,"fromString":`...)
				b = appendJSONString(b, it.FromString)
				b = append(b, `,"to":`...)
				b = appendJSONString(b, it.To)
				b = append(b, `,"toString":`...)
				b = appendJSONString(b, it.ToString)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// handleBulkIssues serves POST /issue/bulkfetch: the requested fields of up to 100 issues, by
// id or key, in ascending id order. Issues not found or not visible are left out.
// With failOne, the first visible issue is listed in issueErrors instead.
func (e *Emulator) handleBulkIssues(w *recorder, r *http.Request, user caller, failOne bool) {
	var req jirajson.BulkIssueRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.IssueIDsOrKeys) == 0 || len(req.IssueIDsOrKeys) > bulkIssueMaxIssues {
		writeFieldError(w, http.StatusBadRequest, "issueIdsOrKeys", fmt.Sprintf("Provide between 1 and %d issue ids or keys; got %d.", bulkIssueMaxIssues, len(req.IssueIDsOrKeys)))
		return
	}

	var found []*IssueRecord
	issueErrors := []jirajson.IssueError{}
	seen := map[string]bool{}
	for _, idOrKey := range req.IssueIDsOrKeys {
		rec := e.findIssue(idOrKey)
		if rec == nil || seen[rec.ID] || !e.canBrowse(user.accountID, rec.index.projectID) {
			continue
		}
		seen[rec.ID] = true
		if failOne && len(issueErrors) == 0 {
			issueErrors = append(issueErrors, jirajson.IssueError{ID: rec.ID, ErrorMessage: "The issue could not be retrieved. Try again."})
			continue
		}
		found = append(found, rec)
	}
	slices.SortFunc(found, func(a, b *IssueRecord) int { return dora.CompareIDs(a.ID, b.ID) })

	body := appendIssuesJSON([]byte(`{"issues":`), found, req.Fields, false, false)
	errorsJSON, err := jsonMarshal(issueErrors)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode reply: "+err.Error())
		return
	}
	body = append(body, `,"issueErrors":`...)
	body = append(body, errorsJSON...)
	w.writeBody(http.StatusOK, append(body, '}'))
}

// nextBulkIssueFails counts a request to /issue/bulkfetch and reports whether it is one of the
// first faults.BulkIssueErrors.
func (e *Emulator) nextBulkIssueFails(faults Faults) bool {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.bulkIssueRequests++
	return e.bulkIssueRequests <= faults.BulkIssueErrors
}

// filterHistories keeps the items whose field id (or field name, for items without an id)
// is in fieldIDs, and drops histories left empty. No field ids keeps everything.
func filterHistories(histories []jirajson.History, fieldIDs []string) []jirajson.History {
	if len(fieldIDs) == 0 {
		return histories
	}
	var out []jirajson.History
	for _, h := range histories {
		if allItemsIn(h.Items, fieldIDs) {
			out = append(out, h) // nothing to filter, so no copy
			continue
		}
		var items []jirajson.HistoryItem
		for _, it := range h.Items {
			id := it.FieldID
			if id == "" {
				id = it.Field
			}
			if slices.Contains(fieldIDs, id) {
				items = append(items, it)
			}
		}
		if len(items) > 0 {
			h.Items = items
			out = append(out, h)
		}
	}
	return out
}

// handleIssue serves GET /issue/{idOrKey} with the fields of the fields parameter (all when
// absent), or 404 for an issue that is not found or not visible.
func (e *Emulator) handleIssue(w *recorder, r *http.Request, user caller, idOrKey string) {
	rec := e.findIssue(idOrKey)
	if rec == nil || !e.canBrowse(user.accountID, rec.index.projectID) {
		writeError(w, http.StatusNotFound, msgIssueNotFound)
		return
	}
	var fields []string
	for _, f := range r.URL.Query()["fields"] {
		fields = append(fields, strings.Split(f, ",")...)
	}
	w.writeBody(http.StatusOK, appendIssueJSON(nil, rec, fields, false, false))
}

// allItemsIn reports whether items is not empty and every item's field id (or field name) is
// in fieldIDs.
func allItemsIn(items []jirajson.HistoryItem, fieldIDs []string) bool {
	for _, it := range items {
		id := it.FieldID
		if id == "" {
			id = it.Field
		}
		if !slices.Contains(fieldIDs, id) {
			return false
		}
	}
	return len(items) > 0
}

func (e *Emulator) handleIssueChangelog(w *recorder, r *http.Request, user caller, idOrKey string) {
	rec := e.findIssue(idOrKey)
	if rec == nil || !e.canBrowse(user.accountID, rec.index.projectID) {
		writeError(w, http.StatusNotFound, msgIssueNotFound)
		return
	}
	startAt, maxResults, ok := pageParams(w, r.URL.Query(), changelogMaxResults)
	if !ok {
		return
	}
	values, isLast := pageOf(rec.Histories, startAt, maxResults)
	body := fmt.Appendf(nil, `{"startAt":%d,"maxResults":%d,"total":%d,"isLast":%t,"values":`, startAt, maxResults, len(rec.Histories), isLast)
	body = appendHistoriesJSON(body, values)
	w.writeBody(http.StatusOK, append(body, '}'))
}

func (e *Emulator) handleMyPermissions(w *recorder, r *http.Request, user caller) {
	q := r.URL.Query()
	keys := strings.Split(q.Get("permissions"), ",")
	if q.Get("permissions") == "" {
		writeError(w, http.StatusBadRequest, msgPermissionMissing)
		return
	}
	projectRef := cmpOr(q.Get("projectId"), q.Get("projectKey"))
	var project jirajson.Project
	if projectRef != "" {
		var found bool
		project, found = e.site.projectByIDOrKey(projectRef)
		if !found || !e.canBrowse(user.accountID, project.ID) {
			writeError(w, http.StatusNotFound, fmt.Sprintf(msgProjectNotFound, projectRef))
			return
		}
	}
	perms := map[string]jirajson.MyPermission{}
	for _, key := range keys {
		if !validPermissionKey(key) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("The permission key '%s' is not valid.", key))
			return
		}
		have := e.grantsOnBrowsable(key, user.accountID) && (projectRef == "" || e.canBrowse(user.accountID, project.ID))
		perms[key] = jirajson.MyPermission{Key: key, HavePermission: have}
	}
	writeJSONReply(w, http.StatusOK, jirajson.MyPermissions{Permissions: perms})
}

var permissionKeyPattern = regexp.MustCompile(`^[A-Z][A-Z_]*$`)

func validPermissionKey(key string) bool { return permissionKeyPattern.MatchString(key) }

func (e *Emulator) handlePermissionsCheck(w *recorder, r *http.Request, user caller) {
	var req jirajson.PermissionsCheckRequest
	if !decodeBody(w, r, &req) {
		return
	}
	account := user.accountID
	if req.AccountID != "" && req.AccountID != user.accountID {
		if !user.admin {
			writeError(w, http.StatusForbidden, "Checking another user's permissions needs the Administer Jira global permission.")
			return
		}
		account = req.AccountID
	}
	grants := jirajson.PermissionGrants{ProjectPermissions: []jirajson.ProjectPermissionGrant{}}
	byPermission := map[string][]int64{}
	var order []string
	for _, pp := range req.ProjectPermissions {
		for _, key := range pp.Permissions {
			if !validPermissionKey(key) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("The permission key '%s' is not valid.", key))
				return
			}
			if _, seen := byPermission[key]; !seen {
				order = append(order, key)
				byPermission[key] = []int64{}
			}
			if !e.grantsOnBrowsable(key, account) {
				continue
			}
			for _, id := range pp.Projects {
				sid := strconv.FormatInt(id, 10)
				if _, found := e.site.projectByIDOrKey(sid); found && e.canBrowse(account, sid) && !slices.Contains(byPermission[key], id) {
					byPermission[key] = append(byPermission[key], id)
				}
			}
		}
	}
	for _, key := range order {
		grants.ProjectPermissions = append(grants.ProjectPermissions, jirajson.ProjectPermissionGrant{Permission: key, Projects: byPermission[key]})
	}
	writeJSONReply(w, http.StatusOK, grants)
}

// grantsOnBrowsable reports whether account holds the permission key on every project it may
// browse: BROWSE_PROJECTS always, ADMINISTER_PROJECTS for project admins, nothing else.
func (e *Emulator) grantsOnBrowsable(key, account string) bool {
	switch key {
	case permissionBrowse:
		return true
	case permissionAdminister:
		return e.projectAdmin(account)
	}
	return false
}

// projectAdmin reports whether account administers the projects it may browse.
func (e *Emulator) projectAdmin(account string) bool {
	return slices.ContainsFunc(e.users, func(u User) bool { return u.AccountID == account && u.ProjectAdmin })
}

// findIssue finds an issue by id or key (keys compare case-insensitively); the caller holds e.mu.
func (e *Emulator) findIssue(idOrKey string) *IssueRecord {
	if rec, ok := e.byID[idOrKey]; ok {
		return rec
	}
	return e.byKey[strings.ToUpper(idOrKey)]
}

// rebuildLookup refreshes the id and key maps after a change; the caller holds e.mu for writing.
func (e *Emulator) rebuildLookup() {
	e.generation++
	e.byID = make(map[string]*IssueRecord, len(e.site.Issues))
	e.byKey = make(map[string]*IssueRecord, len(e.site.Issues))
	for _, rec := range e.site.Issues {
		e.byID[rec.ID] = rec
		e.byKey[strings.ToUpper(rec.Key)] = rec
	}
}

// pageParams reads startAt and maxResults, capping maxResults at limit as Jira does.
func pageParams(w *recorder, q url.Values, limit int) (startAt, maxResults int, ok bool) {
	startAt, maxResults = 0, min(defaultPageSize, limit)
	for name, dst := range map[string]*int{"startAt": &startAt, "maxResults": &maxResults} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeFieldError(w, http.StatusBadRequest, name, fmt.Sprintf("The value '%s' is not a valid non-negative integer.", v))
			return 0, 0, false
		}
		*dst = n
	}
	if maxResults == 0 {
		maxResults = min(defaultPageSize, limit)
	}
	return startAt, min(maxResults, limit), true
}

func pageOf[T any](all []T, startAt, size int) ([]T, bool) {
	if startAt >= len(all) {
		return []T{}, true
	}
	end := min(startAt+size, len(all))
	return all[startAt:end], end >= len(all)
}

func decodeBody(w *recorder, r *http.Request, into any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBodyBytes+1))
	if err != nil || len(data) > maxRequestBodyBytes {
		writeError(w, http.StatusBadRequest, "The request body could not be read or exceeds 1 MiB.")
		return false
	}
	if err := json.Unmarshal(data, into); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		return false
	}
	return true
}

func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}
