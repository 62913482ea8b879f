package poseidon

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
	iden3 "github.com/iden3/go-iden3-crypto/poseidon"
)

// widths are the input counts whose constants are generated (gen_poseidon_constants.py).
var widths = []int{5, 9, 16}

func randomInputs(t *testing.T, n int, seed int64) []fr.Element {
	in := make([]fr.Element, n)
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
	for _, n := range widths {
		for seed := int64(0); seed < 20; seed++ {
			in := randomInputs(t, n, seed)
			bigs := make([]*big.Int, n)
			for i := range in {
				bigs[i] = in[i].BigInt(new(big.Int))
			}
			want, err := iden3.Hash(bigs)
			if err != nil {
				t.Fatal(err)
			}
			got := Hash(in)
			if got.BigInt(new(big.Int)).Cmp(want) != 0 {
				t.Fatalf("n %d seed %d: got %s, iden3 %s", n, seed, got.String(), want.String())
			}
		}
	}
}

// Known answers for poseidon([1..n]): n = 16 is circomlib's published test vector (circomlibjs);
// n = 5 and n = 9 are circom's witness of circomlib's Poseidon(n) (circom2, circomlib 2.0.5).
func TestKnownAnswer(t *testing.T) {
	for n, want := range map[int]string{
		5:  "6183221330272524995739186171720101788151706631170188140075976616310159254464",
		9:  "13589767895268936107593642967621470491511464502761040466226072462545218539640",
		16: "9989051620750914585850546081941653841776809718687451684622678807385399211877",
	} {
		got := Hash(randomInputs(t, n, 0))
		if got.String() != want {
			t.Fatalf("poseidon(1..%d) = %s, circomlibjs %s", n, got.String(), want)
		}
	}
}

func TestMissingWidthPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a width without constants hashed")
		}
	}()
	Hash(make([]fr.Element, 7))
}

type hashCircuit struct {
	In  []frontend.Variable
	Out frontend.Variable `gnark:",public"`
}

func (h *hashCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(Circuit(api, h.In), h.Out)
	return nil
}

func TestGadgetMatchesNative(t *testing.T) {
	for _, n := range widths {
		for seed := int64(0); seed < 3; seed++ {
			t.Run(fmt.Sprintf("n%d/seed%d", n, seed), func(t *testing.T) {
				in := randomInputs(t, n, seed)
				w := hashCircuit{In: make([]frontend.Variable, n)}
				for i := range in {
					w.In[i] = in[i].BigInt(new(big.Int))
				}
				out := Hash(in)
				w.Out = out.BigInt(new(big.Int))
				blank := &hashCircuit{In: make([]frontend.Variable, n)}
				if err := test.IsSolved(blank, &w, ecc.BN254.ScalarField()); err != nil {
					t.Fatal(err)
				}
				w.Out = new(big.Int).Add(out.BigInt(new(big.Int)), big.NewInt(1))
				if test.IsSolved(blank, &w, ecc.BN254.ScalarField()) == nil {
					t.Fatal("a wrong hash was accepted")
				}
			})
		}
	}
}
