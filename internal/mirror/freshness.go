package mirror

import "k8s.io/apimachinery/pkg/types"

// freshness remembers, per key, the object last read past the cache (its
// UID and a version that only grows while it lives: a Hotplug's
// generation, an assignment's revision). The cache lags the pivot by its
// watch, much more after an outage, and a copy older than what was already
// read must not be mirrored: the mirror would step back to an older spec,
// and the agent would upgrade twice.
type freshness map[string]seenObject

type seenObject struct {
	uid     types.UID
	version int64
}

// observe records what a read past the cache returned for key.
func (f freshness) observe(key string, uid types.UID, version int64) {
	f[key] = seenObject{uid: uid, version: version}
}

// forget drops key after a read past the cache found it gone.
func (f freshness) forget(key string) { delete(f, key) }

// fresh reports whether a cached copy (uid, version) of key is at least
// what was last read, and then records it: any copy when nothing was read
// yet; never a copy of another object of the same name (deleted and
// recreated, or the other way round).
func (f freshness) fresh(key string, uid types.UID, version int64) bool {
	last, ok := f[key]
	switch {
	case !ok:
	case uid != last.uid || version < last.version:
		return false
	}
	f[key] = seenObject{uid: uid, version: version}
	return true
}
