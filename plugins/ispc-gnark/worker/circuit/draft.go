// Package circuit is ispc.draft.v1 in gnark: the statement of docs/statement-ispc-draft-v1.md,
// constraint for constraint the circom template DraftV1 of ispc-groth16, with the same public
// inputs in the same order: [commitment, result_hi, result_lo, contract].
//
// Range checks are bit decompositions (api.ToBinary), never gnark's std/rangecheck, which uses
// the Groth16 commitment extension: proofs stay plain BN254 Groth16 that snarkjs verifies.
package circuit

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/ispc/ispc-gnark-worker/poseidon"
)

// Capacities of one circuit id (the circom circuits.py instantiates the same ones).
type Capacities struct {
	Version int
	NIn     int
	NOut    int
}

// Circuits are the circuit ids this worker proves.
var Circuits = map[string]Capacities{
	"ispc.draft.v1":       {Version: 1, NIn: 8, NOut: 8},
	"ispc.draft.v1.small": {Version: 1, NIn: 2, NOut: 2},
	"ispc.draft.v2":       {Version: 2, NIn: 8, NOut: 8},
	"ispc.draft.v2.small": {Version: 2, NIn: 2, NOut: 2},
}

const (
	v1Inputs    = 16           // v1's sponge is circomlib's Poseidon(16) (t = 17)
	rate        = v1Inputs - 1 // Commit absorbs 15 elements per Poseidon(16) call
	amountBits  = 64
	sumBits     = 70 // sums of at most 2 * 16 amounts below 2^64 stay below 2^70
	encodingTag = 1
)

// DraftV1 holds the signals; the public ones come first, in circom's order.
type DraftV1 struct {
	Commitment frontend.Variable `gnark:",public"`
	ResultHi   frontend.Variable `gnark:",public"`
	ResultLo   frontend.Variable `gnark:",public"`
	Contract   frontend.Variable `gnark:",public"`

	DraftDigest frontend.Variable
	InOutpoint  []frontend.Variable
	InToken     []frontend.Variable
	InAmount    []frontend.Variable
	OutOwner    []frontend.Variable
	OutToken    []frontend.Variable
	OutIssuer   []frontend.Variable
	OutAmount   []frontend.Variable
}

// New is an unassigned circuit of the given capacities (for compiling).
func New(c Capacities) *DraftV1 {
	return &DraftV1{
		InOutpoint: make([]frontend.Variable, c.NIn), InToken: make([]frontend.Variable, c.NIn),
		InAmount: make([]frontend.Variable, c.NIn), OutOwner: make([]frontend.Variable, c.NOut),
		OutToken: make([]frontend.Variable, c.NOut), OutIssuer: make([]frontend.Variable, c.NOut),
		OutAmount: make([]frontend.Variable, c.NOut),
	}
}

// commitElements is the sequence circom's Commit(N) absorbs.
func commitElements[T any](d *DraftV1, conv func(frontend.Variable) T, constant func(int64) T) []T {
	nIn, nOut := len(d.InAmount), len(d.OutAmount)
	out := []T{constant(encodingTag), conv(d.Contract), conv(d.DraftDigest), constant(int64(nIn*256 + nOut))}
	for i := 0; i < nIn; i++ {
		out = append(out, conv(d.InOutpoint[i]), conv(d.InToken[i]), conv(d.InAmount[i]))
	}
	for j := 0; j < nOut; j++ {
		out = append(out, conv(d.OutOwner[j]), conv(d.OutToken[j]), conv(d.OutIssuer[j]), conv(d.OutAmount[j]))
	}
	return out
}

// Define writes the constraints (numbered as in the statement).
func (d *DraftV1) Define(api frontend.API) error {
	nIn, nOut := len(d.InAmount), len(d.OutAmount)

	// 1. The commitment is the Poseidon sponge of the encoding, recomputed from the witness.
	elems := commitElements(d, func(v frontend.Variable) frontend.Variable { return v },
		func(k int64) frontend.Variable { return k })
	var state frontend.Variable = 0
	for start := 0; start < len(elems); start += rate {
		var block [v1Inputs]frontend.Variable
		block[0] = state
		for k := 0; k < rate; k++ {
			if start+k < len(elems) {
				block[k+1] = elems[start+k]
			} else {
				block[k+1] = 0
			}
		}
		state = poseidon.Circuit(api, block[:])
	}
	api.AssertIsEqual(d.Commitment, state)

	// 2. Every amount is in [0, 2^64): a 64-bit decomposition with boolean bits.
	for i := 0; i < nIn; i++ {
		api.ToBinary(d.InAmount[i], amountBits)
	}
	for j := 0; j < nOut; j++ {
		api.ToBinary(d.OutAmount[j], amountBits)
	}

	// 3. Per token of every output: total out <= total in, unless the contract issued it.
	for j := 0; j < nOut; j++ {
		inSum := frontend.Variable(0)
		for i := 0; i < nIn; i++ {
			inSum = api.Add(inSum, api.Mul(api.IsZero(api.Sub(d.OutToken[j], d.InToken[i])), d.InAmount[i]))
		}
		outSum := frontend.Variable(0)
		for k := 0; k < nOut; k++ {
			outSum = api.Add(outSum, api.Mul(api.IsZero(api.Sub(d.OutToken[j], d.OutToken[k])), d.OutAmount[k]))
		}
		// circomlib's LessEqThan(70): bit 70 of out_sum + 2^70 - (in_sum + 1) is 0 iff out > in.
		shifted := api.Sub(api.Add(outSum, new(big.Int).Lsh(big.NewInt(1), sumBits)), api.Add(inSum, 1))
		bits := api.ToBinary(shifted, sumBits+1)
		within := api.Sub(1, bits[sumBits])
		mintable := api.IsZero(api.Sub(d.OutIssuer[j], d.Contract))
		api.AssertIsEqual(api.Mul(api.Sub(1, within), api.Sub(1, mintable)), 0)
	}

	// The result-hash limbs enter a constraint of their own, as in the circom circuit: a public
	// input outside every constraint would not be bound by the proof.
	api.Mul(d.ResultHi, d.ResultLo)
	return nil
}

// Commitment computes the public commitment natively from assigned field elements.
func Commitment(d *DraftV1) (*big.Int, error) {
	var bad error
	conv := func(v frontend.Variable) fr.Element {
		var e fr.Element
		b, ok := v.(*big.Int)
		if !ok {
			bad = fmt.Errorf("unassigned signal")
			return e
		}
		e.SetBigInt(b)
		return e
	}
	elems := commitElements(d, conv, func(k int64) fr.Element {
		var e fr.Element
		e.SetInt64(k)
		return e
	})
	if bad != nil {
		return nil, bad
	}
	var state fr.Element
	for start := 0; start < len(elems); start += rate {
		var block [v1Inputs]fr.Element
		block[0] = state
		for k := 0; k < rate && start+k < len(elems); k++ {
			block[k+1] = elems[start+k]
		}
		state = poseidon.Hash(block[:])
	}
	return state.BigInt(new(big.Int)), nil
}

// Empty is an unassigned circuit of c's statement version (for compiling).
func Empty(c Capacities) frontend.Circuit {
	if c.Version == 2 {
		return NewV2(c)
	}
	return New(c)
}

// WithPublic is a circuit of c's statement version with only the public inputs assigned, in
// order [commitment, result_hi, result_lo, contract] (for a public witness).
func WithPublic(c Capacities, v [4]*big.Int) frontend.Circuit {
	if c.Version == 2 {
		d := NewV2(c)
		d.Commitment, d.ResultHi, d.ResultLo, d.Contract = v[0], v[1], v[2], v[3]
		return d
	}
	d := New(c)
	d.Commitment, d.ResultHi, d.ResultLo, d.Contract = v[0], v[1], v[2], v[3]
	return d
}
