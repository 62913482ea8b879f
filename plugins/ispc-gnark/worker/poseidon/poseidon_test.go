package poseidon

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
	iden3 "github.com/iden3/go-iden3-crypto/poseidon"
)

func randomInputs(t *testing.T, seed int64) [Inputs]fr.Element {
	var in [Inputs]fr.Element
	for i := range in {
		if seed == 0 {
			in[i].SetUint64(uint64(i + 1))
		} else if _, err := in[i].SetRandom(); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func TestNativeMatchesIden3(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		in := randomInputs(t, seed)
		bigs := make([]*big.Int, Inputs)
		for i := range in {
			bigs[i] = in[i].BigInt(new(big.Int))
		}
		want, err := iden3.Hash(bigs)
		if err != nil {
			t.Fatal(err)
		}
		got := Hash(in)
		if got.BigInt(new(big.Int)).Cmp(want) != 0 {
			t.Fatalf("seed %d: got %s, iden3 %s", seed, got.String(), want.String())
		}
	}
}

// Known answer from circomlibjs (poseidon([1..16])), as published in circomlib's test vectors.
func TestKnownAnswer(t *testing.T) {
	got := Hash(randomInputs(t, 0))
	want, _ := new(big.Int).SetString(
		"9989051620750914585850546081941653841776809718687451684622678807385399211877", 10)
	if got.BigInt(new(big.Int)).Cmp(want) != 0 {
		t.Fatalf("poseidon(1..16) = %s", got.String())
	}
}

type hashCircuit struct {
	In  [Inputs]frontend.Variable
	Out frontend.Variable `gnark:",public"`
}

func (h *hashCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(Circuit(api, h.In), h.Out)
	return nil
}

func TestGadgetMatchesNative(t *testing.T) {
	for seed := int64(0); seed < 3; seed++ {
		in := randomInputs(t, seed)
		var w hashCircuit
		for i := range in {
			w.In[i] = in[i].BigInt(new(big.Int))
		}
		out := Hash(in)
		w.Out = out.BigInt(new(big.Int))
		if err := test.IsSolved(&hashCircuit{}, &w, ecc.BN254.ScalarField()); err != nil {
			t.Fatal(err)
		}
		w.Out = new(big.Int).Add(out.BigInt(new(big.Int)), big.NewInt(1))
		if test.IsSolved(&hashCircuit{}, &w, ecc.BN254.ScalarField()) == nil {
			t.Fatal("a wrong hash was accepted")
		}
	}
}
