package jirajson

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/devops-metrics/devops-metrics/internal/dora"
)

// Facts returns the facts of the issue that the engine reads.
//
// histories is the issue's complete change history in any order; pass nil to use the
// histories embedded in i.Changelog. Only items whose fieldId (or, without one, field) is
// "status" become transitions. They are sorted oldest first by the history's instant; histories
// with the same instant keep their numeric id order, and items within one history keep their order.
func (i Issue) Facts(histories []History) dora.Issue {
	if histories == nil && i.Changelog != nil {
		histories = i.Changelog.Histories
	}
	return dora.Issue{
		ID:                i.ID,
		Key:               i.Key,
		TypeID:            i.Fields.IssueType.ID,
		Created:           i.Fields.Created.Time,
		Resolved:          i.Fields.ResolutionDate.Time,
		StatusID:          i.Fields.Status.ID,
		FixVersionIDs:     versionIDs(i.Fields.FixVersions),
		AffectsVersionIDs: versionIDs(i.Fields.Versions),
		Transitions:       Transitions(histories),
	}
}

// Transitions returns the status transitions of histories, oldest first, as described on
// Issue.Facts. It does not modify histories.
func Transitions(histories []History) []dora.Transition {
	ordered := slices.Clone(histories)
	slices.SortStableFunc(ordered, func(a, b History) int {
		if c := a.Created.Compare(b.Created.Time); c != 0 {
			return c
		}
		return compareNumericIDs(a.ID, b.ID)
	})
	var transitions []dora.Transition
	for i, h := range ordered {
		// A history that a reply repeated (same id and instant) counts once.
		if i > 0 && h.ID != "" && h.ID == ordered[i-1].ID && h.Created.Equal(ordered[i-1].Created.Time) {
			continue
		}
		for _, item := range h.Items {
			if !item.IsStatus() {
				continue
			}
			transitions = append(transitions, dora.Transition{At: h.Created.Time, From: item.From, To: item.To})
		}
	}
	return transitions
}

// compareNumericIDs orders two ids by their numeric value; ids that are not both numbers are equal.
func compareNumericIDs(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA != nil || errB != nil {
		return 0
	}
	return cmp.Compare(x, y)
}

func versionIDs(versions []Version) []string {
	if len(versions) == 0 {
		return nil
	}
	ids := make([]string, 0, len(versions))
	for _, v := range versions {
		ids = append(ids, v.ID)
	}
	return ids
}

// Facts returns the version as the engine reads it.
func (v Version) Facts() dora.Version {
	return dora.Version{
		ID:          v.ID,
		Name:        v.Name,
		Released:    v.Released,
		ReleaseDate: dora.Date(v.ReleaseDate),
		Archived:    v.Archived,
	}
}

// Facts returns the issue type as the engine reads it.
func (t IssueType) Facts() dora.IssueType {
	return dora.IssueType{
		ID:               t.ID,
		UntranslatedName: t.UntranslatedName,
		Subtask:          t.Subtask,
		HierarchyLevel:   t.HierarchyLevel,
	}
}

// StatusCategories maps each status id to its category. Statuses whose category key is not
// "new", "indeterminate" or "done" are left out, so the engine treats them as unknown. When an
// id occurs twice, the last occurrence wins.
func StatusCategories(statuses []Status) map[string]dora.StatusCategory {
	categories := make(map[string]dora.StatusCategory, len(statuses))
	for _, s := range statuses {
		switch category := dora.StatusCategory(strings.ToLower(s.StatusCategory.Key)); category {
		case dora.CategoryNew, dora.CategoryIndeterminate, dora.CategoryDone:
			categories[s.ID] = category
		}
	}
	return categories
}

// IssueTypes maps each issue type id to the issue type as the engine reads it.
func IssueTypes(types []IssueType) map[string]dora.IssueType {
	facts := make(map[string]dora.IssueType, len(types))
	for _, t := range types {
		facts[t.ID] = t.Facts()
	}
	return facts
}

// Versions returns the facts of versions in the same order.
func Versions(versions []Version) []dora.Version {
	facts := make([]dora.Version, 0, len(versions))
	for _, v := range versions {
		facts = append(facts, v.Facts())
	}
	return facts
}
