package jira

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff returns the wait after the given failed attempt: 500 ms doubled per attempt,
// capped at MaxBackoff, of which the upper half is random (jitter) so that clients that
// failed together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := defaultBaseBackoff
	for i := 1; i < attempt && d < c.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxBackoff)
	half := d / 2
	return half + c.opts.Jitter(d-half)
}

// maxRetryAfterValue caps what parseRetryAfter returns, so absurd values cannot overflow.
const maxRetryAfterValue = 24 * time.Hour

// parseRetryAfter reads a Retry-After value, either delay seconds or an HTTP date.
// A date in the past means no wait; any value is capped at one day.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfterValue/time.Second) {
			secs = int64(maxRetryAfterValue / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(at.Sub(now), 0), maxRetryAfterValue), true
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
