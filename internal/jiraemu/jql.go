package jiraemu

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file implements the subset of JQL the product sends:
//
//	clause  := field op value | field [NOT] IN (value, ...) | field IS [NOT] EMPTY
//	op      := = | != | > | >= | < | <=
//	query   := [expr] [ORDER BY field [ASC|DESC], ...], expr joined by AND, OR, NOT and parentheses
//
// Fields: project, id (also issue, issuekey, key), issuetype (also type), status, priority,
// created, updated, resolutiondate (also resolved), resolution (IS EMPTY only).
// Date literals are "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy/MM/dd" or "yyyy-MM-dd",
// read in the caller's time zone as Jira does. Anything else is a JQLError.

// JQLError is a JQL the emulator rejects; it becomes a 400 reply with Jira's error shape.
type JQLError struct{ Message string }

func (e *JQLError) Error() string { return e.Message }

func jqlErrorf(format string, args ...any) error {
	return &JQLError{Message: fmt.Sprintf(format, args...)}
}

type tokenKind int

const (
	tokWord tokenKind = iota
	tokString
	tokOp
	tokLParen
	tokRParen
	tokComma
	tokEOF
)

type jqlToken struct {
	kind tokenKind
	text string
	pos  int
}

func lexJQL(s string) ([]jqlToken, error) {
	var toks []jqlToken
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
		case '(':
			toks = append(toks, jqlToken{tokLParen, "(", i})
			i++
		case ')':
			toks = append(toks, jqlToken{tokRParen, ")", i})
			i++
		case ',':
			toks = append(toks, jqlToken{tokComma, ",", i})
			i++
		case '"', '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, jqlErrorf("Error in the JQL Query: The quoted string starting at character %d is not terminated.", i+1)
			}
			toks = append(toks, jqlToken{tokString, b.String(), i})
			i = j + 1
		case '=', '!', '<', '>', '~':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, jqlErrorf("Error in the JQL Query: The character '!' at position %d is not valid here.", i+1)
			}
			toks = append(toks, jqlToken{tokOp, op, i})
			i = j
		default:
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			if j == i {
				return nil, jqlErrorf("Error in the JQL Query: The character '%c' at position %d is a reserved JQL character.", c, i+1)
			}
			toks = append(toks, jqlToken{tokWord, s[i:j], i})
			i = j
		}
	}
	return append(toks, jqlToken{tokEOF, "", len(s)}), nil
}

func isWordByte(c byte) bool {
	return c >= 0x80 || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("_-.:/+*", c) >= 0
}

// matcher decides whether an issue matches a JQL condition.
type matcher func(*IssueRecord) bool

type orderKey struct {
	field string
	desc  bool
}

// jqlQuery is a parsed query.
type jqlQuery struct {
	where matcher // nil when the query has no condition
	order []orderKey
}

type jqlParser struct {
	toks []jqlToken
	pos  int
	loc  *time.Location
	site *Site
}

// parseJQL parses q; loc is the caller's time zone for date literals.
func parseJQL(q string, loc *time.Location, site *Site) (*jqlQuery, error) {
	toks, err := lexJQL(q)
	if err != nil {
		return nil, err
	}
	p := &jqlParser{toks: toks, loc: loc, site: site}
	query := &jqlQuery{}
	if !p.atKeyword("order") && p.peek().kind != tokEOF {
		query.where, err = p.parseOr()
		if err != nil {
			return nil, err
		}
	}
	if p.atKeyword("order") {
		p.next()
		if !p.atKeyword("by") {
			return nil, p.unexpected("'by'")
		}
		p.next()
		query.order, err = p.parseOrder()
		if err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected("the end of the query")
	}
	return query, nil
}

func (p *jqlParser) peek() jqlToken { return p.toks[p.pos] }

func (p *jqlParser) next() jqlToken {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *jqlParser) atKeyword(word string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, word)
}

func (p *jqlParser) unexpected(expected string) error {
	t := p.peek()
	if t.kind == tokEOF {
		return jqlErrorf("Error in the JQL Query: Expecting %s but reached the end of the query.", expected)
	}
	return jqlErrorf("Error in the JQL Query: Expecting %s but got '%s' at position %d.", expected, t.text, t.pos+1)
}

func (p *jqlParser) parseOr() (matcher, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.atKeyword("or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r *IssueRecord) bool { return l(r) || right(r) }
	}
	return left, nil
}

func (p *jqlParser) parseAnd() (matcher, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.atKeyword("and") {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r *IssueRecord) bool { return l(r) && right(r) }
	}
	return left, nil
}

func (p *jqlParser) parseUnary() (matcher, error) {
	if p.atKeyword("not") {
		p.next()
		inner, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return func(r *IssueRecord) bool { return !inner(r) }, nil
	}
	if p.peek().kind == tokLParen {
		p.next()
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tokRParen {
			return nil, p.unexpected("')'")
		}
		p.next()
		return inner, nil
	}
	return p.parseClause()
}

func (p *jqlParser) parseClause() (matcher, error) {
	if k := p.peek().kind; k != tokWord && k != tokString {
		return nil, p.unexpected("a field name")
	}
	t := p.next()
	field, err := p.field(t.text)
	if err != nil {
		return nil, err
	}

	switch {
	case p.atKeyword("is"):
		p.next()
		negate := false
		if p.atKeyword("not") {
			p.next()
			negate = true
		}
		if !p.atKeyword("empty") && !p.atKeyword("null") {
			return nil, p.unexpected("EMPTY")
		}
		p.next()
		return field.empty(negate)
	case p.atKeyword("in"), p.atKeyword("not"):
		negate := p.atKeyword("not")
		p.next()
		if negate {
			if !p.atKeyword("in") {
				return nil, p.unexpected("'in'")
			}
			p.next()
		}
		values, err := p.parseList()
		if err != nil {
			return nil, err
		}
		m, err := field.in(values)
		if err != nil {
			return nil, err
		}
		if negate {
			return func(r *IssueRecord) bool { return !m(r) }, nil
		}
		return m, nil
	case p.peek().kind == tokOp:
		op := p.next().text
		if k := p.peek().kind; k != tokWord && k != tokString {
			return nil, p.unexpected("a value")
		}
		return field.compare(op, p.next().text)
	}
	return nil, p.unexpected("an operator")
}

func (p *jqlParser) parseList() ([]string, error) {
	if p.peek().kind != tokLParen {
		return nil, p.unexpected("'('")
	}
	p.next()
	var values []string
	for {
		if k := p.peek().kind; k != tokWord && k != tokString {
			return nil, p.unexpected("a value")
		}
		values = append(values, p.next().text)
		switch p.peek().kind {
		case tokComma:
			p.next()
		case tokRParen:
			p.next()
			return values, nil
		default:
			return nil, p.unexpected("',' or ')'")
		}
	}
}

func (p *jqlParser) parseOrder() ([]orderKey, error) {
	var keys []orderKey
	for {
		if p.peek().kind != tokWord {
			return nil, p.unexpected("a field to order by")
		}
		t := p.next()
		name := strings.ToLower(t.text)
		if _, ok := orderFields[name]; !ok {
			return nil, jqlErrorf("Not able to sort using field '%s'.", t.text)
		}
		k := orderKey{field: orderFields[name]}
		if p.atKeyword("asc") {
			p.next()
		} else if p.atKeyword("desc") {
			p.next()
			k.desc = true
		}
		keys = append(keys, k)
		if p.peek().kind != tokComma {
			return keys, nil
		}
		p.next()
	}
}

var orderFields = map[string]string{
	"key": "key", "issuekey": "key", "id": "id", "created": "created", "updated": "updated",
	"project": "project", "resolutiondate": "resolutiondate", "resolved": "resolutiondate",
}

// jqlField is one field a clause may name.
type jqlField struct {
	name string
	p    *jqlParser
}

func (p *jqlParser) field(name string) (jqlField, error) {
	canonical := map[string]string{
		"project": "project", "id": "id", "issue": "id", "issuekey": "id", "key": "id",
		"issuetype": "issuetype", "type": "issuetype", "status": "status", "priority": "priority",
		"created": "created", "createddate": "created", "updated": "updated", "updateddate": "updated",
		"resolutiondate": "resolutiondate", "resolved": "resolutiondate", "resolution": "resolution",
	}[strings.ToLower(name)]
	if canonical == "" {
		return jqlField{}, jqlErrorf("Field '%s' does not exist or you do not have permission to view it.", name)
	}
	return jqlField{name: canonical, p: p}, nil
}

func (f jqlField) isDate() bool {
	return f.name == "created" || f.name == "updated" || f.name == "resolutiondate"
}

func (f jqlField) dateOf(r *IssueRecord) time.Time {
	switch f.name {
	case "created":
		return r.index.created
	case "updated":
		return r.index.updated
	}
	return r.index.resolved
}

func (f jqlField) empty(negate bool) (matcher, error) {
	var m matcher
	switch {
	case f.isDate():
		m = func(r *IssueRecord) bool { return f.dateOf(r).IsZero() }
	case f.name == "resolution":
		m = func(r *IssueRecord) bool { return r.index.resolved.IsZero() }
	case f.name == "priority":
		m = func(r *IssueRecord) bool { return r.index.priorityID == "" }
	default:
		return nil, jqlErrorf("The field '%s' does not support searching for EMPTY values.", f.name)
	}
	if negate {
		return func(r *IssueRecord) bool { return !m(r) }, nil
	}
	return m, nil
}

func (f jqlField) in(values []string) (matcher, error) {
	var ms []matcher
	for _, v := range values {
		m, err := f.compare("=", v)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return func(r *IssueRecord) bool {
		for _, m := range ms {
			if m(r) {
				return true
			}
		}
		return false
	}, nil
}

func (f jqlField) compare(op, value string) (matcher, error) {
	if f.isDate() {
		return f.compareDate(op, value)
	}
	if f.name == "id" && op != "=" && op != "!=" {
		n, err := f.issueNumber(value)
		if err != nil {
			return nil, err
		}
		return orderedMatcher(op, func(r *IssueRecord) int {
			id, _ := strconv.ParseInt(r.ID, 10, 64)
			return cmp.Compare(id, n)
		})
	}
	if op != "=" && op != "!=" {
		return nil, jqlErrorf("The operator '%s' is not supported by the '%s' field.", op, f.name)
	}
	eq, err := f.equals(value)
	if err != nil {
		return nil, err
	}
	if op == "!=" {
		return func(r *IssueRecord) bool { return !eq(r) }, nil
	}
	return eq, nil
}

func (f jqlField) issueNumber(value string) (int64, error) {
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		return n, nil
	}
	for _, r := range f.p.site.Issues {
		if strings.EqualFold(r.Key, value) {
			return strconv.ParseInt(r.ID, 10, 64)
		}
	}
	return 0, jqlErrorf("An issue with key '%s' does not exist for field 'id'.", value)
}

func (f jqlField) equals(value string) (matcher, error) {
	switch f.name {
	case "project":
		p, ok := f.p.site.projectByIDOrKey(value)
		if !ok {
			return nil, jqlErrorf("The value '%s' does not exist for the field 'project'.", value)
		}
		return func(r *IssueRecord) bool { return r.index.projectID == p.ID }, nil
	case "id":
		return func(r *IssueRecord) bool { return r.ID == value || strings.EqualFold(r.Key, value) }, nil
	case "issuetype":
		ids := map[string]bool{}
		for _, t := range f.p.site.IssueTypes {
			if t.ID == value || strings.EqualFold(t.Name, value) || strings.EqualFold(t.UntranslatedName, value) {
				ids[t.ID] = true
			}
		}
		if len(ids) == 0 {
			return nil, jqlErrorf("The value '%s' does not exist for the field 'issuetype'.", value)
		}
		return func(r *IssueRecord) bool { return ids[r.index.typeID] }, nil
	case "status":
		ids := map[string]bool{}
		for _, s := range f.p.site.Statuses {
			if s.ID == value || strings.EqualFold(s.Name, value) || strings.EqualFold(s.UntranslatedName, value) {
				ids[s.ID] = true
			}
		}
		if len(ids) == 0 {
			return nil, jqlErrorf("The value '%s' does not exist for the field 'status'.", value)
		}
		return func(r *IssueRecord) bool { return ids[r.index.statusID] }, nil
	case "priority":
		return func(r *IssueRecord) bool {
			return r.index.priorityID == value || strings.EqualFold(r.index.priority, value)
		}, nil
	}
	return nil, jqlErrorf("The operator '=' is not supported by the '%s' field.", f.name)
}

func (f jqlField) compareDate(op, value string) (matcher, error) {
	at, err := parseJQLDate(value, f.p.loc)
	if err != nil {
		return nil, err
	}
	return orderedMatcher(op, func(r *IssueRecord) int {
		d := f.dateOf(r)
		if d.IsZero() {
			return 0
		}
		return d.Compare(at)
	}, func(r *IssueRecord) bool { return !f.dateOf(r).IsZero() })
}

// orderedMatcher turns a comparison result into a matcher for op. Optional guards must all
// hold for the issue to match (a missing date matches no comparison).
func orderedMatcher(op string, compare func(*IssueRecord) int, guards ...func(*IssueRecord) bool) (matcher, error) {
	var test func(int) bool
	switch op {
	case "=":
		test = func(c int) bool { return c == 0 }
	case "!=":
		test = func(c int) bool { return c != 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	default:
		return nil, jqlErrorf("The operator '%s' is not supported here.", op)
	}
	return func(r *IssueRecord) bool {
		for _, g := range guards {
			if !g(r) {
				return false
			}
		}
		return test(compare(r))
	}, nil
}

var jqlDateLayouts = []string{"2006/01/02 15:04", "2006-01-02 15:04", "2006/01/02", "2006-01-02"}

// parseJQLDate reads a JQL date literal in the caller's time zone.
func parseJQLDate(value string, loc *time.Location) (time.Time, error) {
	for _, layout := range jqlDateLayouts {
		if t, err := time.ParseInLocation(layout, value, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, jqlErrorf("Date value '%s' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'.", value)
}

// compareIssues orders two issues by the ORDER BY keys; ties fall back to the issue id.
func compareIssues(order []orderKey, a, b *IssueRecord) int {
	for _, k := range order {
		var c int
		switch k.field {
		case "key", "project":
			pa, na := splitKey(a.Key)
			pb, nb := splitKey(b.Key)
			c = cmp.Or(cmp.Compare(pa, pb), cmp.Compare(na, nb))
			if k.field == "project" {
				c = cmp.Compare(pa, pb)
			}
		case "id":
			c = compareNumeric(a.ID, b.ID)
		case "created":
			c = a.index.created.Compare(b.index.created)
		case "updated":
			c = a.index.updated.Compare(b.index.updated)
		case "resolutiondate":
			c = a.index.resolved.Compare(b.index.resolved)
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return compareNumeric(a.ID, b.ID)
}

func splitKey(key string) (string, int64) {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return key, 0
	}
	n, _ := strconv.ParseInt(key[i+1:], 10, 64)
	return key[:i], n
}

func compareNumeric(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}
