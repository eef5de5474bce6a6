package merge

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
)

// The metered replacements of text/template's comparison and indexing
// builtins. They keep the builtins' semantics for the values a sandboxed env
// can hold (strings, numbers, booleans, nil and the data map) and charge the
// bytes they touch to the meter before touching them.

var errIncomparable = errors.New("incompatible types for comparison")

// kindClass groups reflect kinds the way text/template compares them.
type kindClass int

const (
	classInvalid kindClass = iota
	classBool
	classInt
	classUint
	classFloat
	classString
	classOther
)

func classOf(v reflect.Value) kindClass {
	switch v.Kind() {
	case reflect.Invalid:
		return classInvalid
	case reflect.Bool:
		return classBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return classInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return classUint
	case reflect.Float32, reflect.Float64:
		return classFloat
	case reflect.String:
		return classString
	default:
		return classOther
	}
}

// compare returns -1, 0 or 1, or an error when a and b cannot be ordered.
// ordered is false for eq/ne, which also accept booleans and nil.
func compare(a, b any, ordered bool) (int, error) {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	ca, cb := classOf(va), classOf(vb)
	switch {
	case ca == classInt && cb == classUint:
		if va.Int() < 0 {
			return -1, nil
		}
		return cmp.Compare(uint64(va.Int()), vb.Uint()), nil
	case ca == classUint && cb == classInt:
		if vb.Int() < 0 {
			return 1, nil
		}
		return cmp.Compare(va.Uint(), uint64(vb.Int())), nil
	case ca != cb:
		return 0, fmt.Errorf("%w: %T and %T", errIncomparable, a, b)
	}
	switch ca {
	case classInt:
		return cmp.Compare(va.Int(), vb.Int()), nil
	case classUint:
		return cmp.Compare(va.Uint(), vb.Uint()), nil
	case classFloat:
		return cmp.Compare(va.Float(), vb.Float()), nil
	case classString:
		return cmp.Compare(va.String(), vb.String()), nil
	}
	if ordered {
		return 0, fmt.Errorf("%w: %T cannot be ordered", errIncomparable, a)
	}
	switch ca {
	case classBool:
		if va.Bool() == vb.Bool() {
			return 0, nil
		}
		return 1, nil
	case classInvalid:
		return 0, nil
	}
	if !va.Type().Comparable() || va.Type() != vb.Type() {
		return 0, fmt.Errorf("%w: %T and %T", errIncomparable, a, b)
	}
	if va.Equal(vb) {
		return 0, nil
	}
	return 1, nil
}

// eq reports whether a equals any of bs, as text/template's eq does.
func (m *meter) eq(a any, bs ...any) (bool, error) {
	if len(bs) == 0 {
		return false, errors.New("eq: missing argument for comparison")
	}
	for _, b := range bs {
		if err := m.charge(sizeOf(a) + sizeOf(b)); err != nil {
			return false, err
		}
		c, err := compare(a, b, false)
		if err != nil {
			return false, fmt.Errorf("eq: %w", err)
		}
		if c == 0 {
			return true, nil
		}
	}
	return false, nil
}

func (m *meter) ne(a, b any) (bool, error) {
	eq, err := m.eq(a, b)
	return !eq, err
}

// ordered builds lt, le, gt and ge from the comparison result they accept.
func (m *meter) ordered(ok func(int) bool) func(a, b any) (bool, error) {
	return func(a, b any) (bool, error) {
		if err := m.charge(sizeOf(a) + sizeOf(b)); err != nil {
			return false, err
		}
		c, err := compare(a, b, true)
		if err != nil {
			return false, err
		}
		return ok(c), nil
	}
}

func (m *meter) length(v any) (int, error) {
	if err := m.charge(1); err != nil {
		return 0, err
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len(), nil
	}
	return 0, fmt.Errorf("len of type %T", v)
}

// toIndex converts a template number to an index.
func toIndex(v any) (int, error) {
	rv := reflect.ValueOf(v)
	switch classOf(rv) {
	case classInt:
		return int(rv.Int()), nil
	case classUint:
		if rv.Uint() > uint64(maxBound) {
			return 0, fmt.Errorf("index %d out of range", rv.Uint())
		}
		return int(rv.Uint()), nil
	}
	return 0, fmt.Errorf("cannot index with type %T", v)
}

// index returns item[keys[0]][keys[1]]..., as text/template's index does.
func (m *meter) index(item any, keys ...any) (any, error) {
	cur := reflect.ValueOf(item)
	for _, k := range keys {
		if err := m.charge(sizeOf(k) + 1); err != nil {
			return nil, err
		}
		for cur.Kind() == reflect.Interface && !cur.IsNil() {
			cur = cur.Elem()
		}
		switch cur.Kind() {
		case reflect.Array, reflect.Slice, reflect.String:
			i, err := toIndex(k)
			if err != nil {
				return nil, fmt.Errorf("index: %w", err)
			}
			if i < 0 || i >= cur.Len() {
				return nil, fmt.Errorf("index out of range: %d", i)
			}
			cur = cur.Index(i)
		case reflect.Map:
			kv := reflect.ValueOf(k)
			if !kv.IsValid() || !kv.Type().AssignableTo(cur.Type().Key()) {
				return nil, fmt.Errorf("index: value has type %T; should be %s", k, cur.Type().Key())
			}
			v := cur.MapIndex(kv)
			if !v.IsValid() {
				v = reflect.Zero(cur.Type().Elem())
			}
			cur = v
		case reflect.Invalid:
			return nil, errors.New("index of untyped nil")
		default:
			return nil, fmt.Errorf("can't index item of type %s", cur.Type())
		}
	}
	if !cur.IsValid() {
		return nil, nil
	}
	return cur.Interface(), nil
}

// slice returns item[i:j] or item[i:j:k] for strings and slices.
func (m *meter) slice(item any, idx ...any) (any, error) {
	if err := m.charge(sizeOf(item) + 1); err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(item)
	for rv.Kind() == reflect.Interface && !rv.IsNil() {
		rv = rv.Elem()
	}
	if len(idx) > 3 {
		return nil, fmt.Errorf("too many slice indexes: %d", len(idx))
	}
	var n int
	switch rv.Kind() {
	case reflect.String:
		if len(idx) == 3 {
			return nil, errors.New("cannot 3-index slice a string")
		}
		n = rv.Len()
	case reflect.Array, reflect.Slice:
		n = rv.Cap()
	default:
		return nil, fmt.Errorf("can't slice item of type %T", item)
	}
	ix := [3]int{0, rv.Len(), n}
	for i, v := range idx {
		x, err := toIndex(v)
		if err != nil {
			return nil, fmt.Errorf("slice: %w", err)
		}
		if x < 0 || x > n {
			return nil, fmt.Errorf("index out of range: %d", x)
		}
		ix[i] = x
	}
	if ix[0] > ix[1] || (len(idx) == 3 && ix[1] > ix[2]) {
		return nil, fmt.Errorf("invalid slice index: %d > %d", ix[0], ix[1])
	}
	if len(idx) == 3 {
		return rv.Slice3(ix[0], ix[1], ix[2]).Interface(), nil
	}
	return rv.Slice(ix[0], ix[1]).Interface(), nil
}
