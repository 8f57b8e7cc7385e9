package recompute

import (
	"context"
	"time"
)

// Every calls fn at once and then every interval until ctx is cancelled, for local and
// self-hosted scheduling. Calls never overlap: a call that takes longer than interval delays
// the next one instead of stacking up. Every returns when ctx is cancelled; fn receives ctx and
// should stop early when it ends. An interval of zero or less calls fn once.
func Every(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	if ctx.Err() != nil {
		return
	}
	fn(ctx)
	if interval <= 0 {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			fn(ctx)
		}
	}
}
