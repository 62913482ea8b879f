// Package poseidon is circomlib's Poseidon hash (poseidon.circom, the optimised form with the
// C, S, M, P constants) for 16 inputs (t = 17), as a gnark gadget and natively.
//
// Written here rather than imported because no circomlib-compatible gadget is available from the
// Go module proxy (vocdoni's gnark-crypto-primitives is not served). The round structure follows
// circomlib's PoseidonEx line by line; the constants are generated from circomlib's own file
// (gen_poseidon_constants.py), and the tests check both forms against go-iden3-crypto (the
// native hash circomlibjs agrees with) and the Python tests against circom's witness.
package poseidon

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
)

// Inputs is the number of inputs this package hashes (circomlib's Poseidon(16)).
const Inputs = 16

const (
	t        = Inputs + 1
	roundsF  = 8
	roundsP  = 68 // circomlib's N_ROUNDS_P[t - 2]
	sStride  = 2*t - 1
	halfFull = roundsF / 2
)

var c, s []fr.Element
var m, p [t][t]fr.Element

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

func init() {
	c, s = parse(constC), parse(constS)
	mm, pp := parse(constM), parse(constP)
	if len(c) != t*roundsF+roundsP || len(s) != roundsP*sStride || len(mm) != t*t || len(pp) != t*t {
		panic("poseidon: constants do not match t = 17")
	}
	for i := 0; i < t; i++ {
		for j := 0; j < t; j++ {
			m[i][j], p[i][j] = mm[i*t+j], pp[i*t+j]
		}
	}
}

// Hash computes circomlib's Poseidon(16)(inputs) natively.
func Hash(inputs [Inputs]fr.Element) fr.Element {
	var state [t]fr.Element
	copy(state[1:], inputs[:])
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
	mix := func(mat *[t][t]fr.Element) {
		var out [t]fr.Element
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
		mix(&m)
	}
	for j := range state {
		sigma(&state[j])
	}
	ark(halfFull * t)
	mix(&p)
	for r := 0; r < roundsP; r++ {
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
		ark((halfFull+1)*t + roundsP + r*t)
		mix(&m)
	}
	for j := range state {
		sigma(&state[j])
	}
	var out, tmp fr.Element
	for j := 0; j < t; j++ {
		tmp.Mul(&m[j][0], &state[j])
		out.Add(&out, &tmp)
	}
	return out
}

// Circuit computes circomlib's Poseidon(16)(inputs) in a gnark circuit: 3 constraints per S-box
// (x^2, x^4, x^5), 8*17 + 68 S-boxes, the linear layers are free.
func Circuit(api frontend.API, inputs [Inputs]frontend.Variable) frontend.Variable {
	var state [t]frontend.Variable
	state[0] = 0
	copy(state[1:], inputs[:])
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
	mix := func(mat *[t][t]fr.Element) {
		var out [t]frontend.Variable
		for i := 0; i < t; i++ {
			terms := make([]frontend.Variable, t)
			for j := 0; j < t; j++ {
				terms[j] = api.Mul(mat[j][i].BigInt(new(big.Int)), state[j])
			}
			out[i] = api.Add(terms[0], terms[1], terms[2:]...)
		}
		state = out
	}
	ark(0)
	for r := 0; r < halfFull-1; r++ {
		for j := range state {
			state[j] = sigma(state[j])
		}
		ark((r + 1) * t)
		mix(&m)
	}
	for j := range state {
		state[j] = sigma(state[j])
	}
	ark(halfFull * t)
	mix(&p)
	for r := 0; r < roundsP; r++ {
		state[0] = api.Add(sigma(state[0]), c[(halfFull+1)*t+r].BigInt(new(big.Int)))
		terms := make([]frontend.Variable, t)
		for j := 0; j < t; j++ {
			terms[j] = api.Mul(s[sStride*r+j].BigInt(new(big.Int)), state[j])
		}
		s0 := api.Add(terms[0], terms[1], terms[2:]...)
		for j := 1; j < t; j++ {
			state[j] = api.Add(state[j], api.Mul(state[0], s[sStride*r+t+j-1].BigInt(new(big.Int))))
		}
		state[0] = s0
	}
	for r := 0; r < halfFull-1; r++ {
		for j := range state {
			state[j] = sigma(state[j])
		}
		ark((halfFull+1)*t + roundsP + r*t)
		mix(&m)
	}
	for j := range state {
		state[j] = sigma(state[j])
	}
	terms := make([]frontend.Variable, t)
	for j := 0; j < t; j++ {
		terms[j] = api.Mul(m[j][0].BigInt(new(big.Int)), state[j])
	}
	return api.Add(terms[0], terms[1], terms[2:]...)
}
