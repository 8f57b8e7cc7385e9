package dora

import (
	"math"
	"slices"
)

// percentile returns the p-th quantile (0 <= p <= 1) of sorted values with linear interpolation
// between closest ranks (type 7, as PERCENTILE_CONT computes it). sorted must be ascending
// and non-empty.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	rank := p * float64(len(sorted)-1)
	lower := math.Floor(rank)
	i := int(lower)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (rank-lower)*(sorted[i+1]-sorted[i])
}

// quantiles holds the median, p75 and p90 of a sample, all nil for an empty sample.
type quantiles struct {
	median, p75, p90 *float64
}

// summarize sorts values in place and returns their quantiles.
func summarize(values []float64) quantiles {
	if len(values) == 0 {
		return quantiles{}
	}
	slices.Sort(values)
	return quantiles{
		median: ptr(percentile(values, 0.5)),
		p75:    ptr(percentile(values, 0.75)),
		p90:    ptr(percentile(values, 0.9)),
	}
}

func ptr[T any](v T) *T { return &v }

// ratio returns part / whole, or nil when whole is 0.
func ratio(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	return ptr(float64(part) / float64(whole))
}
