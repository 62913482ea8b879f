package circuit

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
)

func bigs(xs ...int64) []*big.Int {
	out := make([]*big.Int, len(xs))
	for i, x := range xs {
		out[i] = big.NewInt(x)
	}
	return out
}

func fill(n int, first ...int64) []*big.Int {
	out := bigs(first...)
	for len(out) < n {
		out = append(out, big.NewInt(0))
	}
	return out
}

// sampleV2 is a conserving draft: every input spends 1000 of token 1, output 0 pays 900 of it,
// output 1 mints 5 of token 2 (the contract's own).
func sampleV2(c Capacities) *DraftV2 {
	inAmount, inToken := make([]*big.Int, c.NIn), make([]*big.Int, c.NIn)
	for i := range inAmount {
		inAmount[i], inToken[i] = big.NewInt(1000), big.NewInt(1)
	}
	d, err := AssignV2(c, big.NewInt(11), big.NewInt(12), big.NewInt(99), big.NewInt(5),
		inAmount, fill(c.NOut, 900, 5), inToken, fill(c.NOut, 1, 2), fill(c.NOut, 0, 1))
	if err != nil {
		panic(err)
	}
	return d
}

func TestV2RulesAreEnforced(t *testing.T) {
	caps := Circuits["ispc.draft.v2.small"]
	if err := test.IsSolved(NewV2(caps), sampleV2(caps), ecc.BN254.ScalarField()); err != nil {
		t.Fatal(err)
	}
	bad := []func(d *DraftV2){
		func(d *DraftV2) { d.OutAmount[0] = big.NewInt(2001) },                                   // more out than in
		func(d *DraftV2) { d.Mint[1] = big.NewInt(0) },                                           // a mint not allowed
		func(d *DraftV2) { d.OutAmount[1] = new(big.Int).Lsh(big.NewInt(1), 64) },                // out of range
		func(d *DraftV2) { d.InAmount[0] = new(big.Int).Lsh(big.NewInt(1), 64) },                 // out of range
		func(d *DraftV2) { d.InSelect[0][0], d.InSelect[0][1] = big.NewInt(1), big.NewInt(1) },   // two tokens at once
		func(d *DraftV2) { d.Mint[0] = big.NewInt(2) },                                           // not a bit
		func(d *DraftV2) { d.InSelect[1][0] = big.NewInt(2) },                                    // not a bit
		func(d *DraftV2) { d.OutSelect[1][0], d.OutSelect[1][1] = big.NewInt(0), big.NewInt(0) }, // 5 gold of no token
		func(d *DraftV2) { d.Commitment = big.NewInt(1) },
	}
	for i, mutate := range bad {
		d := sampleV2(caps)
		mutate(d)
		if i < len(bad)-1 {
			c, err := CommitmentV2(d)
			if err != nil {
				t.Fatal(err)
			}
			d.Commitment = c // an honest commitment to the bad witness
		}
		if test.IsSolved(NewV2(caps), d, ecc.BN254.ScalarField()) == nil {
			t.Fatalf("case %d: a witness breaking the rules was accepted", i)
		}
	}
}

func TestV2OutOfRangeIndexRefused(t *testing.T) {
	caps := Circuits["ispc.draft.v2.small"]
	// output 0 can only name token 1; token 3 does not exist with two outputs
	for _, outToken := range [][]*big.Int{bigs(2, 1), bigs(1, 3)} {
		if _, err := AssignV2(caps, big.NewInt(1), big.NewInt(1), big.NewInt(1), big.NewInt(1),
			bigs(1, 1), bigs(1, 1), bigs(1, 1), outToken, bigs(0, 0)); err == nil {
			t.Fatalf("index %v accepted", outToken)
		}
	}
}

func TestV2ConstraintCounts(t *testing.T) {
	for id, caps := range Circuits {
		if caps.Version != 2 {
			continue
		}
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewV2(caps))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d constraints", id, ccs.GetNbConstraints())
	}
}

func BenchmarkProveV2(b *testing.B) {
	caps := Circuits["ispc.draft.v2"]
	benchmarkProve(b, NewV2(caps), sampleV2(caps))
}
