package chartpkg

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"slices"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// digestVersion is mixed into every digest; bump it when the algorithm changes.
const digestVersion = "hotplug-chart-digest/v1"

// Digest returns a stable hex sha256 over the chart's full content (metadata,
// lock, templates, files including crds/, default values, schema and
// dependencies recursively) and the canonical JSON of values.
//
// Equal content and equal values give equal digests whatever the map order,
// the order of templates and files, modification times, or whether numbers
// are ints or float64s after a JSON round trip (a release's stored config comes
// back from JSON). A nil and an empty values map are equal. A nil chart is
// digested as an empty chart.
func Digest(ch *chartv2.Chart, values map[string]any) string {
	h := sha256.New()
	field(h, []byte(digestVersion))
	digestChart(h, ch)
	field(h, canonicalValues(values))
	return hex.EncodeToString(h.Sum(nil))
}

// chartState returns the hash state of Digest after the chart and before
// the values, so that Package.Digest adds values to a cached chart without
// hashing the chart again. It is nil if the hash cannot save its state.
func chartState(ch *chartv2.Chart) []byte {
	h := sha256.New()
	field(h, []byte(digestVersion))
	digestChart(h, ch)
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil
	}
	return state
}

// digestFrom is Digest(ch, values) resumed from chartState(ch); it falls
// back to Digest when the state is missing or cannot be restored.
func digestFrom(state []byte, ch *chartv2.Chart, values map[string]any) string {
	h := sha256.New()
	u, ok := h.(encoding.BinaryUnmarshaler)
	if state == nil || !ok || u.UnmarshalBinary(state) != nil {
		return Digest(ch, values)
	}
	field(h, canonicalValues(values))
	return hex.EncodeToString(h.Sum(nil))
}

// digestChart writes ch's content into h.
func digestChart(h hash.Hash, ch *chartv2.Chart) {
	if ch == nil {
		field(h, []byte("nil-chart"))
		return
	}
	field(h, canonicalMetadata(ch.Metadata))
	field(h, canonicalJSON(ch.Lock))
	field(h, canonicalValues(ch.Values))
	field(h, ch.Schema)
	digestFiles(h, "templates", ch.Templates)
	digestFiles(h, "files", ch.Files)

	deps := make([]string, 0, len(ch.Dependencies()))
	for _, dep := range ch.Dependencies() {
		sub := sha256.New()
		digestChart(sub, dep)
		deps = append(deps, hex.EncodeToString(sub.Sum(nil)))
	}
	slices.Sort(deps)
	field(h, []byte("dependencies"))
	count(h, len(deps))
	for _, d := range deps {
		field(h, []byte(d))
	}
}

// digestFiles writes files sorted by name (then content), ignoring mod times.
func digestFiles(h hash.Hash, kind string, files []*common.File) {
	sorted := make([]*common.File, 0, len(files))
	for _, f := range files {
		if f != nil {
			sorted = append(sorted, f)
		}
	}
	slices.SortStableFunc(sorted, func(a, b *common.File) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), bytes.Compare(a.Data, b.Data))
	})
	field(h, []byte(kind))
	count(h, len(sorted))
	for _, f := range sorted {
		field(h, []byte(f.Name))
		field(h, f.Data)
	}
}

// canonicalMetadata encodes md without the run-time state Helm writes into it
// while installing (dependencies' Enabled flags).
func canonicalMetadata(md *chartv2.Metadata) []byte {
	if md == nil {
		return canonicalJSON(nil)
	}
	c := *md
	c.Dependencies = make([]*chartv2.Dependency, 0, len(md.Dependencies))
	for _, d := range md.Dependencies {
		if d == nil {
			continue
		}
		dc := *d
		dc.Enabled = false
		c.Dependencies = append(c.Dependencies, &dc)
	}
	return canonicalJSON(&c)
}

// canonicalValues is canonicalJSON with nil maps equal to empty ones.
func canonicalValues(values map[string]any) []byte {
	if values == nil {
		values = map[string]any{}
	}
	return canonicalJSON(values)
}

// canonicalJSON encodes v, decodes it into generic values (numbers become
// float64, as they do for anything Helm stored) and encodes it again, which
// sorts map keys and makes ints and their float64 round trips identical.
// Values that JSON cannot encode fall back to their Go syntax.
func canonicalJSON(v any) []byte {
	first, err := json.Marshal(v)
	if err != nil {
		return fmt.Appendf(nil, "unencodable:%#v", v)
	}
	var generic any
	if err := json.Unmarshal(first, &generic); err != nil {
		return first
	}
	second, err := json.Marshal(generic)
	if err != nil {
		return first
	}
	return second
}

// field writes a length-prefixed byte string, so concatenations cannot collide.
func field(h hash.Hash, b []byte) {
	count(h, len(b))
	h.Write(b)
}

// count writes n as a fixed-width integer.
func count(h hash.Hash, n int) {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(n))
	h.Write(buf[:])
}
