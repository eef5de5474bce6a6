package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// inventory records which releases this agent manages (component → release
// namespace) in a ConfigMap, so that a component removed from the
// configuration is uninstalled after a restart too, releases adopted without
// an upgrade included, and releases the agent never managed are left alone.
//
// It also records the effective dependsOn of the components it manages
// (InventoryDependsOnAnnotation), so that components removed from the
// configuration together while the agent was down are still uninstalled
// dependents first.
//
// It is loaded on first use (ensure), not when the agent starts: an agent
// waiting for the leader lease must not hold a snapshot that the leader
// changes meanwhile, nor write it.
type inventory struct {
	mu      sync.Mutex
	c       client.Client
	reader  client.Reader
	helm    releaseLister
	cluster string
	key     types.NamespacedName
	entries map[string]string
	// deps is the last dependsOn seen of every component, managed or not
	// yet (it is recorded once the component has a release).
	deps   map[string][]string
	loaded bool
	// log is the agent's: the first load may run in a context without one
	// (an event handler's).
	log logr.Logger
	// onLoad receives the recorded dependsOn of the managed components
	// once the inventory is loaded; nil: none.
	onLoad func(map[string][]string)
}

func newInventory(c client.Client, reader client.Reader, h releaseLister, namespace, cluster string, log logr.Logger, onLoad func(map[string][]string)) *inventory {
	return &inventory{c: c, reader: reader, helm: h, cluster: cluster, log: log, onLoad: onLoad,
		key: types.NamespacedName{Namespace: namespace, Name: InventoryConfigMap}, entries: map[string]string{}, deps: map[string][]string{}}
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
	deps := map[string][]string{}
	cm := &corev1.ConfigMap{}
	switch err := i.reader.Get(ctx, i.key, cm); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading inventory %s: %w", i.key, err)
	default:
		maps.Copy(entries, cm.Data)
		deps = i.recordedDependsOn(cm)
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
	for name := range deps {
		if _, ok := entries[name]; !ok {
			delete(deps, name) // left by an agent that did not forget it
		}
	}
	i.deps = deps
	if changed {
		if err := i.save(ctx); err != nil {
			return err
		}
	}
	i.loaded = true
	if i.onLoad != nil && len(deps) > 0 {
		i.onLoad(maps.Clone(deps))
	}
	return nil
}

// recordedDependsOn decodes cm's dependsOn annotation. A malformed one
// (edited by hand) is logged and ignored: the components it names are then
// uninstalled without ordering, never held forever; the next write
// replaces it.
func (i *inventory) recordedDependsOn(cm *corev1.ConfigMap) map[string][]string {
	deps, err := decodeDependsOn(cm.Annotations[InventoryDependsOnAnnotation])
	if err != nil {
		err = fmt.Errorf("inventory ConfigMap %s, annotation %s: %w", i.key, InventoryDependsOnAnnotation, err)
		i.log.Error(err, "ignoring the recorded dependsOn: components removed from the configuration are uninstalled without ordering",
			"configMap", i.key.String(), "annotation", InventoryDependsOnAnnotation)
		return map[string][]string{}
	}
	return deps
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

// forget drops name, and its recorded dependsOn, when its recorded release
// was in namespace.
func (i *inventory) forget(ctx context.Context, name, namespace string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if ns, ok := i.entries[name]; !ok || ns != namespace {
		return nil
	}
	delete(i.entries, name)
	delete(i.deps, name)
	return i.save(ctx)
}

// dependsOn records name's effective dependsOn; it writes only when the
// record of a managed component changes (a component without a release yet
// is recorded with its release, by set).
func (i *inventory) dependsOn(ctx context.Context, name string, deps []string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	before := i.deps[name]
	if len(deps) == 0 {
		delete(i.deps, name)
	} else {
		i.deps[name] = normalDependsOn(deps)
	}
	if _, managed := i.entries[name]; !managed || slices.Equal(before, i.deps[name]) {
		return nil
	}
	if err := i.save(ctx); err != nil {
		// Keep the old record, so that the next reconcile writes again.
		if before == nil {
			delete(i.deps, name)
		} else {
			i.deps[name] = before
		}
		return err
	}
	return nil
}

// save writes the whole inventory; callers hold the lock. A dependsOn
// record too large to keep is left out (logged): ordering after a restart
// is lost, never the inventory itself.
func (i *inventory) save(ctx context.Context) error {
	deps, err := encodeDependsOn(i.entries, i.deps)
	if err != nil {
		i.log.Error(err, "not recording dependsOn in the inventory", "configMap", i.key.String())
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: i.key.Name, Namespace: i.key.Namespace}}
	err = createOrUpdate(ctx, i.c, cm, func() {
		cm.Data = maps.Clone(i.entries)
		setAnnotation(cm, InventoryDependsOnAnnotation, deps)
	})
	if err != nil {
		return fmt.Errorf("saving inventory %s: %w", i.key, err)
	}
	return nil
}

// setAnnotation sets key to value on cm, or removes it when value is "";
// other annotations are kept.
func setAnnotation(cm *corev1.ConfigMap, key, value string) {
	if value == "" {
		delete(cm.Annotations, key)
		return
	}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[key] = value
}
