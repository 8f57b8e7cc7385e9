package dora

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// generatedSize describes a generated project.
type generatedSize struct {
	issues, transitionsPerIssue, versions int
}

// generateProject returns a synthetic project with the given size, spread over three years
// from 2020-01-01 UTC. The same rng seed gives the same project. About 15% of the issues are
// bugs, 5% sub-tasks and 1% epics. About 90% of the versions are released, and 2% of those
// have no release date. About 1% of the transitions go to a status id missing from the list.
func generateProject(rng *rand.Rand, size generatedSize) ProjectData {
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 3 * 365 * 24 * time.Hour
	data := projectData(nil)
	data.Statuses["11"] = CategoryIndeterminate
	data.Statuses["12"] = CategoryIndeterminate
	data.Statuses["13"] = CategoryDone

	data.Versions = make([]Version, size.versions)
	releaseTimes := make([]time.Time, size.versions)
	for k := range data.Versions {
		releaseAt := start.Add(span / time.Duration(size.versions+1) * time.Duration(k+1))
		releaseTimes[k] = releaseAt
		v := Version{ID: "v" + strconv.Itoa(k), Name: "1." + strconv.Itoa(k)}
		if rng.IntN(10) > 0 {
			v.Released = true
			if k%10 == 0 {
				v.Name += "-hotfix"
			}
			if rng.IntN(50) > 0 {
				v.ReleaseDate = DateOf(releaseAt)
			}
		}
		data.Versions[k] = v
	}

	inProgress := []string{statusInProgress, "11", "12"}
	done := []string{statusDone, statusClosed, "13"}
	data.Issues = make([]Issue, size.issues)
	for i := range data.Issues {
		created := start.Add(time.Duration(rng.Int64N(int64(span))))
		issue := Issue{ID: strconv.Itoa(10000 + i), Key: "G-" + strconv.Itoa(i+1), TypeID: typeStory, Created: created, StatusID: statusOpen}
		switch roll := rng.IntN(100); {
		case roll < 15:
			issue.TypeID = typeBug
		case roll < 20:
			issue.TypeID = typeSubtask
		case roll < 21:
			issue.TypeID = typeEpic
		}

		issue.Transitions = make([]Transition, 0, size.transitionsPerIssue)
		at := created
		current := statusOpen
		for n := 0; n < size.transitionsPerIssue; n++ {
			at = at.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
			var next string
			switch roll := rng.IntN(100); {
			case roll < 1:
				next = "999"
			case roll < 15:
				next = statusOpen
			case roll < 70:
				next = inProgress[rng.IntN(len(inProgress))]
			default:
				next = done[rng.IntN(len(done))]
			}
			issue.Transitions = append(issue.Transitions, Transition{At: at, From: current, To: next})
			current = next
		}
		issue.StatusID = current
		if category, ok := data.Statuses[current]; ok && category == CategoryDone && rng.IntN(4) > 0 {
			issue.Resolved = at
		}

		if size.versions > 0 {
			first := versionAfter(releaseTimes, created)
			if first < size.versions && rng.IntN(10) < 8 {
				issue.FixVersionIDs = append(issue.FixVersionIDs, data.Versions[first+rng.IntN(min(5, size.versions-first))].ID)
				if rng.IntN(10) == 0 && first+1 < size.versions {
					issue.FixVersionIDs = append(issue.FixVersionIDs, data.Versions[first+1].ID)
				}
			}
			if issue.TypeID == typeBug && first > 0 && rng.IntN(2) == 0 {
				issue.AffectsVersionIDs = []string{data.Versions[first-1-rng.IntN(min(3, first))].ID}
			}
		}
		data.Issues[i] = issue
	}
	return data
}

// versionAfter returns the index of the first release time after t, or len(times).
func versionAfter(times []time.Time, t time.Time) int {
	low, high := 0, len(times)
	for low < high {
		mid := (low + high) / 2
		if times[mid].After(t) {
			high = mid
		} else {
			low = mid + 1
		}
	}
	return low
}
