pragma circom 2.1.0;

// ispc.draft.v2: a transaction draft conserves value, bound to one execution result; the
// statement of docs/statement-ispc-draft-v2.md, constraint for constraint the gnark circuit
// DraftV2 of ispc-gnark (worker/circuit/draft_v2.go). The signals are computed by
// ispc_framework/_draft_statement.py; keep the three in step.

include "poseidon.circom";
include "bitify.circom";

// A token index in [0, N] and its one-hot bits: sel[k] = [index == k + 1], at most one set.
template OneHot(N) {
    signal input index;
    signal output sel[N];
    var sum = 0;
    var weighted = 0;
    for (var k = 0; k < N; k++) {
        sel[k] <-- index == k + 1 ? 1 : 0;
        sel[k] * (sel[k] - 1) === 0;
        sum += sel[k];
        weighted += (k + 1) * sel[k];
    }
    if (N > 1) {
        sum * (sum - 1) === 0;
    }
    index === weighted;
}

// Bits of a token's input total: at most n amounts below 2^64.
function sumBits(n) {
    var r = 0;
    while ((1 << r) < n) {
        r++;
    }
    return 64 + r;
}

template DraftV2(NIN, NOUT) {
    // Public, as in v1: the draft commitment (an output), the execution result hash as two
    // 128-bit limbs, and the executing contract's element.
    signal output commitment;
    signal input result_hi;
    signal input result_lo;
    signal input contract;

    // Private: the draft's digest and its slots, zero-padded to capacity. Tokens are small
    // indices: outputs number theirs 1, 2, ... by first appearance (so output j's is at most
    // j + 1), an input names its token's number or 0 (no output has it). mint[t - 1]: the
    // executing contract issued token t.
    signal input draft_digest;
    signal input in_amount[NIN];
    signal input out_amount[NOUT];
    signal input in_token[NIN];
    signal input out_token[NOUT];
    signal input mint[NOUT];

    // 2. Every amount is in [0, 2^64).
    component in_range[NIN];
    for (var i = 0; i < NIN; i++) {
        in_range[i] = Num2Bits(64);
        in_range[i].in <== in_amount[i];
    }
    component out_range[NOUT];
    for (var j = 0; j < NOUT; j++) {
        out_range[j] = Num2Bits(64);
        out_range[j].in <== out_amount[j];
    }
    // Token indices in range, as one-hot selectors; mint flags are bits.
    component sel_in[NIN];
    for (var i = 0; i < NIN; i++) {
        sel_in[i] = OneHot(NOUT);
        sel_in[i].index <== in_token[i];
    }
    component sel_out[NOUT];
    for (var j = 0; j < NOUT; j++) {
        sel_out[j] = OneHot(j + 1 < NOUT ? j + 1 : NOUT);
        sel_out[j].index <== out_token[j];
    }
    var mask = 0;
    for (var t = 0; t < NOUT; t++) {
        mint[t] * (mint[t] - 1) === 0;
        mask += mint[t] * (1 << (24 + t));
    }

    // 1. The commitment: ONE Poseidon(NELEM) permutation (t = NELEM + 1, the narrowest that
    //    holds the elements) over
    //    [2 | NIN << 8 | NOUT << 16 | mint mask << 24, contract, draft_digest, slots...],
    //    a slot being amount + 2^64 * token (72 bits), three slots per element.
    var NSLOT = NIN + NOUT;
    var NELEM = 3 + (NSLOT + 2) \ 3;
    assert(NELEM <= 16);
    var elem[NELEM];
    for (var k = 0; k < NELEM; k++) {
        elem[k] = 0;
    }
    elem[0] = 2 + NIN * 256 + NOUT * 65536 + mask;
    elem[1] = contract;
    elem[2] = draft_digest;
    for (var s = 0; s < NSLOT; s++) {
        var slot = s < NIN ? in_amount[s] + (1 << 64) * in_token[s]
                           : out_amount[s - NIN] + (1 << 64) * out_token[s - NIN];
        elem[3 + s \ 3] += slot * (1 << (72 * (s % 3)));
    }
    component hash = Poseidon(NELEM);
    for (var k = 0; k < NELEM; k++) {
        hash.inputs[k] <== elem[k];
    }
    commitment <== hash.out;

    // 3. Per output token t: total out <= total in, unless the executing contract issued it.
    signal in_part[NOUT][NIN];
    signal out_part[NOUT * (NOUT + 1) \ 2];
    signal slack[NOUT];
    component slack_range[NOUT];
    var used = 0;
    var counted[NOUT];  // counted[j]: output j's amount, if it names a token
    for (var j = 0; j < NOUT; j++) {
        counted[j] = 0;
    }
    for (var t = 0; t < NOUT; t++) {
        var in_sum = 0;
        for (var i = 0; i < NIN; i++) {
            in_part[t][i] <== sel_in[i].sel[t] * in_amount[i];
            in_sum += in_part[t][i];
        }
        var out_sum = 0;
        for (var j = t; j < NOUT; j++) {  // output j can name token t + 1 only if t <= j
            out_part[used] <== sel_out[j].sel[t] * out_amount[j];
            out_sum += out_part[used];
            counted[j] += out_part[used];
            used++;
        }
        slack[t] <== (1 - mint[t]) * (in_sum - out_sum);
        slack_range[t] = Num2Bits(sumBits(NIN));  // a negative slack is a huge field element
        slack_range[t].in <== slack[t];
    }
    // An output that names no token (an unused slot) carries no value: every amount that
    // leaves the draft is counted above.
    for (var j = 0; j < NOUT; j++) {
        out_amount[j] === counted[j];
    }

    // 4. The result-hash limbs enter a constraint of their own (as in v1).
    signal result_sq;
    result_sq <== result_hi * result_lo;
}

// No main component here: ispc_groth16/circuits.py instantiates DraftV2 with each circuit id's
// capacities, public [result_hi, result_lo, contract].
