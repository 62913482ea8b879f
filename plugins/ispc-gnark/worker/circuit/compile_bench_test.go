package circuit

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

func BenchmarkCompile(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(Circuits["ispc.draft.v1"])); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCompiled(b *testing.B) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, New(Circuits["ispc.draft.v1"]))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := ccs.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var c cs.R1CS
		if _, err := c.ReadFrom(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
