package drift

import (
	"sync"
	"time"
)

// Tracker defaults.
const (
	// DefaultFreeRepairs repairs of one component follow each other without
	// delay.
	DefaultFreeRepairs = 3
	// DefaultBaseDelay is the wait before the first repair beyond the free
	// ones; it doubles with every further repair.
	DefaultBaseDelay = 30 * time.Second
	// DefaultMaxDelay caps the wait between repairs.
	DefaultMaxDelay = 10 * time.Minute
	// DefaultQuiet is how long a component must stay without repair for
	// its count to start again at zero.
	DefaultQuiet = 30 * time.Minute
)

// TrackerOptions configure a Tracker; zero fields take the defaults.
type TrackerOptions struct {
	// FreeRepairs is how many repairs in a row are allowed at once.
	FreeRepairs int
	// BaseDelay and MaxDelay bound the exponential wait after them.
	BaseDelay, MaxDelay time.Duration
	// Quiet is the time without repair after which a component's count is
	// forgotten; it is raised to 2*MaxDelay when smaller, so a component
	// held at MaxDelay keeps counting.
	Quiet time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Tracker counts drift repairs per component (any string key) and says when
// the next one is allowed: the first FreeRepairs repairs of a run at once,
// then the k-th further one BaseDelay*2^(k-1) (at most MaxDelay) after the
// previous repair. A run ends when Quiet passes without a repair. It is safe
// for concurrent use; its memory is one entry per component with repairs.
type Tracker struct {
	opts TrackerOptions
	mu   sync.Mutex
	runs map[string]*run
}

// run is one component's current run of repairs.
type run struct {
	count int
	last  time.Time
}

// NewTracker returns a Tracker with opts (defaults filled in).
func NewTracker(opts TrackerOptions) *Tracker {
	if opts.FreeRepairs <= 0 {
		opts.FreeRepairs = DefaultFreeRepairs
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	if opts.MaxDelay < opts.BaseDelay {
		opts.MaxDelay = opts.BaseDelay
	}
	if opts.Quiet <= 0 {
		opts.Quiet = DefaultQuiet
	}
	if opts.Quiet < 2*opts.MaxDelay {
		opts.Quiet = 2 * opts.MaxDelay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Tracker{opts: opts, runs: map[string]*run{}}
}

// Allow reports whether key may be repaired now; when not, next is when it
// may (the caller requeues for then and reports the drift meanwhile, see
// HeldMessage). When allowed, next is the current time.
func (t *Tracker) Allow(key string) (allowed bool, next time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	r := t.current(key, now)
	if r == nil || r.count < t.opts.FreeRepairs {
		return true, now
	}
	next = r.last.Add(t.delay(r.count - t.opts.FreeRepairs + 1))
	if !now.Before(next) {
		return true, now
	}
	return false, next
}

// Record notes a repair of key now.
func (t *Tracker) Record(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	r := t.current(key, now)
	if r == nil {
		r = &run{}
		t.runs[key] = r
	}
	r.count++
	r.last = now
}

// Forget drops key's run (a component removed or with drift repair turned
// off).
func (t *Tracker) Forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.runs, key)
}

// Repairs returns how many repairs of key the current run counts (0 after
// a quiet period).
func (t *Tracker) Repairs(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.current(key, t.opts.Now()); r != nil {
		return r.count
	}
	return 0
}

// current returns key's run, dropping it when it went quiet.
func (t *Tracker) current(key string, now time.Time) *run {
	r := t.runs[key]
	if r != nil && now.Sub(r.last) >= t.opts.Quiet {
		delete(t.runs, key)
		return nil
	}
	return r
}

// delay is the wait before the k-th repair beyond the free ones (k >= 1).
func (t *Tracker) delay(k int) time.Duration {
	d := t.opts.BaseDelay
	for i := 1; i < k && d < t.opts.MaxDelay; i++ {
		d *= 2
	}
	return min(d, t.opts.MaxDelay)
}
