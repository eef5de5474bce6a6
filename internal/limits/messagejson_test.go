package limits

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestMessagesJSON(t *testing.T) {
	many := map[string]string{}
	for i := range 2000 {
		many[fmt.Sprintf("cluster %0200d", i)] = strings.Repeat("<", 1024)
	}
	cases := []struct {
		name string
		m    map[string]string
		n    int
		want string // exact result, when set
	}{
		{"empty", nil, 64, "{}"},
		{"fits as is", map[string]string{"b": "release is running", "a": "disabled"}, 1024, `{"a":"disabled","b":"release is running"}`},
		{"values cut", map[string]string{"a": strings.Repeat("x", 900), "b": strings.Repeat("y", 900)}, 1024, ""},
		{"escaping counts", map[string]string{"a": strings.Repeat("<", 1000)}, 2048, ""},
		{"entries left out", many, 64 << 10, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := MessagesJSON(tc.m, tc.n)
			if JSONLen(got) > tc.n {
				t.Errorf("%d bytes as stored, more than %d", JSONLen(got), tc.n)
			}
			var back map[string]string
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("not a JSON object: %v", err)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if len(back) < len(tc.m) && !strings.Contains(back[moreKey], "left out") {
				t.Errorf("%d of %d entries and no count of the rest", len(back), len(tc.m))
			}
		})
	}
}
