package fleet

import "testing"

func TestValuesDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]any
		want string
	}{
		{"same", map[string]any{"a": 1}, map[string]any{"a": 1}, ""},
		{"both empty", nil, map[string]any{}, ""},
		{"from empty", nil, map[string]any{"a": 1}, "--- old\n+++ new\n@@ -0,0 +1 @@\n+a: 1\n"},
		{"nested change", map[string]any{"x": map[string]any{"y": "1", "z": true}}, map[string]any{"x": map[string]any{"y": "2", "z": true}},
			"--- old\n+++ new\n@@ -1,3 +1,3 @@\n x:\n-  \"y\": \"1\"\n+  \"y\": \"2\"\n   z: true\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValuesDiff(tc.a, tc.b, "old", "new")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
