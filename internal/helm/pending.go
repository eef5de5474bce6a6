package helm

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrHeld is wrapped by errors reporting that a release is pending and may
// still be in the hands of whoever started the pending action.
var ErrHeld = errors.New("release held by an action in flight")

// IsPending tells whether a Helm status is one of pending-install,
// pending-upgrade or pending-rollback.
func IsPending(status string) bool { return strings.HasPrefix(status, "pending-") }

// Held decides whether pending release rel must be left alone at now: a
// pending revision is presumed in flight (by a person running helm, another
// agent, or this agent before a restart: they cannot be told apart) until it
// is older than timeout, the longest a Helm action of this agent may run.
// It returns the end of that grace period and whether now is within it. A
// release that is not pending, or whose revision carries no time, is not
// held.
func Held(rel *Release, now time.Time, timeout time.Duration) (until time.Time, held bool) {
	if rel == nil || !IsPending(rel.Status) || rel.Since.IsZero() {
		return time.Time{}, false
	}
	until = rel.Since.Add(timeout)
	return until, now.Before(until)
}

// HeldMessage says who holds rel and since when, and until when it is left
// alone, e.g. "release mon is pending-upgrade since 2026-11-26T23:50:00Z by
// another actor; left alone until 2026-11-27T00:00:00Z".
func HeldMessage(rel *Release, until time.Time) string {
	return fmt.Sprintf("release %s is %s since %s by another actor; left alone until %s",
		rel.Name, rel.Status, rel.Since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
}

// HeldError reports a pending release that Recover left alone because it is
// younger than the timeout. It wraps ErrHeld.
type HeldError struct {
	Release *Release
	Until   time.Time
}

// Error implements error.
func (e *HeldError) Error() string { return HeldMessage(e.Release, e.Until) }

// Unwrap returns ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }
