package jsonpointer

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  error
	}{
		{"", nil, nil},
		{"/", []string{""}, nil},
		{"/spec/template/spec/containers/0/image", []string{"spec", "template", "spec", "containers", "0", "image"}, nil},
		{"/metadata/annotations/example.com~1mirror", []string{"metadata", "annotations", "example.com/mirror"}, nil},
		{"/a~0b/~01", []string{"a~b", "~1"}, nil},
		{"spec/replicas", nil, ErrNoSlash},
		{"/a~2", nil, ErrBadEscape},
		{"/a~", nil, ErrBadEscape},
	} {
		got, err := Parse(tc.in)
		if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestGetSetRemove(t *testing.T) {
	doc := func() map[string]any {
		return map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "web", "image": "a:1"}},
			"a/b":        "x",
		}}
	}
	for _, tc := range []struct {
		ptr     string
		get     any
		found   bool
		set     bool // Set succeeds
		removed bool // Remove succeeds
	}{
		{"/spec/containers/0/image", "a:1", true, true, true},
		{"/spec/a~1b", "x", true, true, true},
		{"/spec/containers/1/image", nil, false, false, false},
		{"/spec/containers/-", nil, false, false, false},
		{"/spec/containers/00", nil, false, false, false},
		{"/spec/containers/0", map[string]any{"name": "web", "image": "a:1"}, true, true, false},
		{"/spec/missing", nil, false, true, false},
		{"/spec/missing/deeper", nil, false, false, false},
	} {
		toks, err := Parse(tc.ptr)
		if err != nil {
			t.Fatal(err)
		}
		got, found := Get(doc(), toks)
		if found != tc.found || !reflect.DeepEqual(got, tc.get) {
			t.Errorf("Get(%s) = %v, %v; want %v, %v", tc.ptr, got, found, tc.get, tc.found)
		}
		d := doc()
		if ok := Set(d, toks, "new"); ok != tc.set {
			t.Errorf("Set(%s) = %v, want %v", tc.ptr, ok, tc.set)
		} else if ok {
			if v, _ := Get(d, toks); v != "new" {
				t.Errorf("after Set(%s): %v", tc.ptr, v)
			}
		}
		if ok := Remove(doc(), toks); ok != tc.removed {
			t.Errorf("Remove(%s) = %v, want %v", tc.ptr, ok, tc.removed)
		}
	}
}
