package dora

import (
	"cmp"
	"strings"
)

// CompareIDs orders Jira's numeric ids, of issues, projects or versions, by value: shorter
// first, then byte order. It returns -1, 0 or +1 like strings.Compare.
func CompareIDs(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// CompareIssueKeys orders Jira issue keys by project key, then by issue number as a number, so
// EE-2 comes before EE-10 and AB-9 before EE-1. It returns -1, 0 or +1 like strings.Compare. A
// value that is not PROJECT-NUMBER counts as a project key of its own without a number, so
// EE-x sorts after every EE-N and before K5-1. The gadget orders keys the same way.
func CompareIssueKeys(a, b string) int {
	projectA, numberA, okA := splitIssueKey(a)
	projectB, numberB, okB := splitIssueKey(b)
	if c := strings.Compare(projectA, projectB); c != 0 {
		return c
	}
	switch {
	case okA && !okB:
		return -1 // a number sorts before no number
	case !okA && okB:
		return 1
	case okA && okB:
		if c := compareDigits(numberA, numberB); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b) // EE-02 and EE-2 have the same number
}

// splitIssueKey splits key at its last hyphen into a non-empty project key and a number of
// digits only. When key has no such form, it returns key itself as the project and ok false.
func splitIssueKey(key string) (project, number string, ok bool) {
	i := strings.LastIndexByte(key, '-')
	if i <= 0 || i == len(key)-1 {
		return key, "", false
	}
	project, number = key[:i], key[i+1:]
	if strings.Trim(number, "0123456789") != "" {
		return key, "", false
	}
	return project, number, true
}

// compareDigits compares two decimal numbers of any length without parsing them, so a number
// too long for an int cannot overflow.
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}
