package merge

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDeepMerge(t *testing.T) {
	tests := []struct {
		name       string
		base, over map[string]any
		want       map[string]any
	}{
		{"both nil", nil, nil, map[string]any{}},
		{"base only", map[string]any{"a": 1.0}, nil, map[string]any{"a": 1.0}},
		{"over only", nil, map[string]any{"a": 1.0}, map[string]any{"a": 1.0}},
		{"scalar over wins", map[string]any{"a": 1.0, "b": "x"}, map[string]any{"a": 2.0}, map[string]any{"a": 2.0, "b": "x"}},
		{
			"nested maps merge",
			map[string]any{"g": map[string]any{"enabled": false, "port": 80.0}},
			map[string]any{"g": map[string]any{"enabled": true}},
			map[string]any{"g": map[string]any{"enabled": true, "port": 80.0}},
		},
		{
			"list replaced whole",
			map[string]any{"l": []any{"a", "b", "c"}},
			map[string]any{"l": []any{"z"}},
			map[string]any{"l": []any{"z"}},
		},
		{
			"null marks a key for Helm to remove",
			map[string]any{"a": 1.0, "b": map[string]any{"c": 1.0, "d": 2.0}},
			map[string]any{"a": nil, "b": map[string]any{"c": nil}},
			map[string]any{"a": nil, "b": map[string]any{"c": nil, "d": 2.0}},
		},
		{"null for an absent key reaches Helm (it may drop a chart default)", map[string]any{"a": 1.0}, map[string]any{"x": nil}, map[string]any{"a": 1.0, "x": nil}},
		{
			"null inside a new map is kept",
			nil,
			map[string]any{"m": map[string]any{"x": nil, "y": 1.0}},
			map[string]any{"m": map[string]any{"x": nil, "y": 1.0}},
		},
		{"nil in base is kept", map[string]any{"a": nil}, map[string]any{"b": 1.0}, map[string]any{"a": nil, "b": 1.0}},
		{"nil inside a list is kept", nil, map[string]any{"l": []any{nil, 1.0}}, map[string]any{"l": []any{nil, 1.0}}},
		{"map replaces scalar", map[string]any{"a": "s"}, map[string]any{"a": map[string]any{"b": 1.0}}, map[string]any{"a": map[string]any{"b": 1.0}}},
		{"scalar replaces map", map[string]any{"a": map[string]any{"b": 1.0}}, map[string]any{"a": "s"}, map[string]any{"a": "s"}},
		{"list replaces map", map[string]any{"a": map[string]any{"b": 1.0}}, map[string]any{"a": []any{1.0}}, map[string]any{"a": []any{1.0}}},
		{"empty map over keeps base map", map[string]any{"a": map[string]any{"b": 1.0}}, map[string]any{"a": map[string]any{}}, map[string]any{"a": map[string]any{"b": 1.0}}},
		{"empty list over replaces", map[string]any{"a": []any{1.0}}, map[string]any{"a": []any{}}, map[string]any{"a": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			baseBefore, overBefore := snapshot(t, tt.base), snapshot(t, tt.over)
			got := DeepMerge(tt.base, tt.over)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DeepMerge = %#v, want %#v", got, tt.want)
			}
			scribble(got)
			if s := snapshot(t, tt.base); s != baseBefore {
				t.Errorf("base changed: %s, was %s", s, baseBefore)
			}
			if s := snapshot(t, tt.over); s != overBefore {
				t.Errorf("over changed: %s, was %s", s, overBefore)
			}
		})
	}
}

// snapshot renders v canonically (json sorts map keys) so that any change to
// v, however deep, shows.
func snapshot(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// scribble changes every map and list in v, so that any aliasing between a
// result and an input shows up as a change of the input.
func scribble(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			scribble(e)
		}
		x["\x00scribbled"] = true
	case []any:
		for i, e := range x {
			scribble(e)
			x[i] = "scribbled"
		}
	}
}
