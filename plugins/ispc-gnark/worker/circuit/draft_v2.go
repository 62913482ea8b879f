// ispc.draft.v2 in gnark: the statement of docs/statement-ispc-draft-v2.md, constraint for
// constraint the circom template DraftV2 of ispc-groth16, with the public inputs of v1 in the
// same order: [commitment, result_hi, result_lo, contract].
//
// Smaller than v1 for the same rules: the commitment is ONE Poseidon(n) permutation over the n
// values the rules use (n = 9 at 8/8: t = 10, the narrowest width that holds them), packed (amounts are bit-decomposed for the range rule anyway), tokens are
// small canonical indices selected by one-hot bits (cheap in the prover's multi-exponentiations,
// unlike IsZero inverses), and conservation is checked once per output token.
package circuit

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/ispc/ispc-gnark-worker/poseidon"
)

const (
	v2Tag       = 2  // the statement version, in the low byte of the first element
	v2SlotBits  = 72 // a slot packs amount (64 bits) + 2^64 * token index (< 2^8)
	v2SlotsPerE = 3  // 3 * 72 = 216 bits < 253: one element holds three slots injectively
	v2MintShift = 24 // the mint mask starts above tag, NIN and NOUT (one byte each)
)

// DraftV2 holds the signals; the public ones come first, in circom's order. A token index is
// given by its one-hot bits: InSelect[i][t-1] = [in_token[i] == t] for t = 1..NOut (all zero:
// index 0, a token no output has), OutSelect[j][t-1] for t = 1..min(j+1, NOut) (outputs number
// their tokens in order of first appearance, so output j's index is at most j+1).
type DraftV2 struct {
	Commitment frontend.Variable `gnark:",public"`
	ResultHi   frontend.Variable `gnark:",public"`
	ResultLo   frontend.Variable `gnark:",public"`
	Contract   frontend.Variable `gnark:",public"`

	DraftDigest frontend.Variable
	InAmount    []frontend.Variable
	OutAmount   []frontend.Variable
	InSelect    [][]frontend.Variable
	OutSelect   [][]frontend.Variable
	Mint        []frontend.Variable // Mint[t-1]: the executing contract issued token t
}

// outChoices is how many token indices output slot j can take besides 0.
func outChoices(j, nOut int) int { return min(j+1, nOut) }

// sumBits bounds a token's input total: at most nIn amounts below 2^64.
func v2SumBits(nIn int) int { return amountBits + bits.Len(uint(nIn-1)) }

// NewV2 is an unassigned v2 circuit of the given capacities (for compiling).
func NewV2(c Capacities) *DraftV2 {
	d := &DraftV2{InAmount: make([]frontend.Variable, c.NIn), OutAmount: make([]frontend.Variable, c.NOut),
		InSelect: make([][]frontend.Variable, c.NIn), OutSelect: make([][]frontend.Variable, c.NOut),
		Mint: make([]frontend.Variable, c.NOut)}
	for i := range d.InSelect {
		d.InSelect[i] = make([]frontend.Variable, c.NOut)
	}
	for j := range d.OutSelect {
		d.OutSelect[j] = make([]frontend.Variable, outChoices(j, c.NOut))
	}
	return d
}

// v2Elements is the sequence the one permutation absorbs (its length is the width), built from the
// slots' token indices, so one function serves the gadget and the native form.
func v2Elements[T any](d *DraftV2, idxIn, idxOut []T, conv func(frontend.Variable) T,
	lin func(terms []T, weights []*big.Int) T) []T {
	nIn, nOut := len(d.InAmount), len(d.OutAmount)
	pow := func(k int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(k)) }
	// First element: tag | NIN << 8 | NOUT << 16 | mint mask << 24, the tag carried by a
	// weight-1 constant term.
	head := []T{}
	weights := []*big.Int{}
	for t := range d.Mint {
		head = append(head, conv(d.Mint[t]))
		weights = append(weights, pow(v2MintShift+t))
	}
	tag := big.NewInt(int64(v2Tag + nIn<<8 + nOut<<16))
	head = append(head, conv(tag))
	weights = append(weights, big.NewInt(1))
	out := []T{lin(head, weights), conv(d.Contract), conv(d.DraftDigest)}
	var slotTerms []T
	var slotWeights []*big.Int
	flush := func() {
		if len(slotTerms) > 0 {
			out = append(out, lin(slotTerms, slotWeights))
			slotTerms, slotWeights = nil, nil
		}
	}
	slot := 0
	add := func(amount frontend.Variable, index T) {
		shift := v2SlotBits * (slot % v2SlotsPerE)
		slotTerms = append(slotTerms, conv(amount), index)
		slotWeights = append(slotWeights, pow(shift), pow(shift+amountBits))
		slot++
		if slot%v2SlotsPerE == 0 {
			flush()
		}
	}
	for i := 0; i < nIn; i++ {
		add(d.InAmount[i], idxIn[i])
	}
	for j := 0; j < nOut; j++ {
		add(d.OutAmount[j], idxOut[j])
	}
	flush()
	return out
}

// Define writes the constraints (numbered as in the statement).
func (d *DraftV2) Define(api frontend.API) error {
	nIn, nOut := len(d.InAmount), len(d.OutAmount)
	if len(d.Mint) != nOut || nIn < 1 || nOut < 1 || nOut > 255 || nIn > 255 {
		return fmt.Errorf("capacities %d/%d out of range", nIn, nOut)
	}
	// 2. Every amount is in [0, 2^64): a 64-bit decomposition with boolean bits.
	for _, a := range append(append([]frontend.Variable{}, d.InAmount...), d.OutAmount...) {
		api.ToBinary(a, amountBits)
	}
	// Token indices: boolean one-hot bits, at most one set; the index is their weighted sum.
	index := func(sel []frontend.Variable) frontend.Variable {
		var sum, idx frontend.Variable = 0, 0
		for k, b := range sel {
			api.AssertIsBoolean(b)
			sum = api.Add(sum, b)
			idx = api.Add(idx, api.Mul(k+1, b))
		}
		if len(sel) > 1 {
			api.AssertIsBoolean(sum)
		}
		return idx
	}
	idxIn, idxOut := make([]frontend.Variable, nIn), make([]frontend.Variable, nOut)
	for i := range idxIn {
		idxIn[i] = index(d.InSelect[i])
	}
	for j := range idxOut {
		idxOut[j] = index(d.OutSelect[j])
	}
	for _, m := range d.Mint {
		api.AssertIsBoolean(m)
	}

	// 1. The commitment: one Poseidon(len(elems)) permutation over the packed elements.
	elems := v2Elements(d, idxIn, idxOut, func(v frontend.Variable) frontend.Variable { return v },
		func(terms []frontend.Variable, w []*big.Int) frontend.Variable {
			var acc frontend.Variable = 0
			for k := range terms {
				acc = api.Add(acc, api.Mul(terms[k], w[k]))
			}
			return acc
		})
	api.AssertIsEqual(d.Commitment, poseidon.Circuit(api, elems))

	// 3. Per output token t: total out <= total in, unless the executing contract issued it.
	counted := make([]frontend.Variable, nOut) // counted[j]: output j's amount, if it names a token
	for j := range counted {
		counted[j] = 0
	}
	for t := 1; t <= nOut; t++ {
		var inSum, outSum frontend.Variable = 0, 0
		for i := 0; i < nIn; i++ {
			inSum = api.Add(inSum, api.Mul(d.InSelect[i][t-1], d.InAmount[i]))
		}
		for j := t - 1; j < nOut; j++ { // output j can name token t only if t <= j+1
			part := api.Mul(d.OutSelect[j][t-1], d.OutAmount[j])
			outSum, counted[j] = api.Add(outSum, part), api.Add(counted[j], part)
		}
		slack := api.Mul(api.Sub(1, d.Mint[t-1]), api.Sub(inSum, outSum))
		api.ToBinary(slack, v2SumBits(nIn)) // a negative slack is a huge field element
	}
	// An output that names no token (an unused slot) carries no value: every amount that leaves
	// the draft is counted above (one linear constraint per output over the products).
	for j := range counted {
		api.AssertIsEqual(counted[j], d.OutAmount[j])
	}

	// 4. The result-hash limbs enter a constraint of their own (as in v1).
	api.Mul(d.ResultHi, d.ResultLo)
	return nil
}

// AssignV2 builds a v2 witness from token indices (the protocol's signals) and computes the
// public commitment natively. An index outside its slot's range is an error, not a witness.
func AssignV2(c Capacities, resultHi, resultLo, contract, digest *big.Int,
	inAmount, outAmount, inToken, outToken, mint []*big.Int) (*DraftV2, error) {
	d := NewV2(c)
	d.ResultHi, d.ResultLo, d.Contract, d.DraftDigest = resultHi, resultLo, contract, digest
	oneHot := func(sel []frontend.Variable, index *big.Int, what string) error {
		if !index.IsInt64() || index.Int64() < 0 || index.Int64() > int64(len(sel)) {
			return fmt.Errorf("%s is %s, outside [0, %d]", what, index, len(sel))
		}
		for k := range sel {
			sel[k] = big.NewInt(0)
			if int64(k+1) == index.Int64() {
				sel[k] = big.NewInt(1)
			}
		}
		return nil
	}
	for i := range d.InAmount {
		d.InAmount[i] = inAmount[i]
		if err := oneHot(d.InSelect[i], inToken[i], fmt.Sprintf("in_token[%d]", i)); err != nil {
			return nil, err
		}
	}
	for j := range d.OutAmount {
		d.OutAmount[j] = outAmount[j]
		if err := oneHot(d.OutSelect[j], outToken[j], fmt.Sprintf("out_token[%d]", j)); err != nil {
			return nil, err
		}
	}
	for t := range d.Mint {
		if mint[t].Cmp(big.NewInt(1)) > 0 {
			return nil, fmt.Errorf("mint[%d] is %s, not a bit", t, mint[t])
		}
		d.Mint[t] = mint[t]
	}
	commitment, err := CommitmentV2(d)
	if err != nil {
		return nil, err
	}
	d.Commitment = commitment
	return d, nil
}

// CommitmentV2 computes the public commitment natively from an assigned witness.
func CommitmentV2(d *DraftV2) (*big.Int, error) {
	var bad error
	conv := func(v frontend.Variable) fr.Element {
		var e fr.Element
		switch b := v.(type) {
		case *big.Int:
			e.SetBigInt(b)
		default:
			bad = fmt.Errorf("unassigned signal")
		}
		return e
	}
	lin := func(terms []fr.Element, w []*big.Int) fr.Element {
		var acc, wk fr.Element
		for k := range terms {
			wk.SetBigInt(w[k])
			wk.Mul(&wk, &terms[k])
			acc.Add(&acc, &wk)
		}
		return acc
	}
	indexOf := func(sel []frontend.Variable) fr.Element {
		var idx fr.Element
		for k, b := range sel {
			e := conv(b)
			var w fr.Element
			w.SetInt64(int64(k + 1))
			w.Mul(&w, &e)
			idx.Add(&idx, &w)
		}
		return idx
	}
	idxIn, idxOut := make([]fr.Element, len(d.InSelect)), make([]fr.Element, len(d.OutSelect))
	for i, sel := range d.InSelect {
		idxIn[i] = indexOf(sel)
	}
	for j, sel := range d.OutSelect {
		idxOut[j] = indexOf(sel)
	}
	elems := v2Elements(d, idxIn, idxOut, conv, lin)
	if bad != nil {
		return nil, bad
	}
	h := poseidon.Hash(elems)
	return h.BigInt(new(big.Int)), nil
}
