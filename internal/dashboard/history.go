package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// maxCellEvents is how many of a cell's events the detail lists.
const maxCellEvents = 15

// EventView is one event of a component as the detail lists it: its Helm
// actions name the revision they left, so the list reads as the release's
// recent history.
type EventView struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	Reason string    `json:"reason"`
	Note   string    `json:"note"`
	Count  int32     `json:"count,omitempty"`
}

// EventReader lists a component's recent events in a cluster.
type EventReader func(ctx context.Context, cluster, component string) ([]EventView, error)

// Events implements EventReader from the pivot's events with the
// client's identity: those an agent records regarding the cluster's
// Hotplug (a member's agent sends them to the pivot too), and for the
// pivot cluster those regarding common, for the component's release.
func (a ClientActions) Events(ctx context.Context, cluster, component string) ([]EventView, error) {
	names := []string{cluster}
	cl := &clusterv1.Cluster{}
	if err := a.Client.Get(ctx, client.ObjectKey{Name: cluster}, cl); err == nil && !cl.Spec.IsMemberCluster {
		names = append(names, hotplugv1.CommonName)
	}
	var all []corev1.Event
	for _, name := range names {
		sel := fields.Set{"involvedObject.kind": "Hotplug", "involvedObject.name": name}.AsSelector()
		// Pages, because the API server lists events by name (oldest
		// first): the newest are on the last page. Bounded all the same.
		cont := ""
		for page := 0; page < maxEventPages; page++ {
			var list corev1.EventList
			if err := a.Client.List(ctx, &list, client.InNamespace(metav1.NamespaceDefault), client.MatchingFieldsSelector{Selector: sel},
				client.Limit(eventPage), client.Continue(cont)); err != nil {
				return nil, apiError(fmt.Errorf("listing the events of Hotplug %s: %w", name, err))
			}
			all = append(all, list.Items...)
			if cont = list.Continue; cont == "" {
				break
			}
		}
	}
	return cellEvents(all, component), nil
}

// eventPage and maxEventPages bound the events read for one cell.
const (
	eventPage     = 500
	maxEventPages = 10
)

// cellEvents keeps the component's events (their related object names its
// release), newest first, at most maxCellEvents. Pure.
func cellEvents(all []corev1.Event, component string) []EventView {
	var out []EventView
	for i := range all {
		e := &all[i]
		if e.Related == nil || e.Related.FieldPath != "helm-release/"+component {
			continue
		}
		out = append(out, EventView{Time: eventTime(e), Type: e.Type, Reason: e.Reason, Note: e.Message, Count: eventCount(e)})
	}
	slices.SortStableFunc(out, func(a, b EventView) int { return b.Time.Compare(a.Time) })
	if len(out) > maxCellEvents {
		out = out[:maxCellEvents]
	}
	return out
}

// eventTime is when an event last happened, whichever API recorded it.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// eventCount is how often an event happened, whichever API recorded it.
func eventCount(e *corev1.Event) int32 {
	if e.Series != nil {
		return e.Series.Count
	}
	return e.Count
}

// serveCellEvents lists a cell's recent events.
func serveCellEvents(w http.ResponseWriter, r *http.Request, o Options) {
	if o.Events == nil {
		http.Error(w, "no events here", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	evs, err := o.Events(r.Context(), q.Get("cluster"), q.Get("component"))
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	if evs == nil {
		evs = []EventView{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(evs)
}
