package chartset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// schemaNode is one node of a generated structural openAPIV3Schema: every
// node has a type (or is an int-or-string), objects list their properties,
// arrays their items, maps their value schema.
type schemaNode struct {
	typ      string // object, array, map, string, integer, boolean, intOrString
	desc     string
	enum     []string
	props    []schemaField
	required []string
	items    *schemaNode
}

// schemaField is a named property of an object node.
type schemaField struct {
	name string
	node *schemaNode
}

// render writes n as YAML at indent (the node's keys start there).
func (n *schemaNode) render(b *strings.Builder, indent int) {
	pad := strings.Repeat(" ", indent)
	if n.desc != "" {
		fmt.Fprintf(b, "%sdescription: %s\n", pad, yamlText(n.desc))
	}
	switch n.typ {
	case "intOrString":
		fmt.Fprintf(b, "%sanyOf:\n%s- type: integer\n%s- type: string\n%sx-kubernetes-int-or-string: true\n", pad, pad, pad, pad)
	case "map":
		fmt.Fprintf(b, "%sadditionalProperties:\n%s  type: string\n%stype: object\n", pad, pad, pad)
	case "array":
		fmt.Fprintf(b, "%sitems:\n", pad)
		n.items.render(b, indent+2)
		fmt.Fprintf(b, "%stype: array\n", pad)
	case "object":
		fmt.Fprintf(b, "%sproperties:\n", pad)
		for _, f := range n.props {
			fmt.Fprintf(b, "%s  %s:\n", pad, f.name)
			f.node.render(b, indent+4)
		}
		if len(n.required) > 0 {
			fmt.Fprintf(b, "%srequired:\n", pad)
			for _, r := range n.required {
				fmt.Fprintf(b, "%s- %s\n", pad, r)
			}
		}
		fmt.Fprintf(b, "%stype: object\n", pad)
	default:
		if len(n.enum) > 0 {
			fmt.Fprintf(b, "%senum:\n", pad)
			for _, e := range n.enum {
				fmt.Fprintf(b, "%s- %s\n", pad, e)
			}
		}
		if n.typ == "integer" {
			fmt.Fprintf(b, "%sformat: int32\n", pad)
		}
		fmt.Fprintf(b, "%stype: %s\n", pad, n.typ)
	}
}

// yamlText is s as a YAML scalar: single-quoted when it holds ": ", as
// controller-gen writes such descriptions.
func yamlText(s string) string {
	if !strings.Contains(s, ": ") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// size is the rendered length of n at indent.
func (n *schemaNode) size(indent int) int {
	var b strings.Builder
	n.render(&b, indent)
	return b.Len()
}

// schemaGen grows schema trees from a seeded generator: the same seed
// gives the same tree. Like controller-gen's output for the
// prometheus-operator's types, a CRD reuses a few shared types (a
// container, TLS settings, a secret key reference) at several places, so
// its text repeats and compresses as the real one does.
type schemaGen struct {
	rnd        *rand.Rand
	shared     []*schemaNode
	sharedSize []int
}

func newSchemaGen(seed string) *schemaGen {
	var h uint64 = 14695981039346656037
	for _, c := range []byte(seed) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	g := &schemaGen{rnd: rand.New(rand.NewPCG(h, 0x9e3779b97f4a7c15))}
	for range 4 {
		n := g.object(3, 2500+g.rnd.IntN(6000))
		g.shared = append(g.shared, n)
		g.sharedSize = append(g.sharedSize, n.size(0))
	}
	return g
}

// object returns an object node of about budget rendered bytes whose
// children nest at most depth more levels.
func (g *schemaGen) object(depth, budget int) *schemaNode {
	n := &schemaNode{typ: "object", desc: g.sentence()}
	used := map[string]bool{}
	spent := 0
	for spent < budget {
		name := g.fieldName(used)
		child := g.child(depth, min(budget-spent, 400+g.rnd.IntN(4000)))
		n.props = append(n.props, schemaField{name: name, node: child})
		spent += child.size(0) + len(name) + 2
		if g.rnd.IntN(6) == 0 {
			n.required = append(n.required, name)
		}
	}
	return n
}

// child returns a property node of about budget bytes.
func (g *schemaGen) child(depth, budget int) *schemaNode {
	switch k := g.rnd.IntN(12); {
	case depth > 0 && budget > 1500 && k < 3:
		return g.object(depth-1, budget)
	case depth > 0 && budget > 1500 && k < 5:
		return &schemaNode{typ: "array", desc: g.sentence(), items: g.object(depth-1, budget)}
	case k < 6 && len(g.shared) > 0:
		if i := g.rnd.IntN(len(g.shared)); g.sharedSize[i] <= budget {
			return g.shared[i]
		}
		return &schemaNode{typ: "string", desc: g.sentence()}
	case k < 7:
		return &schemaNode{typ: "map", desc: g.sentence()}
	case k < 8:
		return &schemaNode{typ: "intOrString", desc: g.sentence()}
	case k < 9:
		return &schemaNode{typ: "integer", desc: g.sentence()}
	case k < 10:
		return &schemaNode{typ: "boolean", desc: g.sentence()}
	case k < 11:
		return &schemaNode{typ: "string", desc: g.sentence(), enum: g.enum()}
	default:
		return &schemaNode{typ: "string", desc: g.sentence()}
	}
}

// fieldName is a camelCase name of two words, not yet used in the object.
// Two words never equal the one-word fields the bench's custom resources
// set (selector, endpoints, groups).
func (g *schemaGen) fieldName(used map[string]bool) string {
	for i := 0; ; i++ {
		a, b := schemaWords[g.rnd.IntN(len(schemaWords))], schemaWords[g.rnd.IntN(len(schemaWords))]
		name := a + strings.ToUpper(b[:1]) + b[1:]
		if i > 20 {
			name = fmt.Sprintf("%s%d", name, i)
		}
		if !used[name] {
			used[name] = true
			return name
		}
	}
}

// sentence is a description of 8 to 40 words, sometimes with the API
// conventions link the real CRDs carry on many fields.
func (g *schemaGen) sentence() string {
	n := 8 + g.rnd.IntN(33)
	words := make([]string, n)
	for i := range words {
		words[i] = schemaWords[g.rnd.IntN(len(schemaWords))]
	}
	s := strings.ToUpper(words[0][:1]) + words[0][1:] + " " + strings.Join(words[1:], " ") + "."
	if g.rnd.IntN(5) == 0 {
		s += " More info: https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"
	}
	return s
}

func (g *schemaGen) enum() []string {
	if g.rnd.IntN(3) != 0 {
		return nil
	}
	return []string{"Always", "IfNotPresent", "Never"}[:1+g.rnd.IntN(3)]
}

// schemaWords are the words of generated field names and descriptions.
var schemaWords = strings.Fields(`
	access address affinity alert alertmanager annotation api authorization
	basic bearer bucket cache certificate client cluster config container
	credentials data default duration enable endpoint environment evaluation
	external file filter format header honor host image include interval
	job key label limit listen local match matcher metric mode name namespace
	node object operator path peer period pod policy port priority probe
	prometheus protocol proxy query queue reference relabel remote replica
	request resource retention role route rule sample scheme scrape secret
	security selector server service shard size source spec storage target
	template tenant thanos timeout tls token topology type value version
	volume wal web weight write
`)
