package agent

import "time"

// lookAgain is what decides when a reconcile asks to run again.
type lookAgain struct {
	// failed: a step failed; retry is its backoff.
	failed bool
	retry  time.Duration
	// wait: a release held by someone else is left alone this long.
	wait time.Duration
	// drift: the drift check put off is due in this long (0: none).
	drift time.Duration
	// health: the release's objects are still in progress; look again in
	// this long (0: settled).
	health time.Duration
}

// driftRecheckMargin brings the look just past the moment the put-off
// drift check is due, so that the check is not put off again.
const driftRecheckMargin = 100 * time.Millisecond

// after is the requeue delay: a failure retries after its backoff; a hold
// looks again when it ends, a drift check when it is due (when sooner than
// the health recheck), a release in progress at its health recheck; none
// later than resync, which is also the delay of a settled component.
func (l lookAgain) after(resync time.Duration) time.Duration {
	if l.failed {
		return l.retry
	}
	if l.wait > 0 {
		return min(l.wait, resync)
	}
	recheck := l.health
	if l.drift > 0 && (recheck == 0 || l.drift < recheck) {
		// A change arrived before the next drift check was due: check then.
		recheck = l.drift + driftRecheckMargin
	}
	if recheck > 0 {
		return min(recheck, resync)
	}
	return resync
}

// retry returns the backoff before the next attempt of a failing component.
func (r *Reconciler) retry(name string) time.Duration {
	n := 0
	r.outs.update(name, func(o *Outcome) {
		if o.ActionErr == nil && o.PackageErr != nil {
			o.Failures++
		}
		n = o.Failures
	})
	return Backoff(n, r.opts.RetryBase, r.opts.RetryMax)
}
