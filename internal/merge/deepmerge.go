package merge

// DeepMerge returns base overlaid with over (neither is modified): maps
// merge recursively, over wins, lists are replaced whole, and a key whose
// value in over is nil becomes nil: Helm then removes it, from these values
// and from the chart's defaults alike (Helm's rule for layered -f files).
//
// Only map[string]any is a map and only []any a list (what Render returns);
// other values are leaves. The result shares no map or list with the inputs,
// so the caller may change it freely; other leaf values, being immutable in
// Render's output, are shared. A nil that over holds at any depth replaces
// its key's value, so the removal reaches Helm; nils from base, and nils
// inside lists, are kept. The result is never nil.
func DeepMerge(base, over map[string]any) map[string]any {
	out := copyMap(base)
	overlay(out, over)
	return out
}

// overlay writes over onto dst, which the caller owns (a copy), so that each
// level is copied once rather than once per depth.
func overlay(dst, over map[string]any) {
	for k, v := range over {
		if v == nil {
			dst[k] = nil
			continue
		}
		om, ok := v.(map[string]any)
		if !ok {
			dst[k] = copyValue(v)
			continue
		}
		dm, ok := dst[k].(map[string]any)
		if !ok {
			dm = make(map[string]any, len(om))
			dst[k] = dm
		}
		overlay(dm, om)
	}
}

// copyValue deep-copies maps and lists so that results never alias inputs.
func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = copyValue(e)
		}
		return l
	default:
		return v
	}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = copyValue(e)
	}
	return out
}
