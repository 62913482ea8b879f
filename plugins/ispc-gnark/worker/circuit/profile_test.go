package circuit

import (
	"os"
	"runtime/pprof"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// TestProfileProve writes a CPU profile of proofs alone (not the setup) to $ISPC_PROVE_PROFILE:
//
//	ISPC_PROVE_PROFILE=/tmp/prove.prof go test ./circuit -run TestProfileProve -count 1
//	go tool pprof -top /tmp/prove.prof
func TestProfileProve(t *testing.T) {
	path := os.Getenv("ISPC_PROVE_PROFILE")
	if path == "" {
		t.Skip("set ISPC_PROVE_PROFILE to a file to profile proving")
	}
	caps := Circuits["ispc.draft.v1"]
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(caps))
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(sample(caps), ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	defer pprof.StopCPUProfile()
	for i := 0; i < 20; i++ {
		if _, err := groth16.Prove(ccs, pk, w); err != nil {
			t.Fatal(err)
		}
	}
}
