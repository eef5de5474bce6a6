package dashboard

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Types of a server-sent event.
const (
	// EventSnapshot carries a whole Snapshot: first on every connection
	// that cannot resume, and when clusters or components come or go.
	EventSnapshot = "snapshot"
	// EventCell carries one Cell that changed.
	EventCell = "cell"
	// EventCluster carries one ClusterView that changed.
	EventCluster = "cluster"
	// EventRollout carries the RolloutView (null when there is none).
	EventRollout = "rollout"
)

// Event is one server-sent event; ID orders them for resumption.
type Event struct {
	ID   uint64
	Type string
	Data []byte
}

// Diff lists the events that turn old into next: one per changed cell,
// cluster and rollout, or one snapshot when the set of clusters, components
// or cells changed. It is pure.
func Diff(old, next Snapshot) ([]Event, error) {
	if !sameKeys(old, next) {
		data, err := json.Marshal(next)
		return []Event{{Type: EventSnapshot, Data: data}}, err
	}
	var out []Event
	add := func(typ string, a, b any) error {
		x, err := json.Marshal(a)
		if err != nil {
			return err
		}
		y, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			out = append(out, Event{Type: typ, Data: y})
		}
		return nil
	}
	for i := range next.Clusters {
		if err := add(EventCluster, old.Clusters[i], next.Clusters[i]); err != nil {
			return nil, err
		}
	}
	for i := range next.Cells {
		if err := add(EventCell, old.Cells[i], next.Cells[i]); err != nil {
			return nil, err
		}
	}
	if err := add(EventRollout, old.Rollout, next.Rollout); err != nil {
		return nil, err
	}
	return out, nil
}

// sameKeys tells whether a and b have the same clusters, components and
// cells in the same order.
func sameKeys(a, b Snapshot) bool {
	if !slices.Equal(a.Components, b.Components) || len(a.Clusters) != len(b.Clusters) || len(a.Cells) != len(b.Cells) {
		return false
	}
	for i := range a.Clusters {
		if a.Clusters[i].Name != b.Clusters[i].Name {
			return false
		}
	}
	for i := range a.Cells {
		if a.Cells[i].Cluster != b.Cells[i].Cluster || a.Cells[i].Component != b.Cells[i].Component {
			return false
		}
	}
	return true
}
