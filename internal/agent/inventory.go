package agent

import (
	"context"
	"fmt"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/helm"
)

// inventory records which releases this agent manages (component → release
// namespace) in a ConfigMap, so that a component removed from the
// configuration is uninstalled after a restart too, releases adopted without
// an upgrade included, and releases the agent never managed are left alone.
//
// It is loaded on first use (ensure), not when the agent starts: an agent
// waiting for the leader lease must not hold a snapshot that the leader
// changes meanwhile, nor write it.
type inventory struct {
	mu      sync.Mutex
	c       client.Client
	reader  client.Reader
	helm    *helm.Client
	cluster string
	key     types.NamespacedName
	entries map[string]string
	loaded  bool
}

func newInventory(c client.Client, reader client.Reader, h *helm.Client, namespace, cluster string) *inventory {
	return &inventory{c: c, reader: reader, helm: h, cluster: cluster,
		key: types.NamespacedName{Namespace: namespace, Name: InventoryConfigMap}, entries: map[string]string{}}
}

// ensure loads the inventory once: it reads the ConfigMap and adds the
// releases that carry the agent's label (the ConfigMap may have been lost).
// A failed load is tried again on the next call.
func (i *inventory) ensure(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.loaded {
		return nil
	}
	entries := map[string]string{}
	cm := &corev1.ConfigMap{}
	switch err := i.reader.Get(ctx, i.key, cm); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading inventory %s: %w", i.key, err)
	default:
		maps.Copy(entries, cm.Data)
	}
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedByValue, LabelCluster: i.cluster})
	rels, err := i.helm.List(ctx, sel)
	if err != nil {
		return fmt.Errorf("listing managed releases: %w", err)
	}
	changed := false
	for _, r := range rels {
		if _, ok := entries[r.Name]; !ok {
			entries[r.Name] = r.Namespace
			changed = true
		}
	}
	i.entries = entries
	if changed {
		if err := i.save(ctx); err != nil {
			return err
		}
	}
	i.loaded = true
	return nil
}

func (i *inventory) get(name string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.entries[name]
}

func (i *inventory) names() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]string, 0, len(i.entries))
	for n := range i.entries {
		out = append(out, n)
	}
	return out
}

// set records name's release in namespace; it writes only on a change.
func (i *inventory) set(ctx context.Context, name, namespace string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.entries[name] == namespace {
		return nil
	}
	i.entries[name] = namespace
	return i.save(ctx)
}

// forget drops name when its recorded release was in namespace.
func (i *inventory) forget(ctx context.Context, name, namespace string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if ns, ok := i.entries[name]; !ok || ns != namespace {
		return nil
	}
	delete(i.entries, name)
	return i.save(ctx)
}

// save writes the whole inventory; callers hold the lock.
func (i *inventory) save(ctx context.Context) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: i.key.Name, Namespace: i.key.Namespace}}
	err := createOrUpdate(ctx, i.c, cm, func() { cm.Data = maps.Clone(i.entries) })
	if err != nil {
		return fmt.Errorf("saving inventory %s: %w", i.key, err)
	}
	return nil
}
