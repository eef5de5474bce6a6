package drift

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kubecube-io/hotplug/internal/health"
)

// Kind says how an object drifted.
type Kind string

// Kinds of drift.
const (
	// Missing: the object does not exist (deleted by hand), or its kind is
	// not served any more (then Drift.Unserved is set and Repair cannot
	// recreate it).
	Missing Kind = "Missing"
	// Changed: fields the release owns differ from the manifest.
	Changed Kind = "Changed"
)

// Helm's ownership metadata, added to every object Helm applies (Helm's
// action.setMetadataVisitor); the dry run adds it too, or it would read as
// drift.
const (
	managedByLabel             = "app.kubernetes.io/managed-by"
	managedByHelm              = "Helm"
	releaseNameAnnotation      = "meta.helm.sh/release-name"
	releaseNamespaceAnnotation = "meta.helm.sh/release-namespace"
)

// Release names a release and its rendered manifest, as stored by Helm
// (helm.Release's Name, Namespace and Manifest).
type Release struct {
	// Name and Namespace of the release; Namespace is also the namespace of
	// namespaced objects the manifest writes without one.
	Name, Namespace string
	// Manifest is the release's rendered multi-document YAML.
	Manifest string
	// Ignore are the component's driftIgnore rules: fields of the objects
	// they select that Detect does not report and Repair does not set back.
	Ignore []Ignore
}

// Drift is one object of a release that differs from its manifest.
type Drift struct {
	// Ref names the object, its namespace resolved.
	Ref health.ObjectRef
	// Kind is Missing or Changed.
	Kind Kind
	// Fields are the paths that differ (Changed only), sorted, at most
	// MaxFields, e.g. "spec.replicas", `data["values.yaml"]`,
	// "spec.template.spec.containers[name=web].image".
	Fields []string
	// MoreFields counts the differing paths left out of Fields.
	MoreFields int
	// Owners, parallel to Fields, are the field managers (from the live
	// object's managedFields, Helm's own excluded) that owned each field
	// when it was found differing: who set the value a repair replaces.
	// An entry is nil when none did (a field someone removed).
	Owners [][]string
	// Unserved is set on a Missing object whose kind the API server does
	// not serve (its CRD was removed); Repair cannot recreate it.
	Unserved bool
}

// String returns "Deployment ns/web deleted", "ConfigMap ns/cfg changed
// (data.a, data.b and 2 more)" or "Widget ns/w deleted (kind not served)",
// the form messages use; at most a few hundred bytes.
func (d Drift) String() string {
	if d.Kind == Missing {
		if d.Unserved {
			return d.Ref.String() + " deleted (kind not served)"
		}
		return d.Ref.String() + " deleted"
	}
	s := d.Ref.String() + " changed"
	if len(d.Fields) > 0 {
		s += " (" + strings.Join(d.Fields, ", ")
		if d.MoreFields > 0 {
			s += fmt.Sprintf(" and %d more", d.MoreFields)
		}
		s += ")"
	}
	return s
}

// Options configure a Detector.
type Options struct {
	// FieldManager is the server-side-apply field manager Helm uses in this
	// process; empty means HelmFieldManager().
	FieldManager string
	// Respect says whether fields owned by a manager are left to it (see
	// the package doc); nil means RespectedManager. RespectManagers builds
	// one that adds exact names to it.
	Respect func(manager string) bool
}

// HelmFieldManager returns the field manager the Helm v4 SDK applies with in
// this process: kube.ManagedFieldsManager when set, else the base name of
// os.Args[0] ("hotplug" for the agent, "<pkg>.test" in tests), "unknown"
// without one (helm.sh/helm/v4/pkg/kube getManagedFieldsManager).
func HelmFieldManager() string {
	if kube.ManagedFieldsManager != "" {
		return kube.ManagedFieldsManager
	}
	if len(os.Args) == 0 || os.Args[0] == "" {
		return "unknown"
	}
	return filepath.Base(os.Args[0])
}

// Detector detects and repairs drift of releases. It is safe for concurrent
// use.
type Detector struct {
	c       client.Client
	manager string
	respect func(string) bool

	mu    sync.Mutex
	clean map[cleanKey]string // objects found in sync: resourceVersion, by object and desired content
}

// cleanKey is one object of a manifest with the digest of its desired
// content: an upgrade that changes the object gets a new key.
type cleanKey struct {
	ref    health.ObjectRef
	digest [sha256.Size]byte
}

// maxClean bounds the objects a Detector remembers as in sync; past it,
// it starts over.
const maxClean = 20000

// New returns a Detector that reads and applies through c. c must read
// unstructured objects from the API server (a manager's default client
// does; a client with an unstructured cache would compare with a stale
// copy) and be allowed to get and patch every kind of the releases.
func New(c client.Client, opts Options) *Detector {
	d := &Detector{c: c, manager: opts.FieldManager, respect: opts.Respect}
	if d.manager == "" {
		d.manager = HelmFieldManager()
	}
	if d.respect == nil {
		d.respect = RespectedManager
	}
	return d
}

// object is one manifest object ready to apply.
type object struct {
	ref health.ObjectRef
	u   *unstructured.Unstructured
	// ignore are the parsed driftIgnore pointers that select the object.
	ignore [][]string
}

// Detect returns the drift of every object of rel's manifest, in kind/
// namespace/name order; nil when nothing drifted. It reads the versions of
// the objects first (health.Versions: one metadata LIST per kind and
// namespace); an object found in sync by an earlier Detect, for the same
// desired content, at the version it still has, is in sync and is not read
// again. Every other object costs one GET and, when it exists, one dry-run
// server-side apply (a PATCH with dryRun=All, which writes nothing); kinds
// are resolved through the client's RESTMapper. Fields rel.Ignore names are
// compared at their live value (never drift). It never writes. An error (manifest that cannot be
// parsed, read or dry run failing for another reason than NotFound) means
// drift is unknown; it names the object.
func (d *Detector) Detect(ctx context.Context, rel Release) ([]Drift, error) {
	objs, err := d.objects(rel)
	if err != nil {
		return nil, err
	}
	refs := make([]health.ObjectRef, 0, len(objs))
	for _, o := range objs {
		if o.u != nil {
			refs = append(refs, o.ref)
		}
	}
	versions, err := health.Versions(ctx, d.c, refs)
	if err != nil {
		return nil, err
	}
	var out []Drift
	for _, o := range objs {
		if o.u == nil {
			out = append(out, Drift{Ref: o.ref, Kind: Missing, Unserved: true})
			continue
		}
		key, err := keyOf(o)
		if err != nil {
			return nil, err
		}
		if v, ok := versions[o.ref]; ok && d.wasClean(key, v) {
			continue
		}
		dr, version, err := d.detectOne(ctx, o)
		if err != nil {
			return nil, err
		}
		d.setClean(key, version, dr == nil)
		if dr != nil {
			out = append(out, *dr)
		}
	}
	return out, nil
}

// keyOf returns o's key for the memory of objects found in sync.
func keyOf(o object) (cleanKey, error) {
	// The ignored fields are part of the desired content: a rule added or
	// removed makes the object's earlier judgement stale.
	data, err := json.Marshal([]any{o.u.Object, o.ignore})
	if err != nil {
		return cleanKey{}, fmt.Errorf("%s: %w", o.ref, err)
	}
	return cleanKey{ref: o.ref, digest: sha256.Sum256(data)}, nil
}

// wasClean tells whether the object of key was found in sync at version:
// an object whose version did not change since did not change, and is in
// sync still (a release object's version changes with every write).
func (d *Detector) wasClean(key cleanKey, version string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return version != "" && d.clean[key] == version
}

// setClean records the version at which key's object was in sync, or
// forgets it.
func (d *Detector) setClean(key cleanKey, version string, clean bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !clean || version == "" {
		delete(d.clean, key)
		return
	}
	if d.clean == nil || len(d.clean) >= maxClean {
		d.clean = map[cleanKey]string{}
	}
	d.clean[key] = version
}

// detectOne compares one object; nil means no drift. It also returns the
// version of the live object it compared.
func (d *Detector) detectOne(ctx context.Context, o object) (*Drift, string, error) {
	live, err := d.get(ctx, o)
	if apierrors.IsNotFound(err) {
		return &Drift{Ref: o.ref, Kind: Missing}, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	version := live.GetResourceVersion()
	cfg, err := d.config(o, live)
	if err != nil {
		return nil, "", err
	}
	if err := d.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(cfg), client.DryRunAll,
		client.FieldOwner(d.manager), client.ForceOwnership); err != nil {
		if apierrors.IsNotFound(err) {
			return &Drift{Ref: o.ref, Kind: Missing}, "", nil
		}
		return nil, "", fmt.Errorf("dry-run apply of %s: %w", o.ref, err)
	}
	ds := diffs(live.Object, cfg.Object)
	if len(ds) == 0 {
		return nil, version, nil
	}
	paths := make([]string, len(ds))
	for i, df := range ds {
		paths[i] = df.path
	}
	fields, more := bound(paths)
	who := ownersOf(live.GetManagedFields(), live.Object, d.manager)
	owned := make([][]string, len(fields))
	for i := range fields {
		owned[i] = who.of(ds[i].live)
	}
	return &Drift{Ref: o.ref, Kind: Changed, Fields: fields, MoreFields: more, Owners: owned}, version, nil
}

// get reads the live object.
func (d *Detector) get(ctx context.Context, o object) (*unstructured.Unstructured, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.ref.GroupVersionKind)
	if err := d.c.Get(ctx, client.ObjectKey{Namespace: o.ref.Namespace, Name: o.ref.Name}, live); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, err
		}
		return nil, fmt.Errorf("reading %s: %w", o.ref, err)
	}
	return live, nil
}

// config returns the object to apply: the manifest object without the
// fields that respected managers own in live (nil live: none), and with
// live's value at every ignored field (see keepLive).
func (d *Detector) config(o object, live *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	cfg := o.u.DeepCopy()
	if live == nil {
		return cfg, nil
	}
	owned, err := respectedFields(live.GetManagedFields(), d.manager, d.respect)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.ref, err)
	}
	for _, f := range owned {
		strip(cfg.Object, f)
	}
	keepLive(cfg.Object, live.Object, o.ignore)
	// What stripping must never lose: the object's identity.
	cfg.SetAPIVersion(o.u.GetAPIVersion())
	cfg.SetKind(o.u.GetKind())
	cfg.SetName(o.u.GetName())
	if o.ref.Namespace != "" {
		cfg.SetNamespace(o.ref.Namespace)
	}
	return cfg, nil
}

// Repair sets back the objects of drifts (as Detect returned them for the
// same rel): a Missing object is recreated and a Changed one re-applied,
// each by one forced server-side apply of its manifest object under Helm's
// field manager, with the fields respected managers own removed and the
// fields rel.Ignore names at their live value (read again, one GET, just
// before the apply). No other object is written, and
// Helm is not called: the release keeps its revision. It returns the
// objects repaired, in the order of drifts; an object that cannot be
// repaired (kind not served, not in the manifest, apply refused) does not
// stop the others and is reported in the joined error, which names it.
func (d *Detector) Repair(ctx context.Context, rel Release, drifts []Drift) ([]health.ObjectRef, error) {
	if len(drifts) == 0 {
		return nil, nil
	}
	objs, err := d.objects(rel)
	if err != nil {
		return nil, err
	}
	byRef := make(map[health.ObjectRef]object, len(objs))
	for _, o := range objs {
		byRef[o.ref] = o
	}
	var repaired []health.ObjectRef
	var errs []error
	for _, dr := range drifts {
		o, ok := byRef[dr.Ref]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s is not an object of release %s/%s", dr.Ref, rel.Namespace, rel.Name))
			continue
		case o.u == nil:
			errs = append(errs, fmt.Errorf("cannot recreate %s: kind not served", dr.Ref))
			continue
		}
		if err := d.repairOne(ctx, o); err != nil {
			errs = append(errs, err)
			continue
		}
		repaired = append(repaired, dr.Ref)
	}
	return repaired, errors.Join(errs...)
}

// repairOne applies one object.
func (d *Detector) repairOne(ctx context.Context, o object) error {
	live, err := d.get(ctx, o)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	cfg, err := d.config(o, live)
	if err != nil {
		return err
	}
	if err := d.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(cfg),
		client.FieldOwner(d.manager), client.ForceOwnership); err != nil {
		return fmt.Errorf("repairing %s: %w", o.ref, err)
	}
	return nil
}

// objects parses rel's manifest into the objects to compare, in health.Objects'
// order, with Helm's ownership metadata added and namespaces resolved. An
// object whose kind is not served has a nil u.
func (d *Detector) objects(rel Release) ([]object, error) {
	refs, err := health.Objects(rel.Manifest) // validates and bounds the manifest
	if err != nil {
		return nil, err
	}
	docs, err := decode(rel.Manifest)
	if err != nil {
		return nil, err
	}
	mapper := d.c.RESTMapper()
	out := make([]object, 0, len(refs))
	for _, ref := range refs {
		u := docs[ref]
		if u == nil {
			continue // cannot happen: both parse the same manifest
		}
		m, err := mapper.RESTMapping(ref.GroupKind(), ref.Version)
		if meta.IsNoMatchError(err) {
			if ref.Namespace == "" {
				ref.Namespace = rel.Namespace
			}
			out = append(out, object{ref: ref})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("mapping %s: %w", ref, err)
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if ref.Namespace == "" {
				ref.Namespace = rel.Namespace
			}
			u.SetNamespace(ref.Namespace)
		} else {
			ref.Namespace = ""
			u.SetNamespace("")
		}
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[managedByLabel] = managedByHelm
		u.SetLabels(labels)
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[releaseNameAnnotation] = rel.Name
		ann[releaseNamespaceAnnotation] = rel.Namespace
		u.SetAnnotations(ann)
		out = append(out, object{ref: ref, u: u, ignore: ignoredPointers(rel.Ignore, ref)})
	}
	return out, nil
}

// decode returns the manifest's objects (List items included, hooks and
// generateName objects skipped) by their ref as written. Call it only on a
// manifest health.Objects accepted (bounded).
func decode(manifest string) (map[health.ObjectRef]*unstructured.Unstructured, error) {
	out := map[health.ObjectRef]*unstructured.Unstructured{}
	add := func(obj map[string]any) {
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAnnotations()[health.HookAnnotation] != "" || u.GetName() == "" {
			return
		}
		ref := health.ObjectRef{GroupVersionKind: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
		if _, dup := out[ref]; !dup {
			out[ref] = u
		}
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("release manifest, document %d: %w", i, err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, fmt.Errorf("release manifest, document %d: %w", i, err)
		}
		if len(obj) == 0 {
			continue
		}
		if items, ok := obj["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(obj["kind"]), "List") {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					add(m)
				}
			}
			continue
		}
		add(obj)
	}
}
