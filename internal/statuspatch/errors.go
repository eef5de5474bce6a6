package statuspatch

import "errors"

// errNotObject is returned if an object's deep copy is not a client.Object.
var errNotObject = errors.New("statuspatch: deep copy is not a client.Object")
