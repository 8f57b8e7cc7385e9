package dora

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzCompareIssueKeys checks that CompareIssueKeys is a total order on any strings, which
// slices.SortFunc needs: reflexive, antisymmetric and transitive.
// Run it with go test -run '^$' -fuzz '^FuzzCompareIssueKeys$' -fuzztime 30s ./internal/dora
func FuzzCompareIssueKeys(f *testing.F) {
	f.Add("EE-2", "EE-10", "EE-1x")
	f.Add("EE-02", "EE-2", "EE-3")
	f.Add("AB-9", "release-1.0", "EE-")
	f.Add("-1", "A-99999999999999999999", "A-1")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if got := CompareIssueKeys(a, a); got != 0 {
			t.Fatalf("CompareIssueKeys(%q, %q) = %d, want 0", a, a, got)
		}
		ab, ba := CompareIssueKeys(a, b), CompareIssueKeys(b, a)
		if ab != -ba {
			t.Fatalf("CompareIssueKeys(%q, %q) = %d but reversed = %d", a, b, ab, ba)
		}
		if ab == 0 && a != b {
			t.Fatalf("distinct %q and %q compare equal", a, b)
		}
		bc, ac := CompareIssueKeys(b, c), CompareIssueKeys(a, c)
		if ab < 0 && bc < 0 && ac >= 0 {
			t.Fatalf("%q < %q < %q but CompareIssueKeys(%q, %q) = %d", a, b, c, a, c, ac)
		}
	})
}

func TestCompareIDs(t *testing.T) {
	assert.Equal(t, -1, CompareIDs("9999", "10000"), "a shorter id is smaller")
	assert.Equal(t, 1, CompareIDs("10001", "10000"))
	assert.Equal(t, 0, CompareIDs("10000", "10000"))
}
