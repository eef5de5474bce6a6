package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Bounds of the broker.
const (
	// keptEvents is how many events a reconnecting browser can resume
	// from; one further back gets a snapshot.
	keptEvents = 4096
	// subscriberBuffer is how far a browser may fall behind before it is
	// dropped (it reconnects and resumes).
	subscriberBuffer = 1024
)

// Broker holds the current snapshot and fans its changes out to every
// connected browser, each change numbered so that a browser that lost its
// connection resumes from the last event it saw. It is safe for
// concurrent use.
type Broker struct {
	mu    sync.Mutex
	snap  Snapshot
	ready chan struct{} // closed by the first Publish
	seq   uint64
	log   []Event
	subs  map[chan Event]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	// Numbers start at the start time in microseconds, so that an ID from
	// another broker (another replica, a restart) is not one of ours.
	return &Broker{seq: uint64(time.Now().UnixMicro()), subs: map[chan Event]struct{}{}, ready: make(chan struct{}),
		snap: Snapshot{Clusters: []ClusterView{}, Components: []string{}, Cells: []Cell{}}}
}

// Ready waits for the first Publish (the cache synced), so that nobody is
// shown an empty fleet that is only not read yet.
func (b *Broker) Ready(ctx context.Context) error {
	select {
	case <-b.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the fleet view is still reading the pivot: %w", ctx.Err())
	}
}

// Publish replaces the snapshot and sends what changed.
func (b *Broker) Publish(next Snapshot) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	events, err := Diff(b.snap, next)
	if err != nil {
		return err
	}
	b.snap = next
	select {
	case <-b.ready:
	default:
		close(b.ready)
	}
	for _, e := range events {
		b.seq++
		e.ID = b.seq
		if e.Type == EventSnapshot {
			// It supersedes every earlier event: keep one snapshot at most.
			b.log = b.log[:0:0]
		}
		b.log = append(b.log, e)
		for ch := range b.subs {
			select {
			case ch <- e:
			default: // too far behind: it reconnects and resumes
				delete(b.subs, ch)
				close(ch)
			}
		}
	}
	if over := len(b.log) - keptEvents; over > 0 {
		b.log = append(b.log[:0:0], b.log[over:]...)
	}
	return nil
}

// Snapshot returns the current snapshot and the ID of the last event it
// includes.
func (b *Broker) Snapshot() (Snapshot, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snap, b.seq
}

// Subscribe returns what a browser needs first (the events after lastID
// when it resumes and they are kept, else a snapshot event) and a channel
// of later events; cancel unsubscribes. The channel is closed when the
// browser falls too far behind.
func (b *Broker) Subscribe(lastID uint64, resume bool) (first []Event, ch <-chan Event, cancel func(), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if resume && lastID <= b.seq && (lastID == b.seq || (len(b.log) > 0 && lastID+1 >= b.log[0].ID)) {
		for _, e := range b.log {
			if e.ID > lastID {
				first = append(first, e)
			}
		}
	} else {
		data, err := json.Marshal(b.snap)
		if err != nil {
			return nil, nil, nil, err
		}
		first = []Event{{ID: b.seq, Type: EventSnapshot, Data: data}}
	}
	c := make(chan Event, subscriberBuffer)
	b.subs[c] = struct{}{}
	return first, c, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[c]; ok {
			delete(b.subs, c)
			close(c)
		}
	}, nil
}

// Detail returns a cell's detail from the current snapshot.
func (b *Broker) Detail(cluster, component string) (Detail, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snap.Detail(cluster, component)
}

// Subscribers counts the connected browsers.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
