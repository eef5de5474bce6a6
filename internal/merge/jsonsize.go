package merge

import (
	"fmt"
	"strconv"
)

// jsonSize returns an upper bound of the JSON encoding of v (as produced by
// parseMapping: maps, lists, strings, float64, bool, nil), stopping as soon
// as it passes limit, so measuring costs no allocation and no more work than
// limit allows. Strings count their length plus quotes; escaping is left out
// so that the measure matches what the YAML check counted before it.
func jsonSize(v any, limit int64) int64 {
	var n int64
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			n += 2
			for k, e := range x {
				n += int64(len(k)) + 4
				if n > limit || !walk(e) {
					return false
				}
			}
		case []any:
			n += 2
			for _, e := range x {
				n++
				if n > limit || !walk(e) {
					return false
				}
			}
		case string:
			n += int64(len(x)) + 2
		case float64:
			n += int64(len(strconv.FormatFloat(x, 'g', -1, 64)))
		case bool, nil:
			n += 5
		default:
			n += int64(len(fmt.Sprint(x)))
		}
		return n <= limit
	}
	walk(v)
	return n
}
