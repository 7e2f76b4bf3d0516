// The PRNG of sampled decoding, specified so that any implementation reproduces it bit for bit
// (scripts/generation_reference.py does, in Python): Mulberry32 over a 32-bit state.
//
//   state = seed (an integer in [0, 2^32))
//   next(): state = (state + 0x6D2B79F5) mod 2^32
//           t = state
//           t = (t XOR (t >>> 15)) * (t OR 1)            mod 2^32
//           t = t XOR (t + (t XOR (t >>> 7)) * (t OR 61)) mod 2^32
//           return (t XOR (t >>> 14)) / 2^32              a float in [0, 1)
//
// One generator per generate() call, seeded once; rows draw from it in row order, one draw per
// row per step (docs/ARCHITECTURE.md, "Generation").

export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator at the same point of the sequence (this one does not move when it draws). */
  clone(): Mulberry32 {
    const c = new Mulberry32(0);
    c.state = this.state;
    return c;
  }

  /** The next float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
