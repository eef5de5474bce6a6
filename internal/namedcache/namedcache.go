// Package namedcache is a controller-runtime cache that holds only objects
// named in advance: one informer per object, each listing and watching with
// a metadata.name field selector (and, for a namespaced object, its
// namespace). A client whose RBAC grants get, list and watch by
// resourceNames, as a member's grant on the pivot does, can run it where a
// cache of the whole kind would be refused.
//
// controller-runtime scopes a cache by kind (one selector per type), and
// field selectors cannot say "name in (a, b)", so the cache keeps one
// controller-runtime cache per named object and sends every call to the
// one its object's name selects. Informers start lazily, on the first
// GetInformer or Get of an object, like controller-runtime's own.
package namedcache

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Object names one object the cache holds: its type (a typed object of the
// scheme, for its kind) and its key (Namespace empty for a cluster-scoped
// kind).
type Object struct {
	Type client.Object
	client.ObjectKey
}

// WatchErrorFunc is told of every failed list or watch of a named object,
// after the informer's own handling; the informer retries with backoff.
type WatchErrorFunc func(obj Object, err error)

// ErrNotHeld is wrapped by every error for an object the cache does not
// hold (another name, another kind, or an unnamed request).
var ErrNotHeld = errors.New("not one of the objects this cache holds by name")

// New returns a cache.NewCacheFunc (for cluster.Options.NewCache) whose
// cache holds exactly objs; onWatchError may be nil. The options passed to
// the returned function apply to every per-object cache, except ByObject,
// DefaultNamespaces and the default field and label selectors, which the
// names replace, and DefaultWatchErrorHandler, which is chained with
// onWatchError.
func New(objs []Object, onWatchError WatchErrorFunc) cache.NewCacheFunc {
	return func(cfg *rest.Config, opts cache.Options) (cache.Cache, error) {
		c := &named{scheme: opts.Scheme, parts: map[partKey]part{}}
		for _, o := range objs {
			gvk, err := apiutil.GVKForObject(o.Type, opts.Scheme)
			if err != nil {
				return nil, fmt.Errorf("named cache: %w", err)
			}
			key := partKey{gvk: gvk, ObjectKey: o.ObjectKey}
			if _, dup := c.parts[key]; dup {
				return nil, fmt.Errorf("named cache: %s %s named twice", gvk.Kind, o.ObjectKey)
			}
			po := opts
			po.DefaultNamespaces, po.DefaultFieldSelector, po.DefaultLabelSelector = nil, nil, nil
			by := cache.ByObject{Field: fields.OneTermEqualSelector("metadata.name", o.Name)}
			if o.Namespace != "" {
				by.Namespaces = map[string]cache.Config{o.Namespace: {}}
			}
			po.ByObject = map[client.Object]cache.ByObject{o.Type: by}
			po.DefaultWatchErrorHandler = watchErrorHandler(opts.DefaultWatchErrorHandler, o, onWatchError)
			pc, err := cache.New(cfg, po)
			if err != nil {
				return nil, fmt.Errorf("named cache for %s %s: %w", gvk.Kind, o.ObjectKey, err)
			}
			c.parts[key] = part{Cache: pc, obj: o}
		}
		return c, nil
	}
}

// watchErrorHandler chains the configured handler (client-go's default,
// which logs, when none is) with onWatchError for obj.
func watchErrorHandler(next toolscache.WatchErrorHandlerWithContext, obj Object, onWatchError WatchErrorFunc) toolscache.WatchErrorHandlerWithContext {
	return func(ctx context.Context, r *toolscache.Reflector, err error) {
		if next != nil {
			next(ctx, r, err)
		} else {
			toolscache.DefaultWatchErrorHandler(ctx, r, err)
		}
		if onWatchError != nil {
			onWatchError(obj, err)
		}
	}
}

type partKey struct {
	gvk schema.GroupVersionKind
	client.ObjectKey
}

// part is the cache of one named object.
type part struct {
	cache.Cache
	obj Object
}

// named implements cache.Cache over its parts.
type named struct {
	scheme *runtime.Scheme
	parts  map[partKey]part
}

var _ cache.Cache = (*named)(nil)

// partFor returns the cache of the object of obj's kind called key.
func (c *named) partFor(obj runtime.Object, key client.ObjectKey) (part, error) {
	gvk, err := apiutil.GVKForObject(obj, c.scheme)
	if err != nil {
		return part{}, fmt.Errorf("named cache: %w", err)
	}
	p, ok := c.parts[partKey{gvk: gvk, ObjectKey: key}]
	if !ok {
		return part{}, fmt.Errorf("named cache: %s %q: %w", gvk.Kind, key, ErrNotHeld)
	}
	return p, nil
}

// Get reads the object from the cache of its name; like any
// controller-runtime cache it blocks until that object's informer has
// synced (bound ctx, or check Synced first).
func (c *named) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	p, err := c.partFor(obj, key)
	if err != nil {
		return err
	}
	return p.Get(ctx, key, obj, opts...)
}

// List is refused: the cache holds objects by name; Get them.
func (c *named) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	return fmt.Errorf("named cache: listing %T: %w; get each object by name", list, ErrNotHeld)
}

// GetInformer returns the informer of the object obj names (its name and
// namespace must be set): a prototype without a name is refused, since
// several objects of one kind may be held.
func (c *named) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	p, err := c.partFor(obj, client.ObjectKeyFromObject(obj))
	if err != nil {
		return nil, err
	}
	return p.GetInformer(ctx, obj, opts...)
}

// GetInformerForKind is refused: a kind does not say which object.
func (c *named) GetInformerForKind(_ context.Context, gvk schema.GroupVersionKind, _ ...cache.InformerGetOption) (cache.Informer, error) {
	return nil, fmt.Errorf("named cache: informer for kind %s: %w; ask with a named object", gvk.Kind, ErrNotHeld)
}

// RemoveInformer stops the informer of the object obj names.
func (c *named) RemoveInformer(ctx context.Context, obj client.Object) error {
	p, err := c.partFor(obj, client.ObjectKeyFromObject(obj))
	if err != nil {
		return err
	}
	return p.RemoveInformer(ctx, obj)
}

// Start runs every object's cache until ctx ends.
func (c *named) Start(ctx context.Context) error {
	if len(c.parts) == 0 {
		<-ctx.Done() // blocks like any cache's Start
		return nil
	}
	errs := make(chan error, len(c.parts))
	for _, p := range c.parts {
		go func() { errs <- p.Start(ctx) }()
	}
	var all []error
	for range c.parts {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// WaitForCacheSync waits for the informers started so far.
func (c *named) WaitForCacheSync(ctx context.Context) bool {
	for _, p := range c.parts {
		if !p.WaitForCacheSync(ctx) {
			return false
		}
	}
	return true
}

// IndexField adds the index to every held object of obj's kind.
func (c *named) IndexField(ctx context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	gvk, err := apiutil.GVKForObject(obj, c.scheme)
	if err != nil {
		return fmt.Errorf("named cache: %w", err)
	}
	for k, p := range c.parts {
		if k.gvk != gvk {
			continue
		}
		if err := p.IndexField(ctx, obj, field, extract); err != nil {
			return err
		}
	}
	return nil
}

// Synced reports whether the informer of the object obj names has synced,
// starting it (without waiting) if it was not yet: a read from the cache
// before then would block.
func Synced(ctx context.Context, c cache.Informers, obj client.Object) bool {
	inf, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	return err == nil && inf.HasSynced()
}
