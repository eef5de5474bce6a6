package agent

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// listStub answers metadata lists with one item of version rv and counts
// the requests.
type listStub struct {
	client.Client
	rv    *string
	calls *int
}

func (s listStub) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	*s.calls++
	pl := list.(*metav1.PartialObjectMetadataList)
	pl.Items = []metav1.PartialObjectMetadata{{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: *s.rv}}}
	pl.TypeMeta = metav1.TypeMeta{} // as decoding may leave it
	return nil
}

func TestVersionHandoff(t *testing.T) {
	rv, writes, reads := "1", 0, 0
	h := &versionHandoff{}
	w := handoffWriter{listStub{rv: &rv, calls: &writes}, h}
	r := handoffReader{listStub{rv: &rv, calls: &reads}, h}
	newList := func() *metav1.PartialObjectMetadataList {
		l := &metav1.PartialObjectMetadataList{}
		l.APIVersion, l.Kind = "v1", "ConfigMapList"
		return l
	}
	ctx := context.Background()
	if err := w.List(ctx, newList(), client.InNamespace("ns")); err != nil {
		t.Fatal(err)
	}
	rv = "2"
	got := newList()
	if err := r.List(ctx, got, client.InNamespace("ns")); err != nil {
		t.Fatal(err)
	}
	if reads != 0 || len(got.Items) != 1 || got.Items[0].ResourceVersion != "1" {
		t.Fatalf("handed-off list not used: %d reads, %+v", reads, got.Items)
	}
	// Used once: the next look reads.
	if err := r.List(ctx, newList(), client.InNamespace("ns")); err != nil || reads != 1 {
		t.Fatalf("second take: %d reads, err %v", reads, err)
	}
	// Another namespace, a label selector, or an old entry: read.
	_ = w.List(ctx, newList(), client.InNamespace("ns"))
	if _ = r.List(ctx, newList(), client.InNamespace("other")); reads != 2 {
		t.Fatalf("other namespace answered from the handoff")
	}
	_ = w.List(ctx, newList(), client.InNamespace("ns"))
	if _ = r.List(ctx, newList(), client.InNamespace("ns"), client.MatchingLabels{"a": "b"}); reads != 3 {
		t.Fatalf("selected list answered from the handoff")
	}
	h.mu.Lock()
	for k, e := range h.entries {
		e.at = time.Now().Add(-handoffTTL - time.Second)
		h.entries[k] = e
	}
	h.mu.Unlock()
	if _ = r.List(ctx, newList(), client.InNamespace("ns")); reads != 4 {
		t.Fatalf("expired handoff used")
	}
}
