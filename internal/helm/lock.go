package helm

import (
	"context"
	"sync"
)

// keyedMutex serializes work per key (one release) and lets different keys
// proceed in parallel. Waiting honours the caller's context.
type keyedMutex struct {
	mu      sync.Mutex
	entries map[string]*keyedEntry
}

// keyedEntry is one key's lock; refs counts holders and waiters.
type keyedEntry struct {
	sem  chan struct{}
	refs int
}

// lock acquires key's lock, or returns ctx's error if ctx ends first. The
// returned function releases it and must be called exactly once.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.entries == nil {
		k.entries = map[string]*keyedEntry{}
	}
	e := k.entries[key]
	if e == nil {
		e = &keyedEntry{sem: make(chan struct{}, 1)}
		k.entries[key] = e
	}
	e.refs++
	k.mu.Unlock()

	select {
	case e.sem <- struct{}{}:
		return func() {
			<-e.sem
			k.release(key, e)
		}, nil
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
}

// release drops one reference to e, forgetting it when unused.
func (k *keyedMutex) release(key string, e *keyedEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(k.entries, key)
	}
}
