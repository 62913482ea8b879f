// Package poseidon is circomlib's Poseidon hash (poseidon.circom, the optimised form with the
// C, S, M, P constants) for the widths whose constants are generated here (constants_t*.go), as
// a gnark gadget and natively: Poseidon(n) hashes n inputs with a permutation of width t = n + 1.
//
// Written here rather than imported because no circomlib-compatible gadget is available from the
// Go module proxy (vocdoni's gnark-crypto-primitives is not served). The round structure follows
// circomlib's PoseidonEx line by line; the constants are generated from circomlib's own file
// (gen_poseidon_constants.py), and the tests check both forms against go-iden3-crypto (the
// native hash circomlibjs agrees with) and the Python tests against circom's witness.
package poseidon

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
)

const (
	roundsF  = 8
	halfFull = roundsF / 2
)

// roundsP is circomlib's N_ROUNDS_P, indexed by t - 2.
var roundsP = [16]int{56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68}

// constants is one width's table as generated (hex strings, circomlib's order).
type constants struct{ c, s, m, p []string }

// width is one width's parsed constants.
type width struct {
	t, roundsP int
	c, s       []fr.Element
	m, p       [][]fr.Element // m[i][j]: row i, column j, as in circomlib's M[i][j]
}

var (
	raw    = map[int]constants{}
	mu     sync.Mutex
	parsed = map[int]*width{}
)

func register(t int, k constants) { raw[t] = k }

func parse(values []string) []fr.Element {
	out := make([]fr.Element, len(values))
	for i, v := range values {
		b, ok := new(big.Int).SetString(v[2:], 16)
		if !ok {
			panic("poseidon: bad constant " + v)
		}
		out[i].SetBigInt(b)
	}
	return out
}

// forInputs is the width for n inputs; it panics if its constants were not generated (a
// programming error: the circuits use fixed widths).
func forInputs(n int) *width {
	t := n + 1
	mu.Lock()
	defer mu.Unlock()
	if w, ok := parsed[t]; ok {
		return w
	}
	k, ok := raw[t]
	if !ok {
		panic(fmt.Sprintf("poseidon: no constants for t = %d (add it to gen_poseidon_constants.py)", t))
	}
	w := &width{t: t, roundsP: roundsP[t-2], c: parse(k.c), s: parse(k.s)}
	mm, pp := parse(k.m), parse(k.p)
	if len(w.c) != t*roundsF+w.roundsP || len(w.s) != w.roundsP*(2*t-1) || len(mm) != t*t || len(pp) != t*t {
		panic(fmt.Sprintf("poseidon: constants do not match t = %d", t))
	}
	w.m, w.p = make([][]fr.Element, t), make([][]fr.Element, t)
	for i := 0; i < t; i++ {
		w.m[i], w.p[i] = mm[i*t:(i+1)*t], pp[i*t:(i+1)*t]
	}
	parsed[t] = w
	return w
}

// Hash computes circomlib's Poseidon(len(inputs))(inputs) natively.
func Hash(inputs []fr.Element) fr.Element {
	w := forInputs(len(inputs))
	t, c, s, sStride := w.t, w.c, w.s, 2*w.t-1
	state := make([]fr.Element, t)
	copy(state[1:], inputs)
	ark := func(r int) {
		for j := range state {
			state[j].Add(&state[j], &c[r+j])
		}
	}
	sigma := func(x *fr.Element) {
		var x2, x4 fr.Element
		x2.Square(x)
		x4.Square(&x2)
		x.Mul(&x4, x)
	}
	mix := func(mat [][]fr.Element) {
		out := make([]fr.Element, t)
		var tmp fr.Element
		for i := 0; i < t; i++ {
			for j := 0; j < t; j++ {
				tmp.Mul(&mat[j][i], &state[j])
				out[i].Add(&out[i], &tmp)
			}
		}
		state = out
	}
	ark(0)
	for r := 0; r < halfFull-1; r++ {
		for j := range state {
			sigma(&state[j])
		}
		ark((r + 1) * t)
		mix(w.m)
	}
	for j := range state {
		sigma(&state[j])
	}
	ark(halfFull * t)
	mix(w.p)
	for r := 0; r < w.roundsP; r++ {
		sigma(&state[0])
		state[0].Add(&state[0], &c[(halfFull+1)*t+r])
		var s0, tmp fr.Element
		for j := 0; j < t; j++ {
			tmp.Mul(&s[sStride*r+j], &state[j])
			s0.Add(&s0, &tmp)
		}
		for j := 1; j < t; j++ {
			tmp.Mul(&state[0], &s[sStride*r+t+j-1])
			state[j].Add(&state[j], &tmp)
		}
		state[0] = s0
	}
	for r := 0; r < halfFull-1; r++ {
		for j := range state {
			sigma(&state[j])
		}
		ark((halfFull+1)*t + w.roundsP + r*t)
		mix(w.m)
	}
	for j := range state {
		sigma(&state[j])
	}
	var out, tmp fr.Element
	for j := 0; j < t; j++ {
		tmp.Mul(&w.m[j][0], &state[j])
		out.Add(&out, &tmp)
	}
	return out
}

// Circuit computes circomlib's Poseidon(len(inputs))(inputs) in a gnark circuit: 3 constraints
// per S-box (x^2, x^4, x^5), 8*t + N_ROUNDS_P[t - 2] S-boxes, the linear layers are free.
func Circuit(api frontend.API, inputs []frontend.Variable) frontend.Variable {
	w := forInputs(len(inputs))
	t, c, s, sStride := w.t, w.c, w.s, 2*w.t-1
	state := make([]frontend.Variable, t)
	state[0] = 0
	copy(state[1:], inputs)
	ark := func(r int) {
		for j := range state {
			state[j] = api.Add(state[j], c[r+j].BigInt(new(big.Int)))
		}
	}
	sigma := func(x frontend.Variable) frontend.Variable {
		x2 := api.Mul(x, x)
		x4 := api.Mul(x2, x2)
		return api.Mul(x4, x)
	}
	// linear is sum_j coeff(j) * vs[j], one linear expression.
	linear := func(vs []frontend.Variable, coeff func(j int) *fr.Element) frontend.Variable {
		terms := make([]frontend.Variable, len(vs))
		for j := range vs {
			terms[j] = api.Mul(coeff(j).BigInt(new(big.Int)), vs[j])
		}
		return api.Add(terms[0], terms[1], terms[2:]...)
	}
	mix := func(mat [][]fr.Element) {
		out := make([]frontend.Variable, t)
		for i := 0; i < t; i++ {
			out[i] = linear(state, func(j int) *fr.Element { return &mat[j][i] })
		}
		state = out
	}
	ark(0)
	for r := 0; r < halfFull-1; r++ {
		for j := range state {
			state[j] = sigma(state[j])
		}
		ark((r + 1) * t)
		mix(w.m)
	}
	for j := range state {
		state[j] = sigma(state[j])
	}
	ark(halfFull * t)
	mix(w.p)
	for r := 0; r < w.roundsP; r++ {
		state[0] = api.Add(sigma(state[0]), c[(halfFull+1)*t+r].BigInt(new(big.Int)))
		s0 := linear(state, func(j int) *fr.Element { return &s[sStride*r+j] })
		for j := 1; j < t; j++ {
			state[j] = api.Add(state[j], api.Mul(state[0], s[sStride*r+t+j-1].BigInt(new(big.Int))))
		}
		state[0] = s0
	}
	for r := 0; r < halfFull-1; r++ {
		for j := range state {
			state[j] = sigma(state[j])
		}
		ark((halfFull+1)*t + w.roundsP + r*t)
		mix(w.m)
	}
	for j := range state {
		state[j] = sigma(state[j])
	}
	return linear(state, func(j int) *fr.Element { return &w.m[j][0] })
}
