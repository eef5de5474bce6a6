package mirror

import "k8s.io/apimachinery/pkg/types"

// freshness remembers, per key, what the last read past the cache showed:
// the object's UID and a version that only grows while it lives (a
// Hotplug's generation, an assignment's revision), whether it was there to
// mirror, or that it was gone. The cache lags the pivot by its watch (much
// more right after an outage or a relist), and a cached copy older than
// what was already read must not be mirrored: the mirror would step back
// to an older spec (and the agent upgrade twice), or be recreated from a
// copy of a source just deleted or unsynced.
//
// Labels and annotations change without a new generation, so a lagging
// copy of a present source at the same generation can still carry older
// ones for a moment; the spec, which is what the agent installs, cannot
// step back.
type freshness map[string]seenObject

type seenObject struct {
	uid     types.UID
	version int64
	// present: the read showed the source there to mirror (synced); else
	// unsynced, or gone.
	present, gone bool
}

// observe records what a read past the cache returned for key.
func (f freshness) observe(key string, uid types.UID, version int64, present bool) {
	f[key] = seenObject{uid: uid, version: version, present: present}
}

// gone records that a read past the cache found key deleted.
func (f freshness) gone(key string) { f[key] = seenObject{gone: true} }

// fresh reports whether a cached copy (uid, version) of key, present to
// mirror, may be used, and then records it: any copy when nothing was read
// yet; a copy of the same object at least as new as a present read; a copy
// strictly newer than an unsynced read (a copy at that generation may
// predate the unsync); never a copy after a read found the source gone or
// of another object of that name (each time then, the pivot is asked).
func (f freshness) fresh(key string, uid types.UID, version int64) bool {
	last, ok := f[key]
	switch {
	case !ok:
	case last.gone, uid != last.uid:
		return false
	case version < last.version, version == last.version && !last.present:
		return false
	}
	f[key] = seenObject{uid: uid, version: version, present: true}
	return true
}
