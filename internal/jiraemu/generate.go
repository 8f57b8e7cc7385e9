package jiraemu

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/devops-metrics/devops-metrics/internal/dora"
	"github.com/devops-metrics/devops-metrics/internal/jirajson"
)

// GenerateOptions describes a synthetic site. Zero fields take the defaults in brackets.
type GenerateOptions struct {
	// Seed makes the site reproducible: equal options give an identical site.
	Seed uint64
	// Projects is the number of projects [1].
	Projects int
	// IssuesPerProject is the number of issues in each project [200].
	IssuesPerProject int
	// VersionsPerProject is the number of versions in each project [12]; the last one is unreleased.
	VersionsPerProject int
	// IncidentPercent is the share of issues that are bugs or incidents, in percent [10].
	IncidentPercent int
	// LongHistoryEvery gives every Nth issue 60 to 120 status changes, more than the 40 newest
	// histories that search returns with expand=changelog. A negative value gives none.
	LongHistoryEvery int
	// TeamManagedEvery makes every Nth project team-managed, with its own statuses scoped to
	// it (ids 20000 + 10 × project index + 0..3). Zero or less makes none [0].
	TeamManagedEvery int
	// Days is how far back issues are created, counted from Now [180].
	Days int
	// Now is the instant the site's history ends [2026-01-01T00:00:00Z].
	Now time.Time
}

// Status and issue type ids of generated sites.
const (
	GenStatusToDo       = "10000"
	GenStatusInProgress = "3"
	GenStatusInReview   = "10001"
	GenStatusDone       = "10002"

	GenTypeEpic     = "10000"
	GenTypeStory    = "10001"
	GenTypeTask     = "10002"
	GenTypeSubtask  = "10003"
	GenTypeBug      = "10004"
	GenTypeIncident = "10005"
)

// generatedZones are the time zones of generated projects: each project writes its
// timestamps in one of them, as Jira writes each in the acting user's zone.
var generatedZones = []string{"Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Sydney", "UTC", "Asia/Kolkata", "America/Los_Angeles"}

var genStatuses = map[string]jirajson.Status{
	GenStatusToDo:       {ID: GenStatusToDo, Name: "To Do", UntranslatedName: "To Do", StatusCategory: jirajson.StatusCategory{ID: 2, Key: "new", Name: "To Do"}},
	GenStatusInProgress: {ID: GenStatusInProgress, Name: "In Progress", UntranslatedName: "In Progress", StatusCategory: jirajson.StatusCategory{ID: 4, Key: "indeterminate", Name: "In Progress"}},
	GenStatusInReview:   {ID: GenStatusInReview, Name: "In Review", UntranslatedName: "In Review", StatusCategory: jirajson.StatusCategory{ID: 4, Key: "indeterminate", Name: "In Progress"}},
	GenStatusDone:       {ID: GenStatusDone, Name: "Done", UntranslatedName: "Done", StatusCategory: jirajson.StatusCategory{ID: 3, Key: "done", Name: "Done"}},
}

var genTypes = []jirajson.IssueType{
	{ID: GenTypeEpic, Name: "Epic", UntranslatedName: "Epic", HierarchyLevel: 1},
	{ID: GenTypeStory, Name: "Story", UntranslatedName: "Story"},
	{ID: GenTypeTask, Name: "Task", UntranslatedName: "Task"},
	{ID: GenTypeSubtask, Name: "Sub-task", UntranslatedName: "Sub-task", Subtask: true, HierarchyLevel: -1},
	{ID: GenTypeBug, Name: "Bug", UntranslatedName: "Bug"},
	{ID: GenTypeIncident, Name: "Incident", UntranslatedName: "Incident"},
}

// Generate builds a deterministic synthetic site: projects with weekly-ish released versions,
// issues that move To Do -> In Progress -> (In Review) -> Done with occasional reopening,
// bugs and incidents that affect released versions, and every Nth issue with a history longer
// than search's changelog cap. All dates lie in the Days before Now.
func Generate(opts GenerateOptions) *Site {
	opts = opts.withDefaults()
	g := &generator{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), nextIssueID: 10000, nextVersionID: 10000, nextHistoryID: 100000}
	site := &Site{TimeZone: generatedZones[int(opts.Seed%uint64(len(generatedZones)))], IssueTypes: genTypes}
	for _, id := range []string{GenStatusToDo, GenStatusInProgress, GenStatusInReview, GenStatusDone} {
		site.Statuses = append(site.Statuses, genStatuses[id])
	}
	for p := range opts.Projects {
		g.project(site, p)
	}
	return site
}

func (o GenerateOptions) withDefaults() GenerateOptions {
	if o.Projects <= 0 {
		o.Projects = 1
	}
	if o.IssuesPerProject <= 0 {
		o.IssuesPerProject = 200
	}
	if o.VersionsPerProject <= 0 {
		o.VersionsPerProject = 12
	}
	if o.IncidentPercent <= 0 {
		o.IncidentPercent = 10
	}
	if o.LongHistoryEvery == 0 {
		o.LongHistoryEvery = 50
	}
	if o.Days <= 0 {
		o.Days = 180
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return o
}

type generator struct {
	opts          GenerateOptions
	rng           *rand.Rand
	nextIssueID   int
	nextVersionID int
	nextHistoryID int
}

type genVersion struct {
	jirajson.Version
	deployedAt time.Time
}

func (g *generator) project(site *Site, p int) {
	project := jirajson.Project{ID: strconv.Itoa(10000 + p), Key: projectKey(p), Name: fmt.Sprintf("Generated project %d", p+1), ProjectTypeKey: "software"}
	statuses := genStatuses
	if g.opts.TeamManagedEvery > 0 && p%g.opts.TeamManagedEvery == g.opts.TeamManagedEvery-1 {
		project.Simplified = true
		statuses = map[string]jirajson.Status{}
		for k, id := range []string{GenStatusToDo, GenStatusInProgress, GenStatusInReview, GenStatusDone} {
			s := genStatuses[id]
			s.ID = strconv.Itoa(20000 + 10*p + k)
			s.Scope = &jirajson.StatusScope{Type: "PROJECT", Project: &jirajson.ScopeProject{ID: jirajson.ID(project.ID)}}
			statuses[id] = s
			site.Statuses = append(site.Statuses, s)
		}
	}
	site.Projects = append(site.Projects, project)
	loc, _ := time.LoadLocation(generatedZones[p%len(generatedZones)])
	start := g.opts.Now.Add(-time.Duration(g.opts.Days) * 24 * time.Hour)

	var versions []genVersion
	n := g.opts.VersionsPerProject
	for v := range n {
		id := strconv.Itoa(g.nextVersionID)
		g.nextVersionID++
		ver := jirajson.Version{ID: id, Name: fmt.Sprintf("%s %d.%d.0", project.Key, 1+v/10, v%10), ProjectID: jirajson.ID(project.ID)}
		var deployedAt time.Time
		if v < n-1 {
			at := start.Add(time.Duration(float64(g.opts.Now.Sub(start)) * float64(v+1) / float64(n)))
			day := dora.DateOf(at.In(loc))
			ver.Released = true
			if g.rng.IntN(20) > 0 {
				ver.ReleaseDate = jirajson.ReleaseDate(day)
			}
			deployedAt = day.AddDays(1).Start(loc)
		}
		versions = append(versions, genVersion{Version: ver, deployedAt: deployedAt})
		site.Versions = append(site.Versions, ver)
	}

	for i := range g.opts.IssuesPerProject {
		site.Issues = append(site.Issues, g.issue(project, i, loc, start, versions, statuses))
	}
}

func projectKey(p int) string {
	key := ""
	for n := p; ; n = n/26 - 1 {
		key = string(rune('A'+n%26)) + key
		if n < 26 {
			break
		}
	}
	return "G" + key
}

// issue generates one issue. Its workflow uses the GenStatus* ids; statuses maps them to the
// project's own statuses, which differ for team-managed projects.
func (g *generator) issue(project jirajson.Project, i int, loc *time.Location, start time.Time, versions []genVersion, statuses map[string]jirajson.Status) *IssueRecord {
	id := strconv.Itoa(g.nextIssueID)
	g.nextIssueID++
	long := g.opts.LongHistoryEvery > 0 && i%g.opts.LongHistoryEvery == g.opts.LongHistoryEvery-1
	span := g.opts.Now.Sub(start)
	if long {
		span /= 2 // room for the long history before Now
	}
	created := start.Add(time.Duration(g.rng.Int64N(int64(span)))).In(loc).Truncate(time.Millisecond)

	typeID := GenTypeStory
	switch roll := g.rng.IntN(100); {
	case roll < g.opts.IncidentPercent:
		typeID = GenTypeBug
		if g.rng.IntN(3) == 0 {
			typeID = GenTypeIncident
		}
	case roll < g.opts.IncidentPercent+5:
		typeID = GenTypeSubtask
	case roll < g.opts.IncidentPercent+7:
		typeID = GenTypeEpic
	case roll < g.opts.IncidentPercent+40:
		typeID = GenTypeTask
	}

	rec := &IssueRecord{ID: id, Key: fmt.Sprintf("%s-%d", project.Key, i+1), Fields: map[string]json.RawMessage{}}
	status := GenStatusToDo
	at := created
	var resolved time.Time
	step := func(to string, maxHours int) bool {
		next := at.Add(time.Duration(1+g.rng.IntN(maxHours*60)) * time.Minute)
		if !next.Before(g.opts.Now) {
			return false
		}
		g.nextHistoryID++
		rec.Histories = append(rec.Histories, jirajson.History{
			ID: strconv.Itoa(g.nextHistoryID), Created: jirajson.Time{Time: next},
			Items: []jirajson.HistoryItem{{Field: "status", FieldType: "jira", FieldID: "status", From: statuses[status].ID, FromString: statuses[status].Name, To: statuses[to].ID, ToString: statuses[to].Name}},
		})
		status, at = to, next
		if to == GenStatusDone {
			resolved = next
		} else {
			resolved = time.Time{}
		}
		return true
	}

	if step(GenStatusInProgress, 24*5) {
		if long {
			for k := 60 + g.rng.IntN(61); k > 0; k-- {
				to := GenStatusInReview
				if status == GenStatusInReview {
					to = GenStatusInProgress
				}
				if !step(to, 6) {
					break
				}
			}
		}
		if g.rng.IntN(2) == 0 && status != GenStatusInReview {
			step(GenStatusInReview, 24*3)
		}
		if step(GenStatusDone, 24*4) && g.rng.IntN(20) == 0 {
			if step(GenStatusInProgress, 24*2) {
				step(GenStatusDone, 24*2)
			}
		}
	}

	var fix, affects []jirajson.Version
	if !resolved.IsZero() {
		for _, v := range versions {
			if v.Released && !v.deployedAt.IsZero() && v.deployedAt.After(resolved) {
				fix = append(fix, v.Version)
				break
			}
		}
		if fix == nil && g.rng.IntN(2) == 0 {
			fix = append(fix, versions[len(versions)-1].Version)
		}
	}
	if (typeID == GenTypeBug || typeID == GenTypeIncident) && g.rng.IntN(10) < 7 {
		for k := len(versions) - 1; k >= 0; k-- {
			if v := versions[k]; v.Released && !v.deployedAt.IsZero() && v.deployedAt.Before(created) {
				affects = append(affects, v.Version)
				break
			}
		}
	}

	var issueType jirajson.IssueType
	for _, t := range genTypes {
		if t.ID == typeID {
			issueType = t
		}
	}
	priorities := []map[string]string{{"id": "2", "name": "High"}, {"id": "3", "name": "Medium"}, {"id": "4", "name": "Low"}}
	fields := map[string]any{
		"issuetype":      issueType,
		"status":         statuses[status],
		"created":        jirajson.Time{Time: created},
		"updated":        jirajson.Time{Time: at},
		"resolutiondate": jirajson.Time{Time: resolved},
		"project":        project,
		"fixVersions":    orEmpty(embedVersions(fix)),
		"versions":       orEmpty(embedVersions(affects)),
		"priority":       priorities[g.rng.IntN(len(priorities))],
	}
	for name, v := range fields {
		if err := rec.SetField(name, v); err != nil {
			panic(fmt.Sprintf("generate issue %s: %v", id, err)) // unreachable: all values encode
		}
	}
	if err := rec.reindex(); err != nil {
		panic(fmt.Sprintf("generate issue %s: %v", id, err)) // unreachable: project id is set
	}
	return rec
}

// embedVersions returns versions as issue fields embed them: without projectId.
func embedVersions(vs []jirajson.Version) []jirajson.Version {
	out := make([]jirajson.Version, len(vs))
	for i, v := range vs {
		v.ProjectID = ""
		out[i] = v
	}
	return out
}
