package agent

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// versionHandoff passes the metadata lists drift detection just read to
// the health check that follows it in the same reconcile, so that a
// resync of an unchanged release reads each kind's versions once, not
// twice. An entry is used at most once and only within handoffTTL: an
// object that changes after the drift check's list sends a watch event,
// and the reconcile that follows it reads afresh.
type versionHandoff struct {
	mu      sync.Mutex
	entries map[handoffKey]handoffEntry
}

const handoffTTL = 2 * time.Second

type handoffKey struct{ apiVersion, kind, namespace string }

type handoffEntry struct {
	at   time.Time
	list *metav1.PartialObjectMetadataList
}

// handoffKeyOf returns the key of a plain metadata list of one kind in one
// namespace (or cluster-wide), and false for any other list.
func handoffKeyOf(list client.ObjectList, opts []client.ListOption) (handoffKey, bool) {
	pl, ok := list.(*metav1.PartialObjectMetadataList)
	if !ok {
		return handoffKey{}, false
	}
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	if lo.LabelSelector != nil || lo.FieldSelector != nil || lo.Limit != 0 || lo.Continue != "" {
		return handoffKey{}, false
	}
	return handoffKey{pl.APIVersion, pl.Kind, lo.Namespace}, true
}

func (h *versionHandoff) put(k handoffKey, list *metav1.PartialObjectMetadataList) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.entries == nil {
		h.entries = map[handoffKey]handoffEntry{}
	}
	for key, e := range h.entries {
		if time.Since(e.at) > handoffTTL {
			delete(h.entries, key)
		}
	}
	h.entries[k] = handoffEntry{at: time.Now(), list: list.DeepCopy()}
}

func (h *versionHandoff) take(k handoffKey) (*metav1.PartialObjectMetadataList, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entries[k]
	delete(h.entries, k)
	if !ok || time.Since(e.at) > handoffTTL {
		return nil, false
	}
	return e.list, true
}

// handoffWriter is the drift detector's client: its metadata lists are
// handed off.
type handoffWriter struct {
	client.Client
	h *versionHandoff
}

// List lists through the client and hands a plain metadata list off.
func (w handoffWriter) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	k, ok := handoffKeyOf(list, opts) // before the list: decoding may change its type fields
	if err := w.Client.List(ctx, list, opts...); err != nil {
		return err
	}
	if ok {
		w.h.put(k, list.(*metav1.PartialObjectMetadataList))
	}
	return nil
}

// handoffReader is the health checker's reader: a plain metadata list
// handed off moments ago is used instead of a new request.
type handoffReader struct {
	client.Reader
	h *versionHandoff
}

// List answers from a fresh handed-off list, or reads.
func (r handoffReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if k, ok := handoffKeyOf(list, opts); ok {
		if got, ok := r.h.take(k); ok {
			got.DeepCopyInto(list.(*metav1.PartialObjectMetadataList))
			return nil
		}
	}
	return r.Reader.List(ctx, list, opts...)
}
